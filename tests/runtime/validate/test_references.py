"""Checks before writing: missing parents found by the cache or by one query per foreign key,
self references, known-absent keys, existing keys confirmed by the database, and the error a
report turns into; inside a unit of work, a check query that fails or times out leaves the unit
usable, and check queries pay for a savepoint only when sent."""

from __future__ import annotations

import dataclasses
import uuid
from decimal import Decimal
from types import ModuleType
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from batchrepo import errors
from batchrepo import operations as ops
from batchrepo.cache.key_cache import KeyCache, shared_cache
from batchrepo.cache.views import CacheLayer, DirectView
from batchrepo.db.arguments import batch_arguments
from batchrepo.key_matching import keys_of_columns
from batchrepo.session import Session
from batchrepo.spec import E, TableSpec
from batchrepo.validate.fields import validate_columns
from batchrepo.validate.references import Learned, error_for_report, reference_problems
from batchrepo.validate.report import ValidationReport
from tests.runtime.builders import account, entry, person
from tests.runtime.conftest import CountingConnection
from tests.runtime.tables import ACCOUNT, CURRENCY, LEDGER_ENTRY, PERSON, AccountKey, Currency
from tests.runtime.tables.price import DDL as PRICE_DDL
from tests.runtime.tables.price import PRICE, Price


async def save(db: asyncpg.Pool, spec: TableSpec[E, Any], *items: E) -> list[E]:
    """Rows stored by the spec's own insert statement: these tests need no operations."""
    columns = spec.to_columns(items)
    arguments = batch_arguments(spec, columns, spec.insert_columns)
    return [
        spec.from_record(record) for record in await db.fetch(spec.sql.insert_batch, *arguments)
    ]


_MP = ("organization_person_id", "missing_parent")
OWNER_PROBE = ACCOUNT.foreign_keys[0].probe_sql
ORGANIZATION_PROBE = PERSON.foreign_keys[0].probe_sql


