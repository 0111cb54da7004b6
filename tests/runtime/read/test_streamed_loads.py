"""Streamed loads: ``stream_all`` yields every row through a cursor, ``load_stream`` answers a
stream of keys as ``load_batch`` answers a list, and both teach the cache what loads teach it."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from types import ModuleType
from typing import Any

import asyncpg
import pytest

from batchrepo import operations as ops
from batchrepo.cache.key_cache import shared_cache
from batchrepo.read.streamed import load_stream, stream_all
from batchrepo.session import as_session
from batchrepo.spec import TableSpec
from batchrepo.unit_of_work import UnitOfWork
from tests.runtime.builders import account, people, person
from tests.runtime.conftest import CountingConnection
from tests.runtime.tables import ACCOUNT, NOTE, PERSON, AccountKey, Note

# The hand-written person and account specs predate select_keys; streaming reads it.
STREAMED_PERSON = dataclasses.replace(
    PERSON, sql=dataclasses.replace(PERSON.sql, select_keys='SELECT "id" FROM "person" LIMIT $1')
)
STREAMED_ACCOUNT = dataclasses.replace(
    ACCOUNT,
    sql=dataclasses.replace(
        ACCOUNT.sql,
        select_keys='SELECT "branch_code", "account_number" FROM "account" LIMIT $1::int8',
    ),
)


# With select_all (as generated specs have it) the cursor reads the rows themselves.
STREAMED_PERSON_ROWS = dataclasses.replace(
    STREAMED_PERSON,
    sql=dataclasses.replace(
        STREAMED_PERSON.sql, select_all=PERSON.sql.select_batch.split("WHERE")[0].strip()
    ),
)


async def _all(stream: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in stream]


@pytest.mark.parametrize("chunk_size", [1, 3, 1000])
@pytest.mark.parametrize(
    "spec", [STREAMED_PERSON, STREAMED_PERSON_ROWS], ids=["by_keys", "by_rows"]
)
async def test_stream_all_yields_every_row_once(
    db: asyncpg.Pool, chunk_size: int, spec: TableSpec[Any, Any]
) -> None:
    saved = await ops.save_batch(db, PERSON, people(10))
    streamed = await _all(stream_all(db, spec, chunk_size=chunk_size))
    assert sorted(p.id for p in streamed) == sorted(p.id for p in saved)
    assert {p.id: p for p in streamed} == {p.id: p for p in saved}  # every column
    assert db.get_idle_size() == db.get_size()  # its connection is back in the pool


async def test_stream_all_of_an_empty_table_yields_nothing(db: asyncpg.Pool) -> None:
    assert await _all(stream_all(db, STREAMED_PERSON)) == []


async def test_stream_all_reads_composite_keys(db: asyncpg.Pool) -> None:
    owner = await ops.save_one(db, PERSON, person())
    saved = await ops.save_batch(db, ACCOUNT, [account(owner.id, n) for n in range(1, 6)])
    streamed = await _all(stream_all(db, STREAMED_ACCOUNT, chunk_size=2))
    assert sorted(a.account_number for a in streamed) == [a.account_number for a in saved]
    assert AccountKey("B001", 3) in shared_cache(db).entries("account")


async def test_stream_all_on_a_pool_reads_one_snapshot(db: asyncpg.Pool) -> None:
    await ops.save_batch(db, PERSON, people(6))
    seen = []
    async for found in stream_all(db, STREAMED_PERSON, chunk_size=2):
        if not seen:  # rows written and deleted meanwhile by others do not show
            await ops.save_batch(db, PERSON, people(3))
            await db.execute('DELETE FROM "person" WHERE "id" <> $1', found.id)
        seen.append(found.id)
    assert len(seen) == 6 and len(set(seen)) == 6


async def test_stream_all_inside_a_callers_transaction_sees_its_rows_and_keeps_it_open(
    conn: asyncpg.Connection, db: asyncpg.Pool
) -> None:
    async with conn.transaction():
        await ops.save_batch(conn, PERSON, people(4))
        assert len(await _all(stream_all(conn, STREAMED_PERSON, chunk_size=3))) == 4
        assert conn.is_in_transaction()
        await ops.save_one(conn, PERSON, person())
    assert int(await db.fetchval('SELECT count(*) FROM "person"')) == 5


async def test_stream_all_in_a_unit_of_work_may_write_between_chunks(db: asyncpg.Pool) -> None:
    await ops.save_batch(db, PERSON, people(5))
    async with UnitOfWork(db, actor="importer") as uow:
        renamed = 0
        async for found in stream_all(uow.session, STREAMED_PERSON, chunk_size=2):
            found.display_name = "renamed"
            await ops.update_one(uow.session, PERSON, found)
            renamed += 1
    assert renamed == 5
    names = await db.fetch('SELECT DISTINCT "display_name" FROM "person"')
    assert [r[0] for r in names] == ["renamed"]


async def test_leaving_a_stream_early_gives_its_connection_back(db: asyncpg.Pool) -> None:
    await ops.save_batch(db, PERSON, people(5))
    async with aclosing(stream_all(db, STREAMED_PERSON, chunk_size=2)) as stream:
        async for _found in stream:
            break
    assert db.get_idle_size() == db.get_size()
    assert len(await _all(stream_all(db, STREAMED_PERSON))) == 5


async def test_stream_all_teaches_the_cache_what_load_batch_teaches(db: asyncpg.Pool) -> None:
    rows = [Note(id=n, title=f"note {n}") for n in range(7)]
    session = as_session(db, actor="tester")
    await ops.save_batch(session, NOTE, rows)
    await ops.update_batch(session, NOTE, [dataclasses.replace(rows[2], title="moved")])
    cache = shared_cache(db)
    cache.clear()
    await ops.load_batch(db, NOTE, [r.id for r in rows])
    loaded = cache.entries("note")
    cache.clear()
    await _all(stream_all(db, NOTE, chunk_size=3))
    assert cache.entries("note") == loaded and loaded[2] == 2  # keys with their versions


@pytest.mark.parametrize("source", ["list", "generator", "async generator"])
async def test_load_stream_answers_as_load_batch_does(db: asyncpg.Pool, source: str) -> None:
    saved = await ops.save_batch(db, PERSON, people(5))
    keys = [saved[3].id, uuid.uuid4(), saved[0].id, saved[3].id, *(s.id for s in saved)]
    cache = shared_cache(db)
    cache.clear()
    expected = await ops.load_batch(db, PERSON, keys)
    learned = cache.entries("person")
    cache.clear()

    async def produce() -> AsyncIterator[uuid.UUID]:
        for key in keys:
            await asyncio.sleep(0)
            yield key

    given: Any = {"list": keys, "generator": iter(keys), "async generator": produce()}[source]
    assert await _all(load_stream(db, PERSON, given, chunk_size=3)) == expected
    assert cache.entries("person") == learned


async def test_streams_refuse_what_they_cannot_serve_when_called(
    db: asyncpg.Pool, counting: CountingConnection
) -> None:
    with pytest.raises(TypeError, match="person has no select_keys statement"):
        stream_all(db, PERSON)
    with pytest.raises(ValueError, match="chunk_size must be at least 1, not 0"):
        stream_all(db, STREAMED_PERSON, chunk_size=0)
    with pytest.raises(ValueError, match="chunk_size must be at least 1, not 0"):
        load_stream(db, PERSON, [], chunk_size=0)
    with pytest.raises(TypeError, match=r"person: the keys to load must be .* not int"):
        load_stream(db, PERSON, 7)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="streaming needs an asyncpg pool or connection"):
        await _all(stream_all(counting, STREAMED_PERSON))
    assert counting.statements == []


async def test_generated_repositories_stream(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    customers = audited.CustomerRepository(audited_pool, actor="importer")
    saved = await customers.save_batch([audited.Customer(name=n) for n in "abcde"])
    streamed = await _all(customers.stream_all(chunk_size=2))
    assert sorted(c.id for c in streamed) == sorted(c.id for c in saved)
    keys = [saved[4].id, uuid.uuid4()]
    assert await _all(customers.load_stream(iter(keys))) == [saved[4], None]
