"""Failures: which error, naming which table, constraint, rows and keys, and what is left behind;
a failed update batch raising the database's error when that error names no row (not a missing
row that happens to be in the batch), and a foreign key of another table broken by an insert
named as such (the history of the golden "audited" package, in a schema of its own)."""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from decimal import Decimal
from types import ModuleType

import asyncpg
import pytest

from batchrepo import errors
from batchrepo import operations as ops
from batchrepo.cache.key_cache import shared_cache
from batchrepo.spec import TableSpec
from tests.runtime.builders import account, entry, people, person
from tests.runtime.conftest import CountingConnection
from tests.runtime.tables import (
    ACCOUNT,
    LEDGER_ENTRY,
    PERSON,
    Account,
    Person,
    PersonKey,
    PersonType,
)


async def _count(db: asyncpg.Pool, table: str) -> int:
    return int(await db.fetchval(f'SELECT count(*) FROM "{table}"'))


async def test_saving_existing_keys_names_the_rows_in_the_middle_of_the_batch(
    db: asyncpg.Pool,
) -> None:
    existing = await ops.save_batch(db, PERSON, people(2, display_name="Secret Name"))
    shared_cache(db).clear()  # unknown to the key cache: the database finds the clash
    batch = people(10)
    batch[3].id, batch[7].id = existing[1].id, existing[0].id
    with pytest.raises(errors.UniqueViolationError) as caught:
        await ops.save_batch(db, PERSON, batch)
    err = caught.value
    assert type(err) is errors.UniqueViolationError
    assert (err.table, err.constraint, err.columns) == ("person", "person_pkey", ("id",))
    assert err.rows == [3, 7]
    assert err.keys == [existing[1].id, existing[0].id]
    assert err.rows_by_constraint == {"person_pkey": [3, 7]}
    assert err.sqlstate == "23505"
    assert isinstance(err.__cause__, asyncpg.UniqueViolationError)
    message = str(err)
    assert "person_pkey" in message and "rows [3, 7]" in message
    assert str(existing[1].id) in message
    assert "Secret Name" not in message and "person 3" not in message
    assert await _count(db, "person") == 2  # the batch left nothing behind


async def test_saving_one_existing_key_is_row_zero(db: asyncpg.Pool) -> None:
    saved = await ops.save_one(db, PERSON, person())
    with pytest.raises(errors.UniqueViolationError) as caught:
        await ops.save_one(db, PERSON, person(id=saved.id))
    assert (caught.value.rows, caught.value.keys) == ([0], [saved.id])
    assert caught.value.constraint == "person_pkey"


async def test_a_taken_unique_key_names_rows_and_primary_keys_not_the_value(
    db: asyncpg.Pool,
) -> None:
    await ops.save_one(db, PERSON, person(external_identifier="PASSPORT-123"))
    batch = [person(external_identifier=f"E{i}") for i in range(6)]
    batch[4].external_identifier = "PASSPORT-123"
    with pytest.raises(errors.UniqueViolationError) as caught:
        await ops.save_batch(db, PERSON, batch)
    err = caught.value
    assert err.constraint == "person_external_identifier_key"
    assert err.columns == ("external_identifier",)
    assert (err.rows, err.keys) == ([4], [batch[4].id])
    assert "PASSPORT-123" not in str(err)


async def test_an_update_taking_a_unique_key_of_another_row_names_that_row(
    db: asyncpg.Pool,
) -> None:
    saved = await ops.save_batch(
        db, PERSON, [person(external_identifier=f"U{i}") for i in range(4)]
    )
    saved[2].external_identifier = "U0"
    saved[3].display_name = "kept unchanged"
    with pytest.raises(errors.UniqueViolationError) as caught:
        await ops.update_batch(db, PERSON, saved[1:])
    # rows count within the batch passed (saved[1:]), whose row 1 is saved[2]
    assert (caught.value.rows, caught.value.keys) == ([1], [saved[2].id])
    reloaded = await ops.load_one(db, PERSON, saved[3].id)
    assert reloaded is not None and reloaded.display_name == "Ada Lovelace"