class RecordingConnection(CountingConnection):
    """Counts statements and keeps the arguments of each fetch."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        super().__init__(conn)
        self.arguments: list[tuple[object, ...]] = []

    async def fetch(self, query: str, *args: object) -> list[Any]:
        self.arguments.append(args)
        return await super().fetch(query, *args)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def price_table(tables_pool: asyncpg.Pool) -> asyncpg.Pool:
    await tables_pool.execute(PRICE_DDL)  # emptied with currency (TRUNCATE ... CASCADE)
    return tables_pool


@pytest_asyncio.fixture(loop_scope="module")
async def recording(conn: asyncpg.Connection, price_table: asyncpg.Pool) -> RecordingConnection:
    return RecordingConnection(conn)


def codes(problems: list[Any]) -> list[tuple[int, str, str]]:
    return [(p.row, p.field, p.code) for p in problems]


async def test_missing_parents_are_found_by_one_query_over_distinct_keys(
    db: asyncpg.Pool, recording: RecordingConnection
) -> None:
    (owner,) = await save(db, PERSON, person())
    ghost, other_ghost = uuid.uuid4(), uuid.uuid4()
    owners = [owner.id, ghost, ghost, owner.id, other_ghost]
    items = [account(o, n) for n, o in enumerate(owners)]
    problems, learned = await reference_problems(
        recording, None, ACCOUNT, ACCOUNT.to_columns(items), "insert"
    )
    assert codes(problems) == [(r, "owner_person_id", "missing_parent") for r in (1, 2, 4)]
    assert problems[0].message == (
        f"account.owner_person_id row 1: no person row with (id) = {ghost} "
        "(foreign key account_owner_fkey)"
    )
    assert recording.statements == [OWNER_PROBE]
    assert recording.arguments == [([owner.id, ghost, other_ghost],)]
    assert learned.present == {"person": (owner.id,)}


async def test_a_warm_cache_answers_without_any_query(
    db: asyncpg.Pool, recording: RecordingConnection
) -> None:
    (owner,) = await save(db, PERSON, person())
    stale = uuid.uuid4()  # cached but gone: the write itself will meet the 23503
    cache = KeyCache()
    cache.add("person", [owner.id, stale])
    items = [account(owner.id, 1), account(stale, 2)]
    problems, learned = await reference_problems(
        recording, DirectView(cache), ACCOUNT, ACCOUNT.to_columns(items), "insert"
    )
    assert (problems, learned.present, recording.statements) == ([], {}, [])


async def test_only_the_rows_the_cache_missed_are_asked(
    db: asyncpg.Pool, recording: RecordingConnection
) -> None:
    cached, asked = await save(db, PERSON, person(), person())
    cache = KeyCache()
    cache.add("person", [cached.id])
    view = DirectView(cache)
    items = [account(cached.id, 1), account(asked.id, 2), account(cached.id, 3)]
    problems, learned = await reference_problems(
        recording, view, ACCOUNT, ACCOUNT.to_columns(items), "insert"
    )
    assert problems == []
    assert recording.arguments == [([asked.id],)]
    learned.record(view)  # after the write succeeded
    assert cache.lookup("person", [asked.id]) == [True]


async def test_nothing_to_ask_sends_nothing(recording: RecordingConnection) -> None:
    currencies = [Currency(code="USD", name="dollar")]
    assert await reference_problems(
        recording, None, CURRENCY, CURRENCY.to_columns(currencies), "insert"
    ) == ([], Learned())
    no_parents = PERSON.to_columns([person(), person()])
    assert (await reference_problems(recording, None, PERSON, no_parents, "upsert"))[0] == []
    assert recording.statements == []


@pytest.mark.parametrize("mode", ["insert", "upsert"])
async def test_earlier_rows_and_the_row_itself_are_parents_later_rows_are_not(
    db: asyncpg.Pool, recording: RecordingConnection, mode: Any
) -> None:
    (stored,) = await save(db, PERSON, person())
    rows = [person() for _ in range(6)]
    ghost = uuid.uuid4()
    rows[1].organization_person_id = rows[0].id  # earlier row
    rows[2].organization_person_id = rows[3].id  # later row: a loop would meet it first
    rows[3].organization_person_id = rows[3].id  # itself: PostgreSQL checks after the insert
    rows[4].organization_person_id = stored.id
    rows[5].organization_person_id = ghost
    problems, learned = await reference_problems(
        recording, None, PERSON, PERSON.to_columns(rows), mode
    )
    assert codes(problems) == [(2, "organization_person_id", "missing_parent"), (5, *_MP)]
    assert recording.statements == [ORGANIZATION_PROBE]
    assert recording.arguments == [([rows[3].id, stored.id, ghost],)]
    assert learned.present == {"person": (stored.id,)}


async def test_on_update_rows_of_the_batch_are_parents_only_if_stored(
    db: asyncpg.Pool, recording: RecordingConnection
) -> None:
    first, second = await save(db, PERSON, person(), person())
    unsaved = person()
    first.organization_person_id = second.id  # stored: found
    second.organization_person_id = first.id  # stored: found
    unsaved.organization_person_id = unsaved.id  # not stored: an update creates no rows
    rows = [first, second, unsaved]
    problems, _ = await reference_problems(
        recording, None, PERSON, PERSON.to_columns(rows), "update"
    )
    assert codes(problems) == [(2, *_MP)]
    assert len(recording.statements) == 1


async def test_a_key_deleted_in_the_unit_of_work_is_missing_without_asking(
    db: asyncpg.Pool, recording: RecordingConnection
) -> None:
    (owner,) = await save(db, PERSON, person())
    cache = KeyCache()
    cache.add("person", [owner.id])
    unit = CacheLayer(cache)
    unit.record_absent("person", [owner.id])  # deleted in this transaction
    assert cache.lookup("person", [owner.id]) == [None]  # evicted globally at once
    savepoint = unit.child()
    items = [account(owner.id, 1)]
    problems, _ = await reference_problems(
        recording, savepoint, ACCOUNT, ACCOUNT.to_columns(items), "insert"
    )
    assert codes(problems) == [(0, "owner_person_id", "missing_parent")]
    assert recording.statements == []


async def test_an_existing_key_in_the_cache_is_confirmed_and_a_stale_one_evicted(
    db: asyncpg.Pool, recording: RecordingConnection
) -> None:
    (owner,) = await save(db, PERSON, person())
    await save(db, ACCOUNT, account(owner.id, 1))
    cache = KeyCache()
    cache.add("person", [owner.id])
    cache.add("account", [("B001", 1), ("B001", 2)])  # 2 is stale: deleted by someone else
    items = [account(owner.id, n) for n in (1, 2, 3)]
    unit = CacheLayer(cache)
    problems, _ = await reference_problems(
        recording, unit, ACCOUNT, ACCOUNT.to_columns(items), "insert"
    )
    assert codes(problems) == [(0, "branch_code", "key_exists")]
    assert problems[0].message == (
        "account.branch_code row 0: a row with (branch_code, account_number) = ('B001', 1) "
        "already exists (primary key account_pkey)"
    )
    assert recording.statements == [ACCOUNT.sql.exists_batch]
    assert recording.arguments == [(["B001", "B001"], [1, 2])]
    assert cache.lookup("account", [AccountKey("B001", 1), ("B001", 2)]) == [True, None]
    assert unit.lookup("account", [("B001", 2)]) == [False]


async def test_existing_keys_are_checked_on_insert_only(
    db: asyncpg.Pool, recording: RecordingConnection
) -> None:
    (owner,) = await save(db, PERSON, person())
    (saved,) = await save(db, ACCOUNT, account(owner.id, 1))
    cache = KeyCache()
    cache.add("person", [owner.id])
    cache.add("account", [("B001", 1)])
    for mode in ("update", "upsert"):
        problems, _ = await reference_problems(
            recording, DirectView(cache), ACCOUNT, ACCOUNT.to_columns([saved]), mode
        )
        assert problems == []
    assert recording.statements == []


async def test_cache_only_sends_nothing_and_trusts_the_cache(
    db: asyncpg.Pool, recording: RecordingConnection
) -> None:
    (owner,) = await save(db, PERSON, person())  # stored, but the cache does not know it
    known = uuid.uuid4()
    cache = KeyCache()
    cache.add("person", [known])
    cache.add("account", [("B001", 2)])
    items = [account(owner.id, 1), account(known, 2), account(known, 3)]
    problems, learned = await reference_problems(
        recording, DirectView(cache), ACCOUNT, ACCOUNT.to_columns(items), "insert", cache_only=True
    )
    assert codes(problems) == [
        (0, "owner_person_id", "missing_parent"),
        (1, "branch_code", "key_exists"),
    ]
    assert (recording.statements, learned.present) == ([], {})


async def test_skipped_rows_are_not_checked(
    db: asyncpg.Pool, recording: RecordingConnection
) -> None:
    items = [account(uuid.uuid4(), n) for n in range(3)]
    columns = ACCOUNT.to_columns(items)
    problems, _ = await reference_problems(
        recording, None, ACCOUNT, columns, "insert", skip_rows={0, 2}
    )
    assert codes(problems) == [(1, "owner_person_id", "missing_parent")]
    problems, _ = await reference_problems(
        recording, None, ACCOUNT, columns, "insert", skip_rows=range(3)
    )
    assert problems == []
    assert len(recording.statements) == 1


async def test_char_keys_match_their_padded_parents(
    db: asyncpg.Pool, recording: RecordingConnection
) -> None:
    await save(db, CURRENCY, Currency(code="USD", name="dollar"))  # stored as 'USD '
    prices = [
        Price(id=1, currency_code="USD", amount=Decimal(1)),
        Price(id=2, currency_code="USD ", amount=Decimal(2)),
        Price(id=3, currency_code="EUR", amount=Decimal(3)),
        Price(id=4, currency_code=None, amount=Decimal(4)),
    ]
    cache = KeyCache()
    view = DirectView(cache)
    columns = PRICE.to_columns(prices)
    problems, learned = await reference_problems(recording, view, PRICE, columns, "insert")
    assert codes(problems) == [(2, "currency_code", "missing_parent")]
    assert "= 'EUR' (foreign key price_currency_fkey)" in problems[0].message
    assert recording.arguments == [(["USD", "EUR"],)]  # one key for 'USD' and 'USD '
    assert learned.present == {"currency": ("USD",)}
    learned.record(view)
    without_eur = PRICE.to_columns([prices[0], prices[1], prices[3]])
    recording.statements.clear()
    problems, _ = await reference_problems(recording, view, PRICE, without_eur, "insert")
    assert (problems, recording.statements) == ([], [])


async def test_composite_foreign_keys_use_tuple_keys(
    db: asyncpg.Pool, recording: RecordingConnection
) -> None:
    (owner,) = await save(db, PERSON, person())
    await save(db, ACCOUNT, account(owner.id, 1))
    cache = KeyCache()
    cache.add("account", [AccountKey("B001", 1)])
    entries = [entry(1), entry(9), entry(9), entry(1, branch_code="B002")]
    problems, _ = await reference_problems(
        recording, DirectView(cache), LEDGER_ENTRY, LEDGER_ENTRY.to_columns(entries), "insert"
    )
    assert codes(problems) == [(r, "branch_code", "missing_parent") for r in (1, 2, 3)]
    assert problems[0].message == (
        "ledger_entry.branch_code row 1: no account row with (branch_code, account_number) = "
        "('B001', 9) (foreign key ledger_entry_account_fkey)"
    )
    assert recording.arguments == [(["B001", "B002"], [9, 1])]


# --- which error -----------------------------------------------------------------------------


async def _account_report(
    recording: RecordingConnection, items: list[Any], cache: KeyCache | None = None
) -> tuple[ValidationReport, list[Any]]:
    columns = ACCOUNT.to_columns(items)
    view = None if cache is None else DirectView(cache)
    problems, _ = await reference_problems(recording, view, ACCOUNT, columns, "insert")
    return ValidationReport("account", problems), keys_of_columns(ACCOUNT, columns, (0, 1))


async def test_only_missing_parents_raise_missing_parent_error(
    db: asyncpg.Pool, recording: RecordingConnection
) -> None:
    (owner,) = await save(db, PERSON, person())
    items = [account(owner.id, 1), account(uuid.uuid4(), 2), account(uuid.uuid4(), 3)]
    report, keys = await _account_report(recording, items)
    error = error_for_report(ACCOUNT, report, keys.__getitem__)
    assert isinstance(error, errors.MissingParentError)
    assert isinstance(error, errors.ForeignKeyViolationError)
    assert (error.constraint, error.columns, error.rows) == (
        "account_owner_fkey",
        ("owner_person_id",),
        [1, 2],
    )
    assert error.keys == [("B001", 2), ("B001", 3)]
    assert error.rows_by_constraint == {"account_owner_fkey": [1, 2]}
    assert error.report is report
    assert "row 2: no person row" in str(error)
    shifted = error.with_row_offset(100)
    assert shifted.rows == [101, 102] and "row 102: no person row" in str(shifted)


async def test_only_existing_keys_raise_unique_violation_error(
    db: asyncpg.Pool, recording: RecordingConnection
) -> None:
    (owner,) = await save(db, PERSON, person())
    await save(db, ACCOUNT, account(owner.id, 1))
    cache = KeyCache()
    cache.add("account", [("B001", 1)])
    report, keys = await _account_report(recording, [account(owner.id, 1)], cache)
    error = error_for_report(ACCOUNT, report, keys.__getitem__)
    assert type(error) is errors.UniqueViolationError
    assert (error.constraint, error.columns, error.rows, error.keys, error.sqlstate) == (
        "account_pkey",
        ("branch_code", "account_number"),
        [0],
        [("B001", 1)],
        "23505",
    )


def test_only_duplicates_raise_duplicate_key_error() -> None:
    owner = uuid.uuid4()
    columns = ACCOUNT.to_columns([account(owner, 1), account(owner, 1)])
    report = validate_columns(ACCOUNT, columns, "insert")
    keys = keys_of_columns(ACCOUNT, columns, (0, 1))
    error = error_for_report(ACCOUNT, report, keys.__getitem__)
    assert type(error) is errors.DuplicateKeyInBatchError
    assert (error.constraint, error.rows, error.keys) == ("account_pkey", [1], [("B001", 1)])


async def test_mixed_reference_problems_raise_what_the_first_failing_row_has(
    db: asyncpg.Pool, recording: RecordingConnection
) -> None:
    # A row-by-row loop stops at its first failing row, so the batch raises that row's kind of
    # error, naming every row of that kind; the report still lists every problem.
    (owner,) = await save(db, PERSON, person())
    await save(db, ACCOUNT, account(owner.id, 1))
    cache = KeyCache()
    cache.add("account", [("B001", 1)])
    items = [account(owner.id, 1), account(uuid.uuid4(), 2)]
    report, keys = await _account_report(recording, items, cache)
    assert [p.code for p in report.problems] == ["key_exists", "missing_parent"]
    error = error_for_report(ACCOUNT, report, keys.__getitem__)
    assert type(error) is errors.UniqueViolationError
    assert error.rows == [0]
    flipped, flipped_keys = await _account_report(recording, items[::-1], cache)
    error = error_for_report(ACCOUNT, flipped, flipped_keys.__getitem__)
    assert type(error) is errors.MissingParentError
    assert error.rows == [0]
    assert error.report is not None and len(error.report.problems) == 2
    with pytest.raises(ValueError, match="no problems"):
        error_for_report(ACCOUNT, ValidationReport("account"), keys.__getitem__)


async def test_a_failing_probe_raises_a_batchrepo_error_naming_the_table(
    recording: RecordingConnection,
) -> None:
    broken = dataclasses.replace(
        ACCOUNT,
        foreign_keys=(
            dataclasses.replace(
                ACCOUNT.foreign_keys[0], probe_sql="SELECT 1 FROM nowhere WHERE $1::uuid[] IS NULL"
            ),
        ),
    )
    items = [account(uuid.uuid4(), 1)]
    with pytest.raises(errors.DatabaseError) as raised:
        await reference_problems(recording, None, broken, broken.to_columns(items), "insert")
    assert raised.value.table == "account" and raised.value.sqlstate == "42P01"
    assert isinstance(raised.value.__cause__, asyncpg.UndefinedTableError)


# -- reference-check queries inside a unit of work: one that fails or times out leaves the unit
# usable (lock timeouts provoked with ``LOCK TABLE`` held by a second session, see
# ``audited_pool``)


async def test_a_parent_probe_that_times_out_leaves_the_unit_usable(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    parent = await audited.CustomerRepository(audited_pool, actor="t").save(
        audited.Customer(name="p")
    )
    shared_cache(audited_pool).clear()  # the parent must be unknown to the cache: it is probed
    child = audited.Account(customer_id=parent.id, balance=Decimal(1))
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
            return audited.Account(customer_id=parent.id, balance=Decimal(1))

        def savepoints() -> int:
            return sum(s.startswith("SAVEPOINT") for s in counting.statements)

        await ops.save_batch(session, spec, [child()])  # cold cache: probe and write, each in one
        assert savepoints() == 2
        counting.statements.clear()
        cache.add("customer", [parent.id])  # as after a commit
        await ops.save_batch(session, spec, [child()])  # warm: nothing asked, the write's only
        assert savepoints() == 1
