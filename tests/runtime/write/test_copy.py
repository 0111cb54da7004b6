"""Inserts by binary COPY (``batchrepo.write.copy``): chosen by the session's write policy, they
return what the statement returns, fill server defaults as the database would, fail like the
statement (rows named, nothing written), and a bare connection sends no BEGIN/COMMIT around a
single statement.

The equivalence machine (tests/property/equivalence) draws both paths for every insert of the
tables that allow COPY; these tests pin the cases its strategies do not reach (values that are
not float32 already, bytearray, naive-in-UTC offsets) and the path taken.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from types import ModuleType
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from batchrepo import errors
from batchrepo import operations as ops
from batchrepo.session import Session, WritePolicy, as_session
from tests.golden.kinds import CODEGEN
from tests.property.packages import import_from
from tests.runtime.conftest import CountingConnection, audited_schema_pool

COPY = WritePolicy(copy_from_rows=0)
STATEMENT = WritePolicy(copy_from_rows=None)
UTC = datetime.UTC


@pytest.fixture(scope="module")
def shapes() -> ModuleType:
    return import_from(CODEGEN.expected_dir("shapes"), "shapes")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shapes_pool(database_url: str, shapes: ModuleType) -> AsyncIterator[asyncpg.Pool]:
    async with audited_schema_pool(database_url, shapes, "copy_shapes") as pool:
        yield pool


@pytest_asyncio.fixture(loop_scope="module")
async def counting(shapes_pool: asyncpg.Pool) -> AsyncIterator[CountingConnection]:
    await shapes_pool.execute("TRUNCATE stored_forms, plain")
    async with shapes_pool.acquire() as proxy:
        yield CountingConnection(proxy)  # type: ignore[arg-type]


def _forms(shapes: ModuleType, first_id: int, *, infinite: bool = True) -> list[Any]:
    row = shapes.stored_forms.StoredForms
    plus_five = datetime.timezone(datetime.timedelta(hours=5))
    return [
        row(
            id=first_id,
            ratio=0.1,  # not a float32: stored as 0.10000000149011612
            price=Decimal("1.5"),  # numeric(9,3): 1.500
            prices=[Decimal("2"), None, Decimal("-0.0")],  # 2.0, NULL, 0.0
            grade="ab",  # char(4): 'ab  '
            grades=["x", "yz"],  # char(2)[]: 'x ', 'yz'
            ratios=[0.3, 2],
            seen_at=datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=plus_five),
            blob=bytearray(b"\x00\x01"),
            span=datetime.timedelta(days=1, microseconds=1),
        ),
        row(
            id=first_id + 1,
            price=Decimal(7),
            # 'infinity', read back naive (asyncpg's decoding, on both paths)
            seen_at=datetime.datetime.max.replace(tzinfo=UTC)
            if infinite
            else datetime.datetime.now(UTC),
        ),
    ]


def _fields(item: Any) -> tuple[Any, ...]:
    """Every field with its type, so 1.5 and 1.500 (or 2 and 2.0) count as different."""
    values = [getattr(item, name) for name in item.__dataclass_fields__]
    return tuple((type(v).__name__, repr(v)) for v in values)


async def test_copy_returns_what_the_statement_returns(
    counting: CountingConnection, shapes: ModuleType
) -> None:
    spec = shapes.stored_forms.STORED_FORMS_TABLE
    by_copy = await ops.save_batch(as_session(counting, policy=COPY), spec, _forms(shapes, 1))
    # seen_on left None: its current_date is asked once; no BEGIN/COMMIT, nothing else
    assert counting.statements == [spec.copy.defaults_sql, "<copy stored_forms>"]
    by_statement = await ops.save_batch(
        as_session(counting, policy=STATEMENT), spec, _forms(shapes, 11)
    )
    assert counting.statements[2:] == [spec.sql.insert_batch]
    loaded = await ops.load_batch(counting, spec, [1, 2, 11, 12])
    for copied, stated, stored in zip(by_copy * 2, by_statement * 2, loaded, strict=True):
        assert stored is not None
        assert _fields(copied)[1:] == _fields(stated)[1:] == _fields(stored)[1:]
    first = by_copy[0]
    assert (first.ratio, first.price, first.grade, first.grades) == (
        0.10000000149011612,
        Decimal("1.500"),
        "ab  ",
        ["x ", "yz"],
    )
    assert first.seen_at == datetime.datetime(2026, 1, 1, 22, 4, 5, tzinfo=UTC)
    assert by_copy[1].seen_at == datetime.datetime.max  # infinity, read back naive


async def test_copy_fills_server_defaults_from_the_transaction(
    counting: CountingConnection, shapes: ModuleType
) -> None:
    plain = shapes.plain
    spec = plain.PLAIN_TABLE
    items = [
        plain.Plain(
            id=None, label="a", amount=Decimal("1"), currency="EUR", mood="calm", active=True
        ),
        plain.Plain(
            label="b",
            amount=Decimal("2.5"),
            currency="USD",
            mood="busy",
            active=False,
            created_at=datetime.datetime(2000, 1, 1, tzinfo=UTC),
        ),
    ]
    async with counting.conn.transaction():
        saved = await ops.save_batch(as_session(counting, policy=COPY), spec, items)
        now = await counting.conn.fetchval("SELECT now()")
    assert saved[0].created_at == now  # the transaction's own timestamp, as now() gives
    assert saved[1].created_at == datetime.datetime(2000, 1, 1, tzinfo=UTC)
    assert isinstance(saved[0].id, uuid.UUID) and saved[1].id == items[1].id
    assert saved[0].amount == Decimal("1.00") and str(saved[0].amount) == "1.00"
    stored = await ops.load_batch(counting, spec, [s.id for s in saved])
    assert stored == saved


async def test_copy_fails_like_the_statement_and_writes_nothing(
    counting: CountingConnection, shapes: ModuleType
) -> None:
    spec = shapes.stored_forms.STORED_FORMS_TABLE
    await ops.save_batch(counting, spec, _forms(shapes, 1)[1:])  # id 2 exists
    failures = []
    for policy in (COPY, STATEMENT):
        with pytest.raises(errors.UniqueViolationError) as failed:
            await ops.save_batch(as_session(counting, policy=policy), spec, _forms(shapes, 1))
        failures.append((failed.value.rows, failed.value.keys, failed.value.constraint))
    assert failures[0] == failures[1] == ([1], [2], "stored_forms_pkey")
    assert await counting.conn.fetchval("SELECT count(*) FROM stored_forms") == 1
    assert "<copy stored_forms>" in counting.statements


async def test_returning_false_counts_and_builds_nothing(
    counting: CountingConnection, shapes: ModuleType
) -> None:
    spec = shapes.stored_forms.STORED_FORMS_TABLE
    session = Session(counting, policy=COPY)
    forms = _forms(shapes, 1, infinite=False)
    assert await ops.save_batch(session, spec, forms, returning=False) == 2
    assert await ops.save_batch(session, spec, [], returning=False) == 0
    changed = [dict(vars_of(item), price=Decimal(9)) for item in forms]
    rows = [spec.entity(**fields) for fields in changed]
    assert await ops.update_batch(session, spec, rows, returning=False) == 2
    assert await ops.upsert_batch(session, spec, rows, returning=False) == 2
    prices = await counting.conn.fetch("SELECT price FROM stored_forms ORDER BY id")
    assert [r["price"] for r in prices] == [Decimal("9.000")] * 2
    with pytest.raises(errors.MissingRowsError):
        missing = spec.entity(**dict(changed[0], id=99))
        await ops.update_batch(session, spec, [missing], returning=False)


def vars_of(item: Any) -> dict[str, Any]:
    return {name: getattr(item, name) for name in item.__dataclass_fields__}


async def test_an_update_keeps_its_transaction_on_a_bare_connection(
    counting: CountingConnection, shapes: ModuleType
) -> None:
    """A missing row must undo the rows the statement did update, so updates keep BEGIN and
    COMMIT; inserts, upserts and deletes are one statement and go without."""
    spec = shapes.stored_forms.STORED_FORMS_TABLE
    forms = _forms(shapes, 1, infinite=False)
    saved = await ops.save_batch(Session(counting, policy=STATEMENT), spec, forms)
    counting.statements.clear()
    await ops.update_batch(counting, spec, saved)
    assert counting.statements[0] == "<transaction>"
    counting.statements.clear()
    await ops.upsert_batch(counting, spec, saved)
    await ops.delete_batch(counting, spec, [1, 2])
    assert "<transaction>" not in counting.statements
