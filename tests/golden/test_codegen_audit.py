"""The audited statements of the golden case ``audited`` on a real PostgreSQL, run directly with
asyncpg (arguments as the runtime encodes them, the audit log id passed last), so each statement
is held to its contract (docs/units-of-work.md, "Statements of audited tables") on its own:
versions, history rows written in the same statement, unchanged rows skipped, stale versions.
The last test runs the generated ``UnitOfWork`` through the runtime.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from decimal import Decimal
from types import ModuleType
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from batchrepo.db.arguments import (
    batch_arguments,
    decoded_rows,
    key_arrays,
    key_values,
    row_arguments,
)
from batchrepo.spec import TableSpec
from tests.golden.kinds import CODEGEN

CASE = "audited"


@pytest.fixture(scope="module")
def audited() -> Iterator[ModuleType]:
    sys.path.insert(0, str(CODEGEN.expected_dir(CASE)))
    try:
        yield importlib.import_module("audited")
    finally:
        sys.path.remove(str(CODEGEN.expected_dir(CASE)))


@pytest_asyncio.fixture(loop_scope="module")
async def conn(database_url: str, audited: ModuleType) -> AsyncIterator[asyncpg.Connection]:
    """A connection to a fresh copy of the schema (one PostgreSQL schema per test)."""
    admin = await asyncpg.connect(database_url)
    name = f"audit_{id(admin)}"
    await admin.execute(f'CREATE SCHEMA "{name}"')
    connection = await asyncpg.connect(database_url, server_settings={"search_path": name})
    try:
        await connection.execute(audited.ddl())
        yield connection
    finally:
        await connection.close()
        await admin.execute(f'DROP SCHEMA "{name}" CASCADE')
        await admin.close()


def spec_of(audited: ModuleType, table: str) -> TableSpec[Any, Any]:
    spec: TableSpec[Any, Any] = getattr(
        importlib.import_module(f"audited.{table}"), table.upper() + "_TABLE"
    )
    return spec


async def open_log(conn: asyncpg.Connection, spec: TableSpec[Any, Any], actor: str) -> int:
    assert spec.audit is not None
    log_id: int = await conn.fetchval(spec.audit.insert_log_sql, actor)
    return log_id


def entities(spec: TableSpec[Any, Any], records: Sequence[Any]) -> list[Any]:
    return [spec.from_record(r) for r in decoded_rows(spec, records)]


async def insert_batch(
    conn: asyncpg.Connection, spec: TableSpec[Any, Any], items: list[Any], log: int
) -> list[Any]:
    arguments = batch_arguments(spec, spec.to_columns(items), spec.insert_columns)
    return entities(spec, await conn.fetch(spec.sql.insert_batch, *arguments, log))


async def insert_one(
    conn: asyncpg.Connection, spec: TableSpec[Any, Any], item: Any, log: int
) -> Any:
    arguments = row_arguments(spec, spec.to_columns([item]), spec.insert_columns, 0)
    return entities(spec, [await conn.fetchrow(spec.sql.insert_one, *arguments, log)])[0]


async def update_batch(
    conn: asyncpg.Connection, spec: TableSpec[Any, Any], items: list[Any], log: int
) -> list[Any]:
    assert spec.sql.update_batch is not None
    arguments = batch_arguments(spec, spec.to_columns(items), range(len(spec.columns)))
    return entities(spec, await conn.fetch(spec.sql.update_batch, *arguments, log))


async def update_one(
    conn: asyncpg.Connection, spec: TableSpec[Any, Any], item: Any, log: int
) -> list[Any]:
    """The rows the statement returns (none or one)."""
    assert spec.sql.update_one is not None
    arguments = row_arguments(spec, spec.to_columns([item]), range(len(spec.columns)), 0)
    return entities(spec, await conn.fetch(spec.sql.update_one, *arguments, log))


async def history(conn: asyncpg.Connection, spec: TableSpec[Any, Any]) -> list[tuple[Any, ...]]:
    """(snapshot as an entity, version, operation, audit log id) of every history row, in
    the order written."""
    assert spec.audit is not None
    snapshot = ", ".join(f'"{c.name}"' for c in spec.columns)
    records = await conn.fetch(
        f'SELECT {snapshot}, "operation"::text, "audit_log_id" FROM "{spec.audit.history_table}" '
        'ORDER BY "history_id"'
    )
    width = len(spec.columns)
    rows = entities(spec, [r[:width] for r in records])
    return [
        (row, row.version, r[width], r[width + 1]) for row, r in zip(rows, records, strict=True)
    ]


async def stored(conn: asyncpg.Connection, spec: TableSpec[Any, Any], keys: list[Any]) -> list[Any]:
    records = await conn.fetch(spec.sql.select_batch, *key_arrays(spec, keys))
    by_key = {spec.key_of(row): row for row in entities(spec, records)}
    return [by_key.get(key) for key in keys]


async def customers(
    conn: asyncpg.Connection, audited: ModuleType, log: int, count: int
) -> list[Any]:
    spec = spec_of(audited, "customer")
    items = [audited.Customer(name=f"c{i}", email=f"c{i}@example.org") for i in range(count)]
    return await insert_batch(conn, spec, items, log)


async def test_inserts_start_at_version_one_and_record_each_row(
    conn: asyncpg.Connection, audited: ModuleType
) -> None:
    customer, entry, position = (
        spec_of(audited, t) for t in ("customer", "ledger_entry", "position")
    )
    log = await open_log(conn, customer, "importer")
    people = await customers(conn, audited, log, 2)
    assert [p.version for p in people] == [1, 1]
    assert [p.name for p in people] == ["c0", "c1"]
    account = await insert_one(
        conn,
        spec_of(audited, "account"),
        audited.Account(customer_id=people[0].id, balance=Decimal("10.00")),
        log,
    )
    assert account.version == 1
    entries = await insert_batch(
        conn,
        entry,
        [audited.LedgerEntry(account_id=account.id, amount=Decimal(n)) for n in (1, 2)],
        log,
    )
    assert [e.id is not None and e.version == 1 for e in entries] == [True, True]
    held = await insert_one(
        conn,
        position,
        audited.Position(account_id=account.id, instrument="XS1", quantity=3, tags=["a", None]),
        log,
    )
    assert held.tags == ["a", None] and held.updated_at is not None and held.version == 1
    assert await history(conn, customer) == [(p, 1, "insert", log) for p in people]
    assert await history(conn, entry) == [(e, 1, "insert", log) for e in entries]
    assert await history(conn, position) == [(held, 1, "insert", log)]
    assert await conn.fetchval('SELECT actor FROM "audit_log" WHERE id = $1', log) == "importer"


async def test_update_moves_changed_rows_on_and_skips_unchanged_ones(
    conn: asyncpg.Connection, audited: ModuleType
) -> None:
    spec = spec_of(audited, "customer")
    first = await open_log(conn, spec, "importer")
    a, b, c = await customers(conn, audited, first, 3)
    second = await open_log(conn, spec, "editor")
    a.name = "renamed"  # changed, version checked
    c.email = None  # changed, no version check
    c.version = None
    returned = await update_batch(conn, spec, [a, b, c], second)
    by_key = {row.id: row for row in returned}
    assert len(returned) == 3
    assert (by_key[a.id].name, by_key[a.id].version) == ("renamed", 2)
    assert by_key[b.id] == b  # unchanged: as stored, still version 1
    assert (by_key[c.id].email, by_key[c.id].version) == (None, 2)
    updates = [h for h in await history(conn, spec) if h[2] == "update"]
    assert sorted(updates, key=lambda h: h[0].name) == sorted(
        [(by_key[a.id], 2, "update", second), (by_key[c.id], 2, "update", second)],
        key=lambda h: h[0].name,
    )
    # single row: unchanged returns the stored row, changed moves on once more
    assert await update_one(conn, spec, by_key[b.id], second) == [b]
    b.name = "b again"
    (again,) = await update_one(conn, spec, b, second)
    assert (again.name, again.version) == ("b again", 2)
    assert len(await history(conn, spec)) == 3 + 3


async def test_server_default_none_keeps_the_row_unchanged(
    conn: asyncpg.Connection, audited: ModuleType
) -> None:
    """None in a server-default column keeps the stored value, so it changes nothing."""
    log = await open_log(conn, spec_of(audited, "customer"), "importer")
    (person,) = await customers(conn, audited, log, 1)
    account = await insert_one(
        conn,
        spec_of(audited, "account"),
        audited.Account(customer_id=person.id, balance=Decimal(1)),
        log,
    )
    spec = spec_of(audited, "position")
    held = await insert_one(
        conn,
        spec,
        audited.Position(account_id=account.id, instrument="XS1", quantity=3, tags=None),
        log,
    )
    same = audited.Position(
        account_id=account.id, instrument="XS1", quantity=3, tags=None, updated_at=None
    )
    assert await update_batch(conn, spec, [same], log) == [held]
    same.tags = []
    (changed,) = await update_batch(conn, spec, [same], log)
    assert (changed.tags, changed.version, changed.updated_at) == ([], 2, held.updated_at)
    same.details = {"a": [1, None]}
    same.version = 2
    (changed,) = await update_batch(conn, spec, [same], log)
    assert (changed.details, changed.version) == ({"a": [1, None]}, 3)
    assert await update_batch(conn, spec, [same], log) == []  # stale now: stored at 3
    same.version = None
    assert await update_batch(conn, spec, [same], log) == [changed]
    assert [h[1:3] for h in await history(conn, spec)] == [
        (1, "insert"),
        (2, "update"),
        (3, "update"),
    ]


async def test_a_stale_version_writes_and_returns_nothing(
    conn: asyncpg.Connection, audited: ModuleType
) -> None:
    spec = spec_of(audited, "customer")
    log = await open_log(conn, spec, "importer")
    a, b = await customers(conn, audited, log, 2)
    a.version = b.version = 7
    a.name = "changed"  # stale and changed; b is stale and unchanged
    assert await update_batch(conn, spec, [a, b], log) == []
    assert await update_one(conn, spec, a, log) == []
    assert [row.name for row in await stored(conn, spec, [a.id, b.id])] == ["c0", "c1"]
    assert len(await history(conn, spec)) == 2


async def test_delete_checks_versions_and_records_the_last_snapshot(
    conn: asyncpg.Connection, audited: ModuleType
) -> None:
    spec = spec_of(audited, "customer")
    log = await open_log(conn, spec, "importer")
    rows = await customers(conn, audited, log, 5)
    keys = [row.id for row in rows]
    gone = await open_log(conn, spec, "cleaner")
    deleted = await conn.fetchval(spec.sql.delete_batch, keys[:3], [1, 2, None], gone)
    assert deleted == 2  # the second row is stored at version 1, not 2
    assert (
        await conn.fetchval(spec.sql.delete_batch, keys[3:4], None, gone) == 1
    )  # NULL: any version
    assert await conn.fetchrow(spec.sql.delete_one, *key_values(spec, keys[4]), 3, gone) is None
    assert (await conn.fetchrow(spec.sql.delete_one, *key_values(spec, keys[4]), 1, gone))[
        0
    ] == keys[4]
    assert [row is not None for row in await stored(conn, spec, keys)] == [
        False,
        True,
        False,
        False,
        False,
    ]
    deletes = [h for h in await history(conn, spec) if h[2] == "delete"]
    assert [(h[0].id, h[0].name, h[1], h[3]) for h in deletes] == [
        (row.id, row.name, 2, gone) for row in (rows[0], rows[2], rows[3], rows[4])
    ]


async def test_composite_keys_delete_by_key_and_version(
    conn: asyncpg.Connection, audited: ModuleType
) -> None:
    log = await open_log(conn, spec_of(audited, "customer"), "importer")
    (person,) = await customers(conn, audited, log, 1)
    account = await insert_one(
        conn,
        spec_of(audited, "account"),
        audited.Account(customer_id=person.id, balance=Decimal(1)),
        log,
    )
    spec = spec_of(audited, "position")
    held = await insert_batch(
        conn,
        spec,
        [audited.Position(account_id=account.id, instrument=i, quantity=1) for i in ("A", "B")],
        log,
    )
    keys = [spec.key_of(row) for row in held]
    assert await conn.fetchval(spec.sql.delete_batch, *key_arrays(spec, keys), [2, 1], log) == 1
    assert await stored(conn, spec, keys) == [held[0], None]
    assert [h[1:3] for h in await history(conn, spec)] == [
        (1, "insert"),
        (1, "insert"),
        (2, "delete"),
    ]


async def test_select_keys_returns_keys_and_versions(
    conn: asyncpg.Connection, audited: ModuleType
) -> None:
    spec = spec_of(audited, "customer")
    log = await open_log(conn, spec, "importer")
    rows = await customers(conn, audited, log, 3)
    assert sorted(tuple(r) for r in await conn.fetch(spec.sql.select_keys, 10)) == sorted(
        (row.id, 1) for row in rows
    )
    assert len(await conn.fetch(spec.sql.select_keys, 2)) == 2
    note = spec_of(audited, "note")
    assert note.audit is None
    assert note.sql.select_keys == 'SELECT "id"\nFROM "note"\nLIMIT $1::int8'


async def test_the_unit_of_work_hands_out_repositories_in_its_transaction(
    conn: asyncpg.Connection, audited: ModuleType
) -> None:
    async with audited.UnitOfWork(conn, actor="unit") as uow:
        person = await uow.customer.save(audited.Customer(name="Ada"))
        await uow.note.save(audited.Note(id=1, customer_id=person.id, body="hello"))
        assert isinstance(uow.account, audited.AccountRepository)
    logs = await conn.fetch('SELECT id, actor FROM "audit_log"')
    assert [log["actor"] for log in logs] == ["unit"]
    assert await history(conn, spec_of(audited, "customer")) == [
        (person, 1, "insert", logs[0]["id"])
    ]
