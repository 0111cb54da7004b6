"""COMMIT over a network that fails at the worst moment (a loopback proxy, tests/runtime/db/proxy):
its answer lost after the server committed, or the connection silent; a statement whose
connection goes silent. The caller gets a batchrepo error that says what is known, the
transaction id to ask about, and the key cache and callbacks behave as documented: nothing
reaches the cache, no callback runs, nothing is retried."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio

import batchrepo
from batchrepo import errors
from batchrepo import operations as ops
from batchrepo.cache.key_cache import KeyCache
from batchrepo.unit_of_work import UnitOfWork
from tests.runtime.builders import people
from tests.runtime.db.proxy import FaultyProxy, faulty_proxy
from tests.runtime.tables import NOTE, PERSON, Note

#: Generous bound on what a bounded wait may take on a loaded 2-core machine.
SLOW_MACHINE = 10.0


@pytest_asyncio.fixture(loop_scope="module")
async def proxy(database_url: str, db: asyncpg.Pool) -> AsyncIterator[FaultyProxy]:
    async with faulty_proxy(database_url) as started:
        yield started


@pytest_asyncio.fixture(loop_scope="module")
async def far_pool(proxy: FaultyProxy) -> AsyncIterator[asyncpg.Pool]:
    """A pool whose connections go through the proxy."""
    pool = await asyncpg.create_pool(proxy.dsn(), min_size=1, max_size=2, command_timeout=2)
    try:
        yield pool
    finally:
        pool.terminate()


async def _count(db: asyncpg.Pool, table: str) -> int:
    return int(await db.fetchval(f'SELECT count(*) FROM "{table}"'))


async def test_a_lost_commit_answer_after_the_server_committed(
    proxy: FaultyProxy, far_pool: asyncpg.Pool, db: asyncpg.Pool
) -> None:
    cache = KeyCache()
    ran: list[str] = []
    with pytest.raises(errors.CommitOutcomeUnknownError) as caught:
        async with UnitOfWork(far_pool, actor="importer", cache=cache) as uow:
            saved = await ops.save_batch(uow.session, PERSON, people(3))
            await ops.save_one(uow.session, NOTE, Note(id=1, title="audited"))
            uow.after_commit(lambda: ran.append("after commit"))
            proxy.drop_commit_answer()
    failure = caught.value
    assert not isinstance(failure, errors.TransientError)  # never retried
    assert isinstance(failure.xid, int)
    assert isinstance(failure.__cause__, asyncpg.ConnectionDoesNotExistError)
    assert f"transaction id {failure.xid}" in str(failure)
    # it did commit: the helper says so, and the rows are there with their history
    assert await batchrepo.commit_outcome(db, failure.xid) == "committed"
    assert await _count(db, "person") == 3 and await _count(db, "note_history") == 1
    # the documented side: the cache learned nothing, no callback ran
    assert cache.lookup("person", [p.id for p in saved]) == [None, None, None]
    assert ran == []
    assert await far_pool.fetchval("SELECT 1") == 1  # the pool replaced the connection


async def test_a_commit_that_goes_unanswered_is_given_up_after_the_wait(
    proxy: FaultyProxy, far_pool: asyncpg.Pool, db: asyncpg.Pool
) -> None:
    ran: list[str] = []
    started = time.monotonic()
    with pytest.raises(errors.CommitOutcomeUnknownError) as caught:
        async with UnitOfWork(far_pool, actor="importer", wait_timeout=0.5, idle_timeout=1) as uow:
            await ops.save_batch(uow.session, PERSON, people(2))
            uow.after_commit(lambda: ran.append("after commit"))
            proxy.swallow_commit()
    assert 0.5 <= time.monotonic() - started < SLOW_MACHINE
    failure = caught.value
    assert isinstance(failure.__cause__, TimeoutError) and failure.xid is not None
    assert "no answer within 0.5 s" in str(failure)
    assert ran == []
    # COMMIT never reached the server: the transaction stays open until the unit's
    # idle_in_transaction_session_timeout ends it, and then it is known to be aborted
    outcome = await batchrepo.commit_outcome(db, failure.xid)
    async with asyncio.timeout(SLOW_MACHINE):
        while outcome == "in progress":
            await asyncio.sleep(0.1)
            outcome = await batchrepo.commit_outcome(db, failure.xid)
    assert outcome == "aborted"
    assert await _count(db, "person") == 0


async def test_run_unit_never_retries_an_unknown_commit_outcome(
    proxy: FaultyProxy, far_pool: asyncpg.Pool, db: asyncpg.Pool
) -> None:
    attempts: list[int] = []

    async def work(uow: UnitOfWork) -> None:
        attempts.append(1)
        await ops.save_batch(uow.session, PERSON, people(2))
        proxy.drop_commit_answer()

    with pytest.raises(errors.CommitOutcomeUnknownError):
        await batchrepo.run_unit(far_pool, work, actor="importer")
    assert attempts == [1]
    assert await _count(db, "person") == 2  # committed once, not twice


async def test_a_statement_on_a_silent_connection_and_its_rollback_are_bounded(
    proxy: FaultyProxy, database_url: str, db: asyncpg.Pool
) -> None:
    # asyncpg's command_timeout bounds each statement; the unit's wait_timeout its ROLLBACK
    pool = await asyncpg.create_pool(proxy.dsn(), min_size=1, max_size=1, command_timeout=0.5)
    try:
        started = time.monotonic()
        with pytest.raises(errors.ResponseTimeoutError) as caught:
            async with UnitOfWork(pool, actor="importer", wait_timeout=0.5) as uow:
                await ops.save_batch(uow.session, PERSON, people(2))
                proxy.silence()
                await ops.save_batch(uow.session, PERSON, people(2))
        assert time.monotonic() - started < SLOW_MACHINE
        assert isinstance(caught.value.__cause__, TimeoutError)
        assert not isinstance(caught.value, TimeoutError | errors.TransientError)
        assert any("rolling back the unit of work failed" in n for n in caught.value.__notes__)
    finally:
        pool.terminate()
    assert await _count(db, "person") == 0