async def test_missing_parents_name_constraint_and_rows(db: asyncpg.Pool) -> None:
    owner = await ops.save_one(db, PERSON, person())
    batch = [account(owner.id, n) for n in range(6)]
    batch[1].owner_person_id = uuid.uuid4()
    batch[4].owner_person_id = uuid.uuid4()
    with pytest.raises(errors.ForeignKeyViolationError) as caught:
        await ops.save_batch(db, ACCOUNT, batch)
    err = caught.value
    assert (err.table, err.constraint) == ("account", "account_owner_fkey")
    assert err.columns == ("owner_person_id",)
    assert err.rows == [1, 4]
    assert err.keys == [("B001", 1), ("B001", 4)]
    assert isinstance(err, errors.MissingParentError) and err.report is not None
    assert [(p.row, p.field, p.code) for p in err.report.problems] == [
        (1, "owner_person_id", "missing_parent"),
        (4, "owner_person_id", "missing_parent"),
    ]
    assert "no person row with (id)" in str(err)
    assert await _count(db, "account") == 0

    with pytest.raises(errors.ForeignKeyViolationError) as single:
        await ops.save_one(db, ACCOUNT, batch[4])
    assert (single.value.rows, single.value.constraint) == ([0], "account_owner_fkey")


async def test_missing_composite_parent(db: asyncpg.Pool) -> None:
    owner = await ops.save_one(db, PERSON, person())
    await ops.save_one(db, ACCOUNT, account(owner.id, 1))
    batch = [entry(1), entry(2), entry(1), entry(1, branch_code="B999")]
    with pytest.raises(errors.ForeignKeyViolationError) as caught:
        await ops.save_batch(db, LEDGER_ENTRY, batch)
    assert caught.value.rows == [1, 3]
    assert caught.value.columns == ("branch_code", "account_number")
    assert await _count(db, "ledger_entry") == 0


async def test_self_references_to_earlier_rows_of_the_same_batch_are_not_blamed(
    db: asyncpg.Pool,
) -> None:
    batch = people(5)
    batch[2].organization_person_id = batch[0].id  # an earlier row of the batch: fine
    batch[1].organization_person_id = batch[1].id  # itself: fine (checked after the insert)
    batch[0].organization_person_id = batch[4].id  # a later row: a loop meets the child first
    batch[3].organization_person_id = uuid.uuid4()  # nowhere
    with pytest.raises(errors.MissingParentError) as caught:
        await ops.save_batch(db, PERSON, batch)
    assert (caught.value.rows, caught.value.keys) == ([0, 3], [batch[0].id, batch[3].id])
    assert caught.value.constraint == "person_organization_fkey"

    batch[3].organization_person_id = None
    batch[0].organization_person_id = None
    batch[4].organization_person_id = batch[0].id
    saved = await ops.save_batch(db, PERSON, batch)
    assert saved[4].organization_person_id == batch[0].id


async def test_deleting_a_referenced_parent_fails_and_deletes_nothing(db: asyncpg.Pool) -> None:
    owners = await ops.save_batch(db, PERSON, people(3))
    await ops.save_one(db, ACCOUNT, account(owners[1].id))
    with pytest.raises(errors.ForeignKeyViolationError) as single:
        await ops.delete_one(db, PERSON, owners[1].id)
    assert (single.value.rows, single.value.keys) == ([0], [owners[1].id])
    assert single.value.constraint == "account_owner_fkey"
    assert "rows of account still reference it" in str(single.value)

    with pytest.raises(errors.ForeignKeyViolationError) as batch:
        await ops.delete_batch(db, PERSON, [o.id for o in owners])
    assert batch.value.constraint == "account_owner_fkey"
    assert await _count(db, "person") == 3


async def test_updating_missing_rows_names_them_and_writes_nothing(db: asyncpg.Pool) -> None:
    saved = await ops.save_batch(db, PERSON, people(3))
    ghosts = people(2, created_at=saved[0].created_at)
    for item in saved:
        item.display_name = "changed"
    batch = [saved[0], ghosts[0], saved[1], ghosts[1], saved[2]]
    with pytest.raises(errors.MissingRowsError) as caught:
        await ops.update_batch(db, PERSON, batch)
    err = caught.value
    assert type(err) is errors.MissingRowsError
    assert (err.rows, err.keys) == ([1, 3], [ghosts[0].id, ghosts[1].id])
    assert "nothing was written" in str(err)
    names = {p.display_name for p in await ops.load_batch(db, PERSON, [s.id for s in saved]) if p}
    assert names == {"person 0", "person 1", "person 2"}

    with pytest.raises(errors.MissingRowsError) as single:
        await ops.update_one(db, PERSON, ghosts[0])
    assert (single.value.rows, single.value.keys) == ([0], [ghosts[0].id])


