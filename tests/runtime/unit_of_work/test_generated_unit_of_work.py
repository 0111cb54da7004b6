"""The generated ``UnitOfWork`` and repositories of the golden "audited" package on the runtime:
typed repository properties, lazy audit log, versions single and batch, the actor rule, and the
unit's ``audit_log`` row living in the unit's own scope, not in the savepoint of one (chunked)
write that may roll back.

The package's tables live in a schema of their own (``search_path``), beside the runtime tests'
hand-written tables of the same names.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from types import ModuleType

import asyncpg
import pytest
import pytest_asyncio

from batchrepo import errors
from tests.runtime.conftest import audited_schema_pool

SCHEMA = "golden_audited"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def audited_pool(database_url: str, audited: ModuleType) -> AsyncIterator[asyncpg.Pool]:
    async with audited_schema_pool(database_url, audited, SCHEMA) as pool:
        yield pool


async def test_a_unit_of_work_writes_history_under_one_log_row(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    async with audited.UnitOfWork(audited_pool, actor="importer") as uow:
        people = await uow.customer.save_batch(
            [audited.Customer(name="a"), audited.Customer(name="b")]
        )
        account = await uow.account.save(
            audited.Account(customer_id=people[0].id, balance=Decimal("1.00"))
        )
        await uow.account.update(
            audited.Account(
                id=account.id,
                customer_id=people[1].id,
                balance=Decimal("2.00"),
                version=account.version,
            )
        )
        log_id = uow.audit_log_id
    assert log_id is not None
    logs = await audited_pool.fetch('SELECT "id", "actor" FROM "audit_log" WHERE "id" = $1', log_id)
    assert [tuple(row) for row in logs] == [(log_id, "importer")]
    history = await audited_pool.fetch(
        'SELECT "version", "operation"::text FROM "account_history" WHERE "id" = $1 '
        'ORDER BY "history_id"',
        account.id,
    )
    assert [tuple(row) for row in history] == [(1, "insert"), (2, "update")]


async def test_stale_versions_fail_alike_through_the_repositories(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    customers = audited.CustomerRepository(audited_pool, actor="importer")
    first, second = await customers.save_batch(
        [audited.Customer(name="x"), audited.Customer(name="y")]
    )
    await customers.update(audited.Customer(id=first.id, name="x2", version=1))
    stale = audited.Customer(id=first.id, name="x3", version=1)
    with pytest.raises(errors.StaleVersionError) as single:
        await customers.update(stale)
    with pytest.raises(errors.StaleVersionError) as batch:
        await customers.update_batch([second, stale])
    assert single.value.keys == [first.id] and (single.value.expected, single.value.found) == (
        [1],
        [2],
    )
    assert (batch.value.rows, batch.value.keys) == ([1], [first.id])
    with pytest.raises(errors.StaleVersionError):
        await customers.delete(first.id, version=1)
    assert await customers.delete(first.id, version=2) is True


async def test_audited_repositories_need_an_actor(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    customers = audited.CustomerRepository(audited_pool)
    with pytest.raises(TypeError, match="needs an actor"):
        await customers.save(audited.Customer(name="nobody"))
    assert (
        await audited_pool.fetchval('SELECT count(*) FROM "customer" WHERE "name" = $1', "nobody")
        == 0
    )


async def test_a_released_savepoint_keeps_its_log_row_for_the_whole_unit(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    # Found by the units-of-work machine: the log row created inside a released savepoint was
    # forgotten when a later sibling savepoint rolled back, splitting one unit over two rows.
    async with audited.UnitOfWork(audited_pool, actor="splitter") as uow:
        async with uow.savepoint():
            first = await uow.customer.save(audited.Customer(name="first"))
        with pytest.raises(RuntimeError):
            async with uow.savepoint():
                raise RuntimeError("rolled back")
        second = await uow.customer.save(audited.Customer(name="second"))
    async with audited_pool.acquire() as conn:
        logs = await conn.fetch(
            "SELECT DISTINCT h.audit_log_id FROM customer_history h WHERE h.id = ANY($1::uuid[])",
            [first.id, second.id],
        )
    assert len(logs) == 1


async def test_a_key_repeated_in_a_versioned_delete_is_decided_by_its_first_occurrence(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    # Found by the units-of-work machine: the statement deleted the row through the matching
    # second pair, where the row-by-row loop stops at the stale first one.
    async with audited.UnitOfWork(audited_pool, actor="deleter") as uow:
        saved = await uow.customer.save(audited.Customer(name="twice"))
    with pytest.raises(errors.StaleVersionError) as stale:
        async with audited.UnitOfWork(audited_pool, actor="deleter") as uow:
            await uow.customer.delete_batch([saved.id, saved.id], versions=[2, 1])
    assert stale.value.rows == [0] and stale.value.expected == [2] and stale.value.found == [1]
    async with audited.UnitOfWork(audited_pool, actor="deleter") as uow:
        assert await uow.customer.exists(saved.id)
        assert await uow.customer.delete_batch([saved.id, saved.id], versions=[1, 7]) == 1


async def test_duplicates_next_to_missing_parents_raise_duplicates_listing_both(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    # The units-of-work machine once reported this batch as differing: its model expected a
    # ValidationError, while "Which error" ranks duplicates before references. The report must
    # still name the missing parent of every row, the repeated one included.
    same_id = uuid.uuid4()
    rows = [
        audited.Account(id=same_id, customer_id=uuid.uuid4(), balance=Decimal("1.00")),
        audited.Account(id=same_id, customer_id=uuid.uuid4(), balance=Decimal("2.00")),
    ]
    with pytest.raises(errors.DuplicateKeyInBatchError) as raised:
        async with audited.UnitOfWork(audited_pool, actor="importer") as uow:
            await uow.account.save_batch(rows)
    problems = [(p.row, p.field, p.code) for p in raised.value.report.problems]
    assert raised.value.rows == [1] and raised.value.constraint == "account_pkey"
    assert problems == [
        (0, "customer_id", "missing_parent"),
        (1, "id", "duplicate_key"),
        (1, "customer_id", "missing_parent"),
    ]


async def test_the_duplicate_constraint_does_not_depend_on_other_problems(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    # Rows 1 and 2 repeat row 0's email and id: the error names the primary key (the first key
    # repeated, in the table's order) whether or not another row's key is taken as well.
    async with audited.UnitOfWork(audited_pool, actor="importer") as uow:
        taken = await uow.customer.save(audited.Customer(name="taken"))
        email = f"{uuid.uuid4()}@example.org"
        same_id = uuid.uuid4()
        rows = [
            audited.Customer(id=same_id, name="a", email=email),
            audited.Customer(id=uuid.uuid4(), name="b", email=email),
            audited.Customer(id=same_id, name="c"),
        ]
        constraints = []
        for batch in (rows, [*rows, audited.Customer(id=taken.id, name="again")]):
            with pytest.raises(errors.DuplicateKeyInBatchError) as raised:
                await uow.customer.save_batch(batch)
            constraints.append(raised.value.constraint)
    assert constraints == ["customer_pkey", "customer_pkey"]


async def test_deleting_a_parent_still_referenced_is_a_foreign_key_violation(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    # Found by the units-of-work machine: the golden foreign keys are ON DELETE RESTRICT, whose
    # refusal (23001) came out as a bare DatabaseError instead of the foreign key error.
    async with audited.UnitOfWork(audited_pool, actor="importer") as uow:
        parent = await uow.customer.save(audited.Customer(name="parent"))
        await uow.account.save(audited.Account(customer_id=parent.id, balance=Decimal("1.00")))
    for delete, key in (("delete", parent.id), ("delete_batch", [parent.id])):
        with pytest.raises(errors.ForeignKeyViolationError) as raised:
            async with audited.UnitOfWork(audited_pool, actor="importer") as uow:
                await getattr(uow.customer, delete)(key)
        assert raised.value.constraint == "account_customer_id_fkey"
        assert raised.value.sqlstate == "23001"
        assert "account" in str(raised.value)


# -- the unit's audit log row lives in the unit's own scope, not in the savepoint of one
# (chunked) write that may roll back


async def _log_rows(pool: asyncpg.Pool, log_id: int | None) -> int:
    return int(await pool.fetchval('SELECT count(*) FROM "audit_log" WHERE "id" = $1', log_id))


async def test_a_failed_atomic_chunked_save_keeps_the_units_audit_log_row(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    taken = f"{uuid.uuid4()}@x"
    await audited.CustomerRepository(audited_pool, actor="t").save(
        audited.Customer(name="t", email=taken)
    )
    async with audited.UnitOfWork(audited_pool, actor="importer") as uow:
        rows = [audited.Customer(name="a"), audited.Customer(name="b", email=taken)]
        with pytest.raises(errors.UniqueViolationError) as caught:
            await uow.customer.save_batch_chunked(rows, chunk_size=1)
        assert caught.value.constraint == "customer_email_key"
        assert caught.value.rows == [1]
        # the second chunk failed: the first chunk's row is gone, the unit's log row is not
        saved = await uow.customer.save(audited.Customer(name="c"))
        log_id = uow.audit_log_id
    assert await _log_rows(audited_pool, log_id) == 1
    history = await audited_pool.fetchval(
        'SELECT "audit_log_id" FROM "customer_history" WHERE "id" = $1', saved.id
    )
    assert history == log_id


async def test_a_failed_atomic_chunked_delete_keeps_the_units_audit_log_row(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    customers = audited.CustomerRepository(audited_pool, actor="t")
    free, referenced = await customers.save_batch(
        [audited.Customer(name="free"), audited.Customer(name="referenced")]
    )
    await audited.AccountRepository(audited_pool, actor="t").save(
        audited.Account(customer_id=referenced.id, balance=Decimal(1))
    )
    async with audited.UnitOfWork(audited_pool, actor="importer") as uow:
        with pytest.raises(errors.ForeignKeyViolationError):
            await uow.customer.delete_batch_chunked([free.id, referenced.id], chunk_size=1)
        saved = await uow.customer.save(audited.Customer(name="after"))
        log_id = uow.audit_log_id
    assert await _log_rows(audited_pool, log_id) == 1
    assert await customers.exists(free.id)  # the atomic call deleted nothing
    assert await customers.exists(saved.id)


async def test_a_failed_plain_save_batch_keeps_the_units_audit_log_row(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    """write_batch takes the unit's log row before its savepoint: the unit's first audited
    write failing in the database leaves the unit's row (and the unit) usable."""
    taken = f"{uuid.uuid4()}@x"
    await audited.CustomerRepository(audited_pool, actor="t").save(
        audited.Customer(name="t", email=taken)
    )
    async with audited.UnitOfWork(audited_pool, actor="importer") as uow:
        with pytest.raises(errors.UniqueViolationError):
            await uow.customer.save_batch(
                [audited.Customer(name="a"), audited.Customer(name="b", email=taken)]
            )
        await uow.customer.save(audited.Customer(name="c"))
        log_id = uow.audit_log_id
    assert await _log_rows(audited_pool, log_id) == 1
