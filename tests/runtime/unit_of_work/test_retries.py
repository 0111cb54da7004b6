"""run_unit's policy on real lock timeouts (a row kept locked by another session, so every
attempt meets 55P03): attempts stop at the attempt limit or at the deadline, whichever comes
first; each retry is logged; the last error says how many attempts were made. What is not
transient is never retried, nor is a cancellation. No timed assertion but a generous bound."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest
import pytest_asyncio

from batchrepo import errors
from batchrepo import operations as ops
from batchrepo.retry import RetryPolicy, run_unit
from batchrepo.unit_of_work import UnitOfWork
from tests.runtime.builders import person
from tests.runtime.tables import PERSON, Person

#: What a loaded 2-core machine may add to any wait.
SLOW_MACHINE = 10.0


@pytest_asyncio.fixture(loop_scope="module")
async def locked(db: asyncpg.Pool) -> AsyncIterator[Person]:
    """A row that another session keeps locked for the test."""
    row = await ops.save_one(db, PERSON, person())
    async with db.acquire() as holder, holder.transaction():
        await holder.execute('SELECT 1 FROM "person" WHERE "id" = $1 FOR UPDATE', row.id)
        yield row


def _updating(row: Person, attempts: list[float]) -> Callable[[UnitOfWork], Awaitable[None]]:
    async def work(uow: UnitOfWork) -> None:
        attempts.append(time.monotonic())
        row.display_name = "never written"
        await ops.update_one(uow.session, PERSON, row)

    return work


async def test_attempts_stop_at_the_limit_and_each_retry_is_logged(
    db: asyncpg.Pool, locked: Person, caplog: pytest.LogCaptureFixture
) -> None:
    attempts: list[float] = []
    policy = RetryPolicy(attempts=3, deadline=None, base=0.01, cap=0.02)
    with (
        caplog.at_level(logging.WARNING, logger="batchrepo"),
        pytest.raises(errors.LockNotAvailableError) as caught,
    ):
        await run_unit(
            db, _updating(locked, attempts), actor="importer", retry=policy, lock_timeout=0.05
        )
    assert len(attempts) == 3
    assert "gave up after 3 attempt(s)" in caught.value.__notes__[-1]
    retries = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage().split(" failed")[0] for r in retries] == [
        "unit of work of importer: attempt 1",
        "unit of work of importer: attempt 2",
    ]
    assert "lock not available" in retries[0].getMessage()
    assert [r.levelno for r in caplog.records].count(logging.ERROR) == 1  # the giving up


async def test_attempts_stop_at_the_deadline(db: asyncpg.Pool, locked: Person) -> None:
    attempts: list[float] = []
    policy = RetryPolicy(attempts=1000, deadline=0.5, base=0.05, cap=0.1)
    started = time.monotonic()
    with pytest.raises(errors.LockNotAvailableError) as caught:
        await run_unit(
            db, _updating(locked, attempts), actor="importer", retry=policy, lock_timeout=0.02
        )
    elapsed = time.monotonic() - started
    assert 1 < len(attempts) < 1000
    # no attempt started after the deadline; the last one may run past it (it is not cut)
    assert all(at - attempts[0] < 0.5 for at in attempts)
    assert elapsed < 0.5 + SLOW_MACHINE
    assert f"gave up after {len(attempts)} attempt(s)" in caught.value.__notes__[-1]


async def test_each_wait_is_full_jitter_under_its_bound(
    db: asyncpg.Pool, locked: Person, caplog: pytest.LogCaptureFixture
) -> None:
    attempts: list[float] = []
    policy = RetryPolicy(attempts=6, deadline=None, base=0.004, cap=0.01)
    with (
        caplog.at_level(logging.WARNING, logger="batchrepo"),
        pytest.raises(errors.LockNotAvailableError),
    ):
        await run_unit(
            db, _updating(locked, attempts), actor="importer", retry=policy, lock_timeout=0.01
        )
    waits = [
        float(r.getMessage().rsplit("retrying in ", 1)[1].split()[0])
        for r in caplog.records
        if "retrying in" in r.getMessage()
    ]
    assert len(waits) == 5
    # attempt n waits a random time in [0, min(cap, base * 2 ** (n - 1))]: 4, 8, 10, 10, 10 ms
    bounds = [min(policy.cap, policy.base * 2**n) for n in range(5)]
    assert all(0 <= wait <= bound + 0.0005 for wait, bound in zip(waits, bounds, strict=True))


async def test_what_is_not_transient_is_never_retried(db: asyncpg.Pool) -> None:
    existing = await ops.save_one(db, PERSON, person())
    attempts: list[int] = []

    async def clash(uow: UnitOfWork) -> None:
        attempts.append(1)
        await ops.save_one(uow.session, PERSON, person(id=existing.id))

    with pytest.raises(errors.UniqueViolationError):
        await run_unit(db, clash, actor="importer")

    async def caller_mistake(uow: UnitOfWork) -> None:
        attempts.append(1)
        raise KeyError("the caller's own")

    with pytest.raises(KeyError):
        await run_unit(db, caller_mistake, actor="importer")
    assert attempts == [1, 1]


async def test_a_cancellation_is_never_retried(db: asyncpg.Pool, locked: Person) -> None:
    attempts: list[float] = []
    started = asyncio.Event()

    async def wait_then_update(uow: UnitOfWork) -> None:
        started.set()
        await _updating(locked, attempts)(uow)

    task = asyncio.create_task(
        run_unit(db, wait_then_update, actor="importer", lock_timeout=SLOW_MACHINE)
    )
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(attempts) == 1
    assert await db.fetchval('SELECT "display_name" FROM "person"') == "Ada Lovelace"


async def test_bad_options_are_named(db: asyncpg.Pool) -> None:
    with pytest.raises(ValueError, match="attempts must be at least 1"):
        RetryPolicy(attempts=0)
    with pytest.raises(TypeError, match="deadline is a number of seconds"):
        RetryPolicy(deadline="30s")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="retry is a RetryPolicy"):
        await run_unit(db, _updating(person(), []), actor="x", retry=5)  # type: ignore[arg-type]
    async with db.acquire() as conn, conn.transaction():
        with pytest.raises(TypeError, match="outside any transaction"):
            await run_unit(conn, _updating(person(), []), actor="x")
        # timeouts are SET LOCAL: a unit inside the caller's transaction cannot take them
        with pytest.raises(TypeError, match="timeouts are set for a transaction"):
            async with UnitOfWork(conn, actor="x", lock_timeout=1):
                pass
        assert conn.is_in_transaction()  # the caller's transaction is left as it was
    with pytest.raises(ValueError, match="lock_timeout must be positive"):
        UnitOfWork(db, actor="x", lock_timeout=0)
    with pytest.raises(TypeError, match="wait_timeout is a number of seconds"):
        UnitOfWork(db, actor="x", wait_timeout="1s")  # type: ignore[arg-type]


async def test_unit_timeouts_are_set_for_its_transaction_only(db: asyncpg.Pool) -> None:
    show = "SELECT current_setting('lock_timeout'), current_setting('statement_timeout')"
    async with db.acquire() as conn:
        async with UnitOfWork(conn, actor="x", lock_timeout=0.25, statement_timeout=2) as uow:
            assert tuple(await uow.connection.fetchrow(show)) == ("250ms", "2s")
        assert tuple(await conn.fetchrow(show)) == ("0", "0")
