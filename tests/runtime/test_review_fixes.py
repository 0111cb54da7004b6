"""Regressions found in review, on the golden "audited" package and the runtime tables:

* a unit of work's ``audit_log`` row must live in the unit's own scope, not in the savepoint of
  one (chunked) write that may roll back;
* a failed update batch raises the database's error when that error names no row, not a
  missing row that happens to exist in the batch;
* a reference-check query that fails or times out inside a unit of work leaves the unit usable.

Lock timeouts are provoked with ``LOCK TABLE`` held by a second session, on a pool whose
``lock_timeout`` is short.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from batchrepo import errors
from batchrepo import operations as ops
from batchrepo.cache.key_cache import KeyCache, shared_cache
from batchrepo.session import Session
from tests.runtime.conftest import CountingConnection, audited_schema_pool
from tests.runtime.tables import ACCOUNT, PERSON, Account, Person, PersonType

SCHEMA = "review_fixes_audited"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def audited_pool(database_url: str, audited: ModuleType) -> AsyncIterator[asyncpg.Pool]:
    """The audited package's tables in a schema of their own; lock waits give up after 300 ms."""
    async with audited_schema_pool(database_url, audited, SCHEMA, lock_timeout="300ms") as pool:
        yield pool


async def _log_rows(pool: asyncpg.Pool, log_id: int | None) -> int:
    return int(await pool.fetchval('SELECT count(*) FROM "audit_log" WHERE "id" = $1', log_id))


# -- the unit's audit log row -----------------------------------------------------------------


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
        audited.Account(customer_id=referenced.id, balance=decimal.Decimal(1))
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


