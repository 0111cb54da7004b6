"""Retries of whole units of work, for the failures that a second attempt may not meet.

::

    async def settle(uow: ledger.UnitOfWork) -> int:
        accounts = await uow.account.load_batch(ids)          # read again on every attempt
        await uow.account.update_batch([credit(a) for a in accounts if a])
        uow.after_commit(notify)                              # runs once, for the attempt that
        return len(accounts)                                  # committed

    n = await batchrepo.run_unit(pool, settle, actor="end-of-day", unit=ledger.UnitOfWork,
                                 retry=batchrepo.RetryPolicy(attempts=5, deadline=30))

Each attempt is a fresh unit of work (its own connection, transaction, cache layer and
callbacks), so the key cache and the after-commit callbacks see only the attempt that committed;
``work`` must do everything again (read, decide, write), never carry rows over from a failed
attempt. Retried: :class:`~batchrepo.errors.TransientError` (serialization failure, deadlock,
lock not available, a connection lost before COMMIT was sent: on a pool only, which lends
another connection) and a cached plan invalidated by DDL once. Never retried: constraint and
data errors, timeouts (57014, client-side), a cancellation, an unknown COMMIT outcome, an error
of an after-commit callback (the unit committed), anything of the caller's own.

The waits are full-jitter exponential backoff (a random time between 0 and ``min(cap, base *
2**(attempt - 1))``), by tenacity (pure Python, no dependencies of its own; the runtime's one
dependency besides asyncpg). ``deadline`` counts from the first attempt: no attempt starts, and
no wait is begun, that would end past it; an attempt already running is not interrupted (bound
it with the unit's ``statement_timeout`` / ``wait_timeout``, or ``asyncio.timeout`` around the
call). Every retry is logged at WARNING on the stdlib logger ``batchrepo``; the error that ends
the retries carries a note saying how many attempts were made.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
import tenacity

from batchrepo import errors
from batchrepo.db.executor import Connection, Executor
from batchrepo.observe.instruments import retried
from batchrepo.unit_of_work import UnitOfWork

_log = logging.getLogger("batchrepo")

T = TypeVar("T")
U = TypeVar("U", bound=UnitOfWork)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry (seconds): the defaults are the usual shape."""

    attempts: int = 5
    """Attempts in all, the first included (1: never retry)."""
    deadline: float | None = 30.0
    """No attempt starts later than this after the first one began (None: attempts only)."""
    base: float = 0.05
    """The first wait's upper bound; it doubles with every attempt."""
    cap: float = 2.0
    """The upper bound of any one wait."""

    def __post_init__(self) -> None:
        if isinstance(self.attempts, bool) or not isinstance(self.attempts, int):
            raise TypeError(f"RetryPolicy.attempts is an int, not {self.attempts!r}")
        if self.attempts < 1:
            raise ValueError(f"RetryPolicy.attempts must be at least 1, not {self.attempts}")
        for name in ("deadline", "base", "cap"):
            value = getattr(self, name)
            if value is None and name == "deadline":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
                raise TypeError(f"RetryPolicy.{name} is a number of seconds, not {value!r}")
            if value < 0 or (name == "deadline" and value == 0):
                raise ValueError(f"RetryPolicy.{name} must be positive, not {value!r}")


#: The policy :func:`run_unit` uses when given none.
DEFAULT_RETRY = RetryPolicy()


def _retries(executor: Executor) -> Callable[[BaseException], bool]:
    """Which failures are worth another attempt on ``executor``."""
    cached_plan_failures = 0

    def worth_retrying(failure: BaseException) -> bool:
        nonlocal cached_plan_failures
        if not isinstance(failure, errors.TransientError):
            return False
        if isinstance(failure, errors.CachedPlanInvalidError):
            cached_plan_failures += 1  # asyncpg dropped its statements: the next one prepares
            return cached_plan_failures == 1
        if isinstance(failure, errors.ConnectionLostError):
            return isinstance(executor, asyncpg.Pool)  # a broken connection stays broken
        return True

    return worth_retrying


def _logged(actor: str) -> Callable[[tenacity.RetryCallState], None]:
    def before_sleep(state: tenacity.RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome is not None else None
        if failure is not None:  # counted, and marked on the current span (batchrepo.observe)
            retried(state.attempt_number, failure, state.upcoming_sleep or 0.0)
        _log.warning(
            "unit of work of %s: attempt %d failed (%s), retrying in %.3f s",
            actor,
            state.attempt_number,
            failure,
            state.upcoming_sleep,
        )

    return before_sleep


async def run_unit(
    executor: Executor,
    work: Callable[[U], Awaitable[T]],
    *,
    actor: str,
    retry: RetryPolicy = DEFAULT_RETRY,
    unit: type[U] | None = None,
    **options: Any,
) -> T:
    """``await work(uow)`` in a unit of work that commits, again in a new one after a transient
    failure, under ``retry`` (see the module doc); returns what the committed attempt returned.

    ``unit``: the unit of work class (a generated package's ``UnitOfWork``, for its typed
    repositories); ``options`` go to it (``cache``, ``statement_timeout``, ...). ``executor``:
    a pool, or a connection outside any transaction (a retry needs the whole transaction).
    """
    if not isinstance(retry, RetryPolicy):
        raise TypeError(f"retry is a RetryPolicy, not {type(retry).__name__}")
    in_transaction = isinstance(executor, Connection) and executor.is_in_transaction()
    if in_transaction and not isinstance(executor, asyncpg.Pool):
        raise TypeError(
            "run_unit needs a pool or a connection outside any transaction: a failure such as a "
            "deadlock aborts the caller's whole transaction, which only the caller can run again"
        )
    make = unit if unit is not None else UnitOfWork
    stop: tenacity.stop.stop_base = tenacity.stop_after_attempt(retry.attempts)
    if retry.deadline is not None:
        stop = stop | tenacity.stop_before_delay(retry.deadline)
    retrying = tenacity.AsyncRetrying(
        stop=stop,
        wait=tenacity.wait_random_exponential(multiplier=retry.base, max=retry.cap),
        retry=tenacity.retry_if_exception(_retries(executor)),
        before_sleep=_logged(actor),
        sleep=asyncio.sleep,
        reraise=True,
    )
    started = time.monotonic()
    attempts = 0
    try:
        async for attempt in retrying:
            with attempt:
                attempts += 1
                async with make(executor, actor=actor, **options) as uow:
                    result = await work(uow)  # type: ignore[arg-type]
    except errors.TransientError as failure:
        failure.add_note(
            f"batchrepo: run_unit gave up after {attempts} attempt(s) in "
            f"{time.monotonic() - started:.3f} s ({retry})"
        )
        if attempts > 1:
            _log.error(
                "unit of work of %s: gave up after %d attempts: %s", actor, attempts, failure
            )
        raise
    return result
