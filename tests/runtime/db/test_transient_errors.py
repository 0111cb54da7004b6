"""Each transient failure produced for real on PostgreSQL, inside a unit of work: its batchrepo
class, nothing of the unit half-written, nothing of it in the key cache, no callback run; and
what run_unit makes of it (the attempt that commits is the one the cache and callbacks see).

40001 from two serializable transactions writing the same row, 40P01 from two transactions
locking rows in opposite order, 55P03 from the unit's lock_timeout, 0A000 from a concurrent
ALTER TABLE ... TYPE, a backend terminated before and during a statement, 57014 from the unit's
statement_timeout (not transient)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

import batchrepo
from batchrepo import errors
from batchrepo import operations as ops
from batchrepo.cache.key_cache import KeyCache
from batchrepo.unit_of_work import UnitOfWork
from tests.runtime.builders import people, person
from tests.runtime.tables import PERSON, Person

Work = Callable[[UnitOfWork], Awaitable[Any]]

#: Seconds a test may wait for the server to reach a state (a lock wait, a gone backend).
PATIENCE = 10.0


@pytest_asyncio.fixture(loop_scope="module")
async def serializable(database_url: str, db: asyncpg.Pool) -> AsyncIterator[asyncpg.Pool]:
    """A pool whose transactions are SERIALIZABLE and detect deadlocks after 50 ms."""
    settings = {"default_transaction_isolation": "serializable", "deadlock_timeout": "50ms"}
    pool = await asyncpg.create_pool(database_url, min_size=2, max_size=4, server_settings=settings)
    try:
        yield pool
    finally:
        await pool.close()


async def _count(db: asyncpg.Pool) -> int:
    return int(await db.fetchval('SELECT count(*) FROM "person"'))


async def _waiting_for_a_lock(db: asyncpg.Pool) -> None:
    query = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with asyncio.timeout(PATIENCE):
        while not await db.fetchval(query):  # noqa: ASYNC110 - polls the server, no event
            await asyncio.sleep(0.01)


async def _terminate(db: asyncpg.Pool, pid: int) -> None:
    await db.execute("SELECT pg_terminate_backend($1)", pid)
    async with asyncio.timeout(PATIENCE):
        while await db.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def _failing_unit(
    pool: asyncpg.Pool, work: Work, cache: KeyCache, ran: list[str], **options: Any
) -> BaseException:
    """Run ``work`` in a unit that writes a bystander row first; return what it raised."""
    try:
        async with UnitOfWork(pool, actor="importer", cache=cache, **options) as uow:
            uow.after_commit(lambda: ran.append("after commit"))
            await ops.save_one(uow.session, PERSON, person(display_name="bystander"))
            await work(uow)
    except Exception as failure:
        return failure
    raise AssertionError("the unit of work committed")


def _untouched(cache: KeyCache, ran: list[str]) -> None:
    assert ran == [] and cache.size("person") == 0


async def test_a_serialization_failure(serializable: asyncpg.Pool, db: asyncpg.Pool) -> None:
    [row] = await ops.save_batch(db, PERSON, [person()])
    other_committed = asyncio.Event()

    async def update_after_the_other(uow: UnitOfWork) -> None:
        current = await ops.load_one(uow.session, PERSON, row.id)  # takes the snapshot
        assert current is not None
        if not other_committed.is_set():
            async with serializable.acquire() as other, other.transaction():
                await other.execute('UPDATE "person" SET "balance" = 1 WHERE "id" = $1', row.id)
            other_committed.set()
        current.display_name = "changed by the unit"
        await ops.update_one(uow.session, PERSON, current)

    cache, ran = KeyCache(), []
    failure = await _failing_unit(serializable, update_after_the_other, cache, ran)
    assert type(failure) is errors.SerializationFailureError and failure.sqlstate == "40001"
    assert isinstance(failure.__cause__, asyncpg.SerializationError)
    _untouched(cache, ran)
    assert await _count(db) == 1  # the bystander row is gone with the unit

    other_committed.clear()
    done = await batchrepo.run_unit(
        serializable, _then_record(update_after_the_other, ran), actor="importer", cache=cache
    )
    assert done == 2 and ran == ["after commit"]
    assert cache.lookup("person", [row.id]) == [True]


def _then_record(work: Work, ran: list[str]) -> Work:
    attempts = 0

    async def counted(uow: UnitOfWork) -> int:
        nonlocal attempts
        attempts += 1
        uow.after_commit(lambda: ran.append("after commit"))
        await work(uow)
        return attempts

    return counted


async def test_a_deadlock(serializable: asyncpg.Pool, db: asyncpg.Pool) -> None:
    first, second = await ops.save_batch(db, PERSON, people(2))
    both_locked = asyncio.Barrier(2)
    outcomes: list[BaseException | None] = []

    async def lock(one: Person, then: Person) -> None:
        try:
            async with UnitOfWork(serializable, actor="importer", cache=KeyCache()) as uow:
                await ops.update_one(uow.session, PERSON, _renamed(one))
                await both_locked.wait()
                await ops.update_one(uow.session, PERSON, _renamed(then))
        except errors.BatchRepoError as failure:
            outcomes.append(failure)
        else:
            outcomes.append(None)

    async with asyncio.timeout(PATIENCE):
        await asyncio.gather(lock(first, second), lock(second, first))
    [failure] = [o for o in outcomes if o is not None]
    assert type(failure) is errors.DeadlockDetectedError and failure.sqlstate == "40P01"
    assert isinstance(failure, errors.TransientError)
    names = await db.fetch('SELECT "display_name" FROM "person" ORDER BY "id"')
    assert {row[0] for row in names} == {"renamed"}  # the winner's two updates, nothing else


def _renamed(row: Person) -> Person:
    row.display_name = "renamed"
    return row


async def test_a_lock_not_available(db: asyncpg.Pool) -> None:
    [row] = await ops.save_batch(db, PERSON, [person()])
    cache, ran = KeyCache(), []
    holder = await db.acquire()
    await holder.execute("BEGIN")
    await holder.execute('SELECT 1 FROM "person" WHERE "id" = $1 FOR UPDATE', row.id)

    async def update(uow: UnitOfWork) -> None:
        await ops.update_one(uow.session, PERSON, _renamed(row))

    try:
        failure = await _failing_unit(db, update, cache, ran, lock_timeout=0.1)
        assert type(failure) is errors.LockNotAvailableError and failure.sqlstate == "55P03"
        _untouched(cache, ran)

        async def release_after_the_first_attempt(uow: UnitOfWork) -> None:
            if holder.is_in_transaction():
                try:
                    await update(uow)
                finally:
                    await holder.execute("ROLLBACK")
            await update(uow)

        work = _then_record(release_after_the_first_attempt, ran)
        done = await batchrepo.run_unit(db, work, actor="importer", cache=cache, lock_timeout=0.1)
        assert done == 2 and ran == ["after commit"]
    finally:
        await db.release(holder)
    assert await db.fetchval('SELECT "display_name" FROM "person"') == "renamed"


async def test_a_cached_plan_invalidated_by_a_concurrent_alter_type(
    database_url: str, db: asyncpg.Pool
) -> None:
    """Whenever the pool lends its one connection, the statement is prepared on it and another
    session then changes the column's type: the unit's next use of it fails with 0A000."""
    alter_on: set[int] = {1}
    lent = 0
    widths = iter(range(101, 200))

    async def prepared_then_altered(conn: asyncpg.Connection) -> None:
        nonlocal lent
        lent += 1
        if lent in alter_on:
            await ops.load_batch(conn, PERSON, [person().id])  # prepares SELECT_BATCH
            width = next(widths)  # a new type every time: varchar(101), varchar(102), ...
            await db.execute(
                f'ALTER TABLE "person" ALTER COLUMN "display_name" TYPE varchar({width})'
            )

    async def load(uow: UnitOfWork) -> int:
        await ops.load_batch(uow.session, PERSON, [person().id])
        return lent

    pool = await asyncpg.create_pool(
        database_url, min_size=1, max_size=1, setup=prepared_then_altered
    )
    try:
        cache, ran = KeyCache(), []
        failure = await _failing_unit(pool, load, cache, ran)
        assert type(failure) is errors.CachedPlanInvalidError and failure.sqlstate == "0A000"
        assert isinstance(failure.__cause__, asyncpg.InvalidCachedStatementError)
        _untouched(cache, ran)
        assert await _count(db) == 0

        # retried once: the next attempt prepares the statement afresh and succeeds
        alter_on, lent = {1}, 0
        assert await batchrepo.run_unit(pool, load, actor="importer") == 2

        # a second one in a row is not retried again
        alter_on, lent = {1, 2, 3}, 0
        with pytest.raises(errors.CachedPlanInvalidError) as twice:
            await batchrepo.run_unit(pool, load, actor="importer")
        assert lent == 2
        assert "gave up after 2 attempt(s)" in twice.value.__notes__[-1]
    finally:
        await pool.close()
        await db.execute('ALTER TABLE "person" ALTER COLUMN "display_name" TYPE varchar(100)')


async def test_a_backend_terminated_before_a_statement(db: asyncpg.Pool) -> None:
    cache, ran = KeyCache(), []

    async def terminated_then_write(uow: UnitOfWork) -> None:
        await _terminate(db, await uow.connection.fetchval("SELECT pg_backend_pid()"))
        await ops.save_batch(uow.session, PERSON, people(2))

    failure = await _failing_unit(db, terminated_then_write, cache, ran)
    assert type(failure) is errors.ConnectionLostError
    # which asyncpg error says so depends on when the client notices the closed socket: an
    # InterfaceError, a connection error, or (seen under load) its InternalClientError about an
    # operation still in progress
    assert isinstance(
        failure.__cause__,
        asyncpg.InterfaceError | asyncpg.PostgresConnectionError | asyncpg.InternalClientError,
    )
    assert "released back to the pool" not in str(failure)  # it says what happened instead
    assert "the connection was closed" in str(failure)
    _untouched(cache, ran)
    assert await _count(db) == 0

    terminated: list[int] = []

    async def terminated_on_the_first_attempt(uow: UnitOfWork) -> int:
        uow.after_commit(lambda: ran.append("after commit"))
        if not terminated:
            terminated.append(await uow.connection.fetchval("SELECT pg_backend_pid()"))
            await _terminate(db, terminated[0])
        return len(await ops.save_batch(uow.session, PERSON, people(2)))

    assert await batchrepo.run_unit(db, terminated_on_the_first_attempt, actor="x") == 2
    assert ran == ["after commit"] and await _count(db) == 2


async def test_a_backend_terminated_during_a_statement(db: asyncpg.Pool) -> None:
    [row] = await ops.save_batch(db, PERSON, [person()])
    cache, ran = KeyCache(), []
    holder = await db.acquire()
    await holder.execute("BEGIN")
    await holder.execute('SELECT 1 FROM "person" WHERE "id" = $1 FOR UPDATE', row.id)

    async def update_while_terminated(uow: UnitOfWork) -> None:
        pid = await uow.connection.fetchval("SELECT pg_backend_pid()")
        waiting = asyncio.ensure_future(ops.update_one(uow.session, PERSON, _renamed(row)))
        await _waiting_for_a_lock(db)  # the update waits for the row lock: it is running
        await _terminate(db, pid)
        await waiting

    try:
        failure = await _failing_unit(db, update_while_terminated, cache, ran)
    finally:
        await holder.execute("ROLLBACK")
        await db.release(holder)
    assert type(failure) is errors.ConnectionLostError
    assert isinstance(
        failure.__cause__, asyncpg.PostgresConnectionError | asyncpg.AdminShutdownError
    )
    _untouched(cache, ran)
    assert await db.fetchval('SELECT "display_name" FROM "person"') == "Ada Lovelace"


async def test_a_statement_timeout_is_not_transient(db: asyncpg.Pool) -> None:
    [row] = await ops.save_batch(db, PERSON, [person()])
    cache, ran = KeyCache(), []
    attempts: list[int] = []
    holder = await db.acquire()
    await holder.execute("BEGIN")
    await holder.execute('SELECT 1 FROM "person" WHERE "id" = $1 FOR UPDATE', row.id)

    async def update(uow: UnitOfWork) -> None:
        attempts.append(1)
        await ops.update_one(uow.session, PERSON, _renamed(row))  # waits past the timeout

    try:
        failure = await _failing_unit(db, update, cache, ran, statement_timeout=0.1)
        assert type(failure) is errors.StatementTimeoutError and failure.sqlstate == "57014"
        assert not isinstance(failure, errors.TransientError)
        _untouched(cache, ran)
        with pytest.raises(errors.StatementTimeoutError):
            await batchrepo.run_unit(db, update, actor="importer", statement_timeout=0.1)
        assert len(attempts) == 2  # one in the unit above, one (never retried) in run_unit
    finally:
        await holder.execute("ROLLBACK")
        await db.release(holder)