async def test_a_check_constraint_unknown_to_the_runtime(db: asyncpg.Pool) -> None:
    owner = await ops.save_one(db, PERSON, person())
    too_early = account(owner.id, 5, opened_on=datetime.date(1999, 12, 31))
    with pytest.raises(errors.CheckViolationError) as single:
        await ops.save_one(db, ACCOUNT, too_early)
    assert (single.value.constraint, single.value.rows) == ("account_opened_on_check", [0])
    assert single.value.keys == [("B001", 5)]
    with pytest.raises(errors.CheckViolationError) as batch:
        await ops.save_batch(db, ACCOUNT, [account(owner.id, 1), too_early])
    assert batch.value.constraint == "account_opened_on_check"
    assert batch.value.rows == []  # PostgreSQL does not say which row; no probe can know


def _without_rule(**changes: object) -> TableSpec[Person, PersonKey]:
    """PERSON with display_name's rules loosened, so bad values reach the database."""
    columns = list(PERSON.columns)
    columns[2] = dataclasses.replace(columns[2], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(PERSON, columns=tuple(columns))


async def test_batch_and_single_row_fail_alike_on_an_overlong_value(db: asyncpg.Pool) -> None:
    unchecked = _without_rule(max_length=None)
    long_name = "N" * 101
    with pytest.raises(errors.DataError) as single:
        await ops.save_one(db, unchecked, person(display_name=long_name))
    with pytest.raises(errors.DataError) as batch:
        await ops.save_batch(db, unchecked, [person(), person(display_name=long_name)])
    for err in (single.value, batch.value):
        assert err.sqlstate == "22001"
        assert "character varying(100)" in str(err)
        assert long_name not in str(err)
    assert await _count(db, "person") == 0  # the batch array was not cut to varchar(100)


async def test_a_null_reaching_the_database_names_the_rows_that_sent_it(db: asyncpg.Pool) -> None:
    unchecked = _without_rule(nullable=True, none_on_insert=True, none_on_update=True)
    batch = people(4)
    batch[2].display_name = None  # type: ignore[assignment]
    with pytest.raises(errors.NotNullViolationError) as caught:
        await ops.save_batch(db, unchecked, batch)
    assert (caught.value.columns, caught.value.rows) == (("display_name",), [2])
    assert caught.value.keys == [batch[2].id]


async def test_duplicate_keys_in_a_batch_are_refused_before_sql(
    counting: CountingConnection,
) -> None:
    stamp = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)  # updates send every column
    batch = people(4, created_at=stamp)
    batch[2].id = batch[0].id
    with pytest.raises(errors.DuplicateKeyInBatchError) as caught:
        await ops.save_batch(counting, PERSON, batch)
    err = caught.value
    assert (err.constraint, err.columns, err.rows, err.keys) == (
        "person_pkey",
        ("id",),
        [2],
        [batch[0].id],
    )
    [problem] = err.report.problems
    assert (problem.row, problem.field, problem.code) == (2, "id", "duplicate_key")
    assert problem.message == (
        "person row 2 (repeats row 0): same primary_key (id) as an earlier row of the batch"
    )
    for operation in (ops.update_batch, ops.upsert_batch):
        with pytest.raises(errors.DuplicateKeyInBatchError):
            await operation(counting, PERSON, batch)
    assert counting.statements == []


async def test_duplicate_unique_keys_clash_but_nulls_do_not(counting: CountingConnection) -> None:
    batch = [person(external_identifier=e) for e in (None, "A", None, "B", "A")]
    with pytest.raises(errors.DuplicateKeyInBatchError) as caught:
        await ops.save_batch(counting, PERSON, batch)
    assert (caught.value.constraint, caught.value.rows) == ("person_external_identifier_key", [4])
    assert counting.statements == []
    batch[4].external_identifier = "C"
    assert len(await ops.save_batch(counting, PERSON, batch)) == 5


