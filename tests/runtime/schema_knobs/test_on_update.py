"""Columns kept current (``on_update: now()``): every generated update path sets them in the
statement itself, ignores the value the caller put in the entity and returns the database's.

Driven on the golden ``shapes`` package (``plain.touched_at``: no server default, so an insert
stores the value given) and ``audited`` (``account.changed_at``: server default too, history
rows carry the new value, an update that changes nothing writes nothing and moves no clock).
Each write runs in a transaction that first reads ``now()``: the column must hold exactly it.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from types import ModuleType
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from batchrepo import cache_entities
from batchrepo.cache.key_cache import KeyCache
from batchrepo.session import Session
from batchrepo.unit_of_work import UnitOfWork
from tests.golden.kinds import CODEGEN
from tests.property.packages import import_from
from tests.runtime.conftest import audited_schema_pool

INSERTED = datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
GIVEN = datetime.datetime(2022, 6, 7, 8, 9, 10, tzinfo=datetime.UTC)


@pytest.fixture(scope="module")
def shapes() -> ModuleType:
    return import_from(CODEGEN.expected_dir("shapes"), "shapes")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shapes_pool(database_url: str, shapes: ModuleType) -> AsyncIterator[asyncpg.Pool]:
    # audited_schema_pool only runs the package's DDL in a schema of its own
    async with audited_schema_pool(database_url, shapes, "on_update_shapes") as pool:
        yield pool


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def audited_pool(database_url: str, audited: ModuleType) -> AsyncIterator[asyncpg.Pool]:
    async with audited_schema_pool(database_url, audited, "on_update_audited") as pool:
        yield pool


@asynccontextmanager
async def _transaction(
    pool: asyncpg.Pool,
) -> AsyncIterator[tuple[asyncpg.Connection, datetime.datetime]]:
    """A connection in a transaction, and that transaction's ``now()``."""
    async with pool.acquire() as conn, conn.transaction():
        yield conn, await conn.fetchval("SELECT now()")


def _plains(shapes: ModuleType, count: int) -> list[Any]:
    return [
        shapes.Plain(
            label=f"row {i}",
            amount=Decimal("1.50"),
            currency="EUR",
            mood=shapes.Mood.CALM,
            active=True,
            touched_at=INSERTED,
        )
        for i in range(count)
    ]


async def _stored(pool: asyncpg.Pool, ids: list[uuid.UUID]) -> list[datetime.datetime]:
    rows = await pool.fetch('SELECT "id", "touched_at" FROM "plain" WHERE "id" = ANY($1)', ids)
    by_id = {row["id"]: row["touched_at"] for row in rows}
    return [by_id[i] for i in ids]


Write = Callable[[Any, list[Any]], Awaitable[list[Any]]]


async def _each(repo: Any, items: list[Any], **options: Any) -> list[Any]:
    return [await repo.update(item, **options) for item in items]


async def _chunked(repo: Any, items: list[Any]) -> list[Any]:
    result = await repo.update_batch_chunked(items, chunk_size=2)
    assert result.ok
    return list(result.items)


async def _upsert_each(repo: Any, items: list[Any]) -> list[Any]:
    return [await repo.upsert(item) for item in items]


UPDATES: dict[str, Write] = {
    "update": _each,
    "update_batch": lambda repo, items: repo.update_batch(items),
    "update_columns": lambda repo, items: _each(repo, items, columns=["label"]),
    "update_batch_columns": lambda repo, items: repo.update_batch(items, columns=["label"]),
    "update_batch_chunked": _chunked,
    "upsert": _upsert_each,
    "upsert_batch": lambda repo, items: repo.upsert_batch(items),
}


@pytest.mark.parametrize("path", list(UPDATES), ids=list(UPDATES))
async def test_every_update_path_sets_the_column_to_now(
    shapes_pool: asyncpg.Pool, shapes: ModuleType, path: str
) -> None:
    saved = await shapes.PlainRepository(shapes_pool).save_batch(_plains(shapes, 3))
    assert [s.touched_at for s in saved] == [INSERTED] * 3
    for item in saved:
        item.label = "changed"
        item.touched_at = GIVEN  # ignored: the statement sets the clock
    async with _transaction(shapes_pool) as (conn, now):
        written = await UPDATES[path](shapes.PlainRepository(conn), saved)
    assert [(w.label, w.touched_at) for w in written] == [("changed", now)] * 3
    assert await _stored(shapes_pool, [s.id for s in saved]) == [now] * 3