async def test_another_tables_foreign_key_broken_by_an_insert_is_named(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    """A history row whose audit_log row is gone: the insert broke the history's key; no row
    "still references" anything."""
    async with audited.UnitOfWork(audited_pool, actor="importer") as uow:
        log_id = await uow.session.unit_audit_log_id(audited.customer.CUSTOMER_TABLE)
        await uow.connection.execute('DELETE FROM "audit_log" WHERE "id" = $1', log_id)
        with pytest.raises(errors.ForeignKeyViolationError) as caught:
            await uow.customer.save(audited.Customer(name="orphan history"))
    assert caught.value.constraint == "customer_history_audit_log_id_fkey"
    message = str(caught.value)
    assert "the insert broke foreign key customer_history_audit_log_id_fkey" in message
    assert "of customer_history" in message
    assert "still reference" not in message


# -- which error a failed update batch raises -------------------------------------------------


async def test_a_lock_timeout_is_not_hidden_by_a_missing_row(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    customers = audited.CustomerRepository(audited_pool, actor="t")
    existing = await customers.save(audited.Customer(name="a"))
    existing.name = "b"
    missing = audited.Customer(name="x", version=1)
    async with audited_pool.acquire() as locker, locker.transaction():
        await locker.execute('SELECT 1 FROM "customer" WHERE "id" = $1 FOR UPDATE', existing.id)
        with pytest.raises(errors.DatabaseError) as caught:
            await customers.update_batch([existing, missing])
    assert type(caught.value) is errors.DatabaseError
    assert caught.value.sqlstate == "55P03"
    assert caught.value.rows == []
    assert isinstance(caught.value.__cause__, asyncpg.LockNotAvailableError)


async def test_an_unlocated_check_violation_is_not_hidden_by_a_later_missing_row(
    db: asyncpg.Pool,
) -> None:
    person = await ops.save_one(
        db,
        PERSON,
        Person(person_type=PersonType.NATURAL, display_name="p", balance=decimal.Decimal(0)),
    )

    def account(number: int, opened_on: datetime.date) -> Account:
        return Account(
            branch_code="b", account_number=number, owner_person_id=person.id, opened_on=opened_on
        )

    await ops.save_one(db, ACCOUNT, account(1, datetime.date(2020, 1, 1)))
    breaks_check = account(1, datetime.date(1999, 1, 1))
    missing = account(2, datetime.date(2020, 1, 1))
    with pytest.raises(errors.CheckViolationError) as loop:
        for item in [breaks_check, missing]:
            await ops.update_one(db, ACCOUNT, item)
    with pytest.raises(errors.CheckViolationError) as batch:
        await ops.update_batch(db, ACCOUNT, [breaks_check, missing])
    assert batch.value.constraint == loop.value.constraint == "account_opened_on_check"


async def test_a_missing_row_still_wins_over_a_later_located_row(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    """The rule kept: a missing row before the row a probe located is the batch's error, and a
    located row before the missing one stays the error (as in the loop)."""
    customers = audited.CustomerRepository(audited_pool, actor="t")
    taken = f"{uuid.uuid4()}@x"
    await customers.save(audited.Customer(name="owner", email=taken))
    clashing = await customers.save(audited.Customer(name="clashing"))
    clashing.email = taken  # unique key taken by another row: the database's 23505, located
    missing = audited.Customer(name="missing", version=1)
    with pytest.raises(errors.MissingRowsError) as caught:
        await customers.update_batch([missing, clashing])
    assert caught.value.rows == [0]
    with pytest.raises(errors.UniqueViolationError) as located:
        await customers.update_batch([clashing, missing])
    assert located.value.rows == [0]


# -- reference-check queries inside a unit of work --------------------------------------------


async def test_a_parent_probe_that_times_out_leaves_the_unit_usable(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    parent = await audited.CustomerRepository(audited_pool, actor="t").save(
        audited.Customer(name="p")
    )
    shared_cache(audited_pool).clear()  # the parent must be unknown to the cache: it is probed
    child = audited.Account(customer_id=parent.id, balance=decimal.Decimal(1))
    async with audited_pool.acquire() as other, audited.UnitOfWork(audited_pool, actor="t") as uow:
        async with other.transaction():
            await other.execute('LOCK TABLE "customer" IN ACCESS EXCLUSIVE MODE')
            with pytest.raises(errors.DatabaseError) as caught:
                await uow.account.save_batch([child])
        assert caught.value.sqlstate == "55P03"
        saved = await uow.account.save_batch([child])  # the unit's transaction is not aborted
    assert await audited.AccountRepository(audited_pool, actor="t").exists(saved[0].id)


async def test_a_key_confirmation_that_times_out_leaves_the_unit_usable(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    """A key the cache knows to exist is confirmed by the database (exists_batch) before an
    insert is refused: that query too runs in a savepoint."""
    customers = audited.CustomerRepository(audited_pool, actor="t")
    known = await customers.save(audited.Customer(name="known"))  # the shared cache records it
    async with audited_pool.acquire() as other, audited.UnitOfWork(audited_pool, actor="t") as uow:
        async with other.transaction():
            await other.execute('LOCK TABLE "customer" IN ACCESS EXCLUSIVE MODE')
            with pytest.raises(errors.DatabaseError) as caught:
                await uow.customer.save_batch([audited.Customer(id=known.id, name="again")])
        assert caught.value.sqlstate == "55P03"
        with pytest.raises(errors.UniqueViolationError):  # confirmed now, and the unit lives
            await uow.customer.save_batch([audited.Customer(id=known.id, name="again")])
        await uow.customer.save(audited.Customer(name="after"))


async def test_check_queries_pay_for_a_savepoint_only_when_sent(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    parent = await audited.CustomerRepository(audited_pool, actor="t").save(
        audited.Customer(name="p")
    )
    async with audited_pool.acquire() as conn, conn.transaction():
        counting = CountingConnection(conn)  # type: ignore[arg-type]  # a proxy forwards all
        cache = KeyCache()
        session = Session(counting, actor="t", cache=cache)
        spec = audited.account.ACCOUNT_TABLE

        def child() -> Any:  # a new row each time (the key is made client-side)
            return audited.Account(customer_id=parent.id, balance=decimal.Decimal(1))

        def savepoints() -> int:
            return sum(s.startswith("SAVEPOINT") for s in counting.statements)

        await ops.save_batch(session, spec, [child()])  # cold cache: probe and write, each in one
        assert savepoints() == 2
        counting.statements.clear()
        cache.add("customer", [parent.id])  # as after a commit
        await ops.save_batch(session, spec, [child()])  # warm: nothing asked, the write's only
        assert savepoints() == 1