async def test_invalid_fields_are_refused_before_sql_on_both_paths(
    counting: CountingConnection,
) -> None:
    bad = person(balance=Decimal("1.005"))
    with pytest.raises(errors.ValidationError) as single:
        await ops.save_one(counting, PERSON, bad)
    with pytest.raises(errors.ValidationError) as batch:
        await ops.save_batch(counting, PERSON, [person(), person(), bad])
    assert [(p.row, p.field, p.code) for p in single.value.report.problems] == [
        (0, "balance", "numeric_scale")
    ]
    assert [(p.row, p.field, p.code) for p in batch.value.report.problems] == [
        (2, "balance", "numeric_scale")
    ]
    assert batch.value.rows == [2]
    assert counting.statements == []


async def test_a_failed_batch_leaves_the_callers_transaction_usable(
    conn: asyncpg.Connection, db: asyncpg.Pool
) -> None:
    existing = await ops.save_one(conn, PERSON, person())
    first, third = person(), person()
    async with conn.transaction():
        await ops.save_one(conn, PERSON, first)
        with pytest.raises(errors.UniqueViolationError) as caught:
            await ops.save_batch(conn, PERSON, [person(), person(id=existing.id)])
        assert caught.value.rows == [1]
        await ops.save_batch(conn, PERSON, [third])
    found = await ops.exists_batch(db, PERSON, [first.id, third.id])
    assert found == [True, True]
    assert await _count(db, "person") == 3


async def test_a_failed_batch_inside_a_plain_begin_uses_its_own_savepoint(
    conn: asyncpg.Connection, db: asyncpg.Pool
) -> None:
    existing = await ops.save_one(conn, PERSON, person())
    kept = person()
    await conn.execute("BEGIN")
    try:
        await ops.save_one(conn, PERSON, kept)
        with pytest.raises(errors.UniqueViolationError) as caught:
            await ops.save_batch(conn, PERSON, [person(), person(), person(id=existing.id)])
        assert caught.value.rows == [2]
        assert conn.is_in_transaction()
    finally:
        await conn.execute("COMMIT")
    assert await ops.exists_one(db, PERSON, kept.id) is True
    assert await _count(db, "person") == 2


# -- errors of the audited package's statements (its tables in a schema of their own, see
# ``audited_pool``)


async def test_another_tables_foreign_key_broken_by_an_insert_is_named(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    """A history row whose audit_log row is gone: the insert broke the history's key; no row
    "still references" anything."""
    async with audited.UnitOfWork(audited_pool, actor="importer") as uow:
        await uow.customer.save(audited.Customer(name="creates the unit's log row"))
        log_id = uow.audit_log_id
        await uow.connection.execute(
            'DELETE FROM "customer_history" WHERE "audit_log_id" = $1', log_id
        )
        await uow.connection.execute('DELETE FROM "audit_log" WHERE "id" = $1', log_id)
        with pytest.raises(errors.ForeignKeyViolationError) as caught:
            await uow.customer.save(audited.Customer(name="orphan history"))
    assert caught.value.constraint == "customer_history_audit_log_id_fkey"
    message = str(caught.value)
    assert "the insert broke foreign key customer_history_audit_log_id_fkey" in message
    assert "of customer_history" in message
    assert "still reference" not in message


# -- which error a failed update batch raises: the database's error when it names no row, not a
# missing row that happens to exist in the batch


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
    assert type(caught.value) is errors.LockNotAvailableError
    assert caught.value.sqlstate == "55P03"
    assert caught.value.rows == []
    assert isinstance(caught.value.__cause__, asyncpg.LockNotAvailableError)


async def test_an_unlocated_check_violation_is_not_hidden_by_a_later_missing_row(
    db: asyncpg.Pool,
) -> None:
    owner = await ops.save_one(
        db,
        PERSON,
        Person(person_type=PersonType.NATURAL, display_name="p", balance=Decimal(0)),
    )

    def opened(number: int, opened_on: datetime.date) -> Account:
        return Account(
            branch_code="b", account_number=number, owner_person_id=owner.id, opened_on=opened_on
        )

    await ops.save_one(db, ACCOUNT, opened(1, datetime.date(2020, 1, 1)))
    breaks_check = opened(1, datetime.date(1999, 1, 1))
    missing = opened(2, datetime.date(2020, 1, 1))
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