@pytest.mark.parametrize("batch", [False, True], ids=["upsert", "upsert_batch"])
async def test_an_upsert_that_inserts_stores_the_value_given(
    shapes_pool: asyncpg.Pool, shapes: ModuleType, batch: bool
) -> None:
    new = _plains(shapes, 2)
    repo = shapes.PlainRepository(shapes_pool)
    written = await (repo.upsert_batch(new) if batch else _upsert_each(repo, new))
    assert [w.touched_at for w in written] == [INSERTED] * 2


async def test_none_on_update_is_accepted_and_ignored(
    shapes_pool: asyncpg.Pool, shapes: ModuleType
) -> None:
    (saved,) = await shapes.PlainRepository(shapes_pool).save_batch(_plains(shapes, 1))
    saved.touched_at = None
    async with _transaction(shapes_pool) as (conn, now):
        updated = await shapes.PlainRepository(conn).update(saved)
    assert updated.touched_at == now


async def _account(audited: ModuleType, pool: asyncpg.Pool) -> Any:
    customer = await audited.CustomerRepository(pool, actor="test").save(audited.Customer(name="c"))
    return await audited.AccountRepository(pool, actor="test").save(
        audited.Account(customer_id=customer.id, balance=Decimal("10.00"))
    )


@pytest.mark.parametrize("batch", [False, True], ids=["update", "update_batch"])
async def test_audited_history_carries_the_new_value(
    audited_pool: asyncpg.Pool, audited: ModuleType, batch: bool
) -> None:
    account = await _account(audited, audited_pool)
    inserted = account.changed_at
    account.balance = Decimal("20.00")
    account.changed_at = GIVEN
    async with _transaction(audited_pool) as (conn, now):
        repo = audited.AccountRepository(conn, actor="test")
        (updated,) = await repo.update_batch([account]) if batch else [await repo.update(account)]
    assert (updated.changed_at, updated.version) == (now, 2)
    history = await audited_pool.fetch(
        'SELECT "version", "changed_at" FROM "account_history" WHERE "id" = $1 ORDER BY 1',
        account.id,
    )
    assert [(h["version"], h["changed_at"]) for h in history] == [(1, inserted), (2, now)]


@pytest.mark.parametrize("batch", [False, True], ids=["update", "update_batch"])
async def test_audited_update_that_changes_nothing_moves_no_clock(
    audited_pool: asyncpg.Pool, audited: ModuleType, batch: bool
) -> None:
    account = await _account(audited, audited_pool)
    before = account.changed_at
    account.changed_at = GIVEN
    async with _transaction(audited_pool) as (conn, _now):
        repo = audited.AccountRepository(conn, actor="test")
        (same,) = await repo.update_batch([account]) if batch else [await repo.update(account)]
    assert (same.changed_at, same.version) == (before, 1)


@pytest.mark.parametrize("in_unit", [False, True], ids=["pool", "unit_of_work"])
async def test_the_entity_cache_serves_the_databases_value_after_an_update(
    shapes_pool: asyncpg.Pool, shapes: ModuleType, in_unit: bool
) -> None:
    cache = KeyCache()
    cache_entities(cache, shapes.plain.PLAIN_TABLE, ttl=60)
    repo = shapes.PlainRepository(Session(shapes_pool, cache=cache))
    (saved,) = await repo.save_batch(_plains(shapes, 1))
    assert (await repo.load(saved.id)).touched_at == INSERTED  # now held
    saved.touched_at = GIVEN
    if in_unit:
        async with UnitOfWork(shapes_pool, actor="t", cache=cache) as uow:
            updated = await shapes.PlainRepository(uow.session).update(saved)
            assert (await shapes.PlainRepository(uow.session).load(saved.id)) == updated
    else:
        updated = await repo.update(saved)
    assert updated.touched_at not in (INSERTED, GIVEN)
    assert await repo.load(saved.id) == updated
