"""The executor interface and atomic blocks, on a real pool and connection."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from asyncpg.pool import PoolConnectionProxy

from batchrepo.db.executor import Connection, Executor, acquire, atomic
from tests.runtime.conftest import CountingConnection


def _conforming(
    pool: asyncpg.Pool, connection: asyncpg.Connection, proxy: PoolConnectionProxy
) -> list[Executor]:
    """Type-checked by ``mypy tests/runtime``: all three satisfy the protocols structurally."""
    sessions: list[Connection] = [connection, proxy]
    return [pool, connection, proxy, *sessions]


async def test_pool_connection_and_proxy_are_executors(db: asyncpg.Pool, database_url: str) -> None:
    direct = await asyncpg.connect(database_url)
    try:
        async with db.acquire() as proxy:
            executors = _conforming(db, direct, proxy)
            assert all(isinstance(e, Executor) for e in executors)
            assert [isinstance(e, Connection) for e in executors[:3]] == [False, True, True]
            for executor in executors:
                assert await executor.fetchval("SELECT 40 + $1::int", 2) == 42
    finally:
        await direct.close()


async def test_acquire_lends_a_pool_connection_and_gives_it_back(db: asyncpg.Pool) -> None:
    async with acquire(db) as conn:
        assert isinstance(conn, PoolConnectionProxy)
        pid = await conn.fetchval("SELECT pg_backend_pid()")
        assert await conn.fetchval("SELECT pg_backend_pid()") == pid  # one session throughout
    async with db.acquire() as proxy, acquire(proxy) as same:
        assert same is proxy


async def test_acquire_refuses_what_cannot_open_transactions() -> None:
    class QueryOnly:
        async def execute(self, query: str, *args: object) -> str:
            return ""

        async def fetch(self, query: str, *args: object) -> list[object]:
            return []

        async def fetchrow(self, query: str, *args: object) -> object:
            return None

        async def fetchval(self, query: str, *args: object) -> object:
            return None

    with pytest.raises(TypeError, match="QueryOnly is neither an asyncpg pool nor a connection"):
        async with acquire(QueryOnly()):
            pass


async def test_atomic_commits_or_rolls_back_as_a_whole(db: asyncpg.Pool) -> None:
    await db.execute("CREATE TABLE IF NOT EXISTS atomic_probe (n int)")
    await db.execute("TRUNCATE atomic_probe")
    async with atomic(db) as conn:
        assert conn.is_in_transaction()
        await conn.execute("INSERT INTO atomic_probe VALUES (1)")
    with pytest.raises(RuntimeError, match="abandon"):
        async with atomic(db) as conn:
            await conn.execute("INSERT INTO atomic_probe VALUES (2)")
            raise RuntimeError("abandon")
    assert [r[0] for r in await db.fetch("SELECT n FROM atomic_probe")] == [1]


async def test_atomic_inside_a_transaction_is_a_savepoint(conn: asyncpg.Connection) -> None:
    await conn.execute("CREATE TABLE IF NOT EXISTS atomic_probe (n int)")
    await conn.execute("TRUNCATE atomic_probe")
    counting = CountingConnection(conn)
    async with conn.transaction():
        await conn.execute("INSERT INTO atomic_probe VALUES (1)")
        with pytest.raises(asyncpg.DivisionByZeroError):
            async with atomic(conn):
                await conn.execute("INSERT INTO atomic_probe VALUES (2)")
                await conn.execute("SELECT 1 / 0")
        # the caller's transaction is still usable: only the savepoint rolled back
        await conn.execute("INSERT INTO atomic_probe VALUES (3)")
        async with atomic(counting):
            await counting.execute("INSERT INTO atomic_probe VALUES (4)")
    assert [r[0] for r in await conn.fetch("SELECT n FROM atomic_probe ORDER BY n")] == [1, 3, 4]


async def test_atomic_inside_a_plain_begin_sets_its_own_savepoint(
    conn: asyncpg.Connection,
) -> None:
    await conn.execute("CREATE TABLE IF NOT EXISTS atomic_probe (n int)")
    await conn.execute("TRUNCATE atomic_probe")
    counting = CountingConnection(conn)
    await conn.execute("BEGIN")
    try:
        await conn.execute("INSERT INTO atomic_probe VALUES (1)")
        with pytest.raises(asyncpg.DivisionByZeroError):
            async with atomic(counting):
                await conn.execute("INSERT INTO atomic_probe VALUES (2)")
                await conn.execute("SELECT 1 / 0")
        assert conn.is_in_transaction()
        await conn.execute("INSERT INTO atomic_probe VALUES (3)")
    finally:
        await conn.execute("COMMIT")
    assert [r[0] for r in await conn.fetch("SELECT n FROM atomic_probe ORDER BY n")] == [1, 3]
    savepoint = [s for s in counting.statements if s.startswith("SAVEPOINT")]
    assert len(savepoint) == 1 and savepoint[0].startswith("SAVEPOINT batchrepo_")
    assert counting.statements[-2:] == [
        "ROLLBACK TO SAVEPOINT " + savepoint[0].split()[-1],
        "RELEASE SAVEPOINT " + savepoint[0].split()[-1],
    ]


class _RollbackFails(CountingConnection):
    """A real connection whose ROLLBACK TO SAVEPOINT names a savepoint that does not exist, so
    the server refuses it (3B001), as it can refuse one that a late cancel request hits."""

    async def execute(self, query: str, *args: object) -> str:
        if query.startswith("ROLLBACK TO SAVEPOINT"):
            query = "ROLLBACK TO SAVEPOINT no_such_savepoint"
        return await super().execute(query, *args)


async def test_a_cancellation_survives_a_failing_rollback_to_savepoint(
    conn: asyncpg.Connection,
) -> None:
    # A cancelled task must see CancelledError, whatever the cleanup meets; before, the
    # rollback's error replaced it and the task carried on as if never cancelled.
    failing = _RollbackFails(conn)
    await conn.execute("BEGIN")
    try:
        with pytest.raises(asyncio.CancelledError) as caught:
            async with atomic(failing):
                raise asyncio.CancelledError
        assert "rolling back to savepoint batchrepo_" in caught.value.__notes__[0]
        assert "InvalidSavepointSpecificationError" in caught.value.__notes__[0]
    finally:
        await conn.execute("ROLLBACK")


async def test_an_error_meets_a_failing_rollback_to_savepoint_as_before(
    conn: asyncpg.Connection,
) -> None:
    failing = _RollbackFails(conn)
    await conn.execute("BEGIN")
    try:
        with pytest.raises(asyncpg.InvalidSavepointSpecificationError) as caught:
            async with atomic(failing):
                await conn.execute("SELECT 1 / 0")
        assert isinstance(caught.value.__context__, asyncpg.DivisionByZeroError)
    finally:
        await conn.execute("ROLLBACK")
