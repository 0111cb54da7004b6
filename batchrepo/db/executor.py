"""Where statements go: a pool, a connection or a pool's connection proxy, whatever the caller has.

``Executor`` is the small interface generated repositories take (as sqlc's ``DBTX``): the four
query methods that ``asyncpg.Pool``, ``asyncpg.Connection`` and a pool's connection proxy all have.
A repository built on a pool runs each single-row statement on whatever connection the pool lends;
one built on a connection inside ``async with conn.transaction():`` takes part in that transaction.

Batch writes need one connection for the statement, its savepoint and the probes that follow a
failure: ``acquire`` lends one, ``atomic`` wraps a block in a transaction or savepoint.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from typing import Any, Protocol, TypeVar, runtime_checkable

import asyncpg

from batchrepo import errors
from batchrepo.db.commit_outcome import (
    TRANSACTION,
    bounded,
    close_broken,
    send_commit,
    transaction_id,
)
from batchrepo.db.failures import lost_connection, translated

T = TypeVar("T")


@runtime_checkable
class Executor(Protocol):
    """The query methods shared by ``asyncpg.Pool``, ``asyncpg.Connection`` and pool proxies."""

    # No timeout parameter: operations never pass one, and every implementation accepts more
    # keyword arguments than the protocol names, which keeps them all conforming.
    async def execute(self, query: str, *args: object) -> str: ...

    async def fetch(self, query: str, *args: object) -> list[Any]: ...

    async def fetchrow(self, query: str, *args: object) -> Any: ...

    async def fetchval(self, query: str, *args: object) -> Any: ...


@runtime_checkable
class Connection(Executor, Protocol):
    """One session: an executor that can also open transactions (Connection, pool proxy)."""

    def transaction(self) -> AbstractAsyncContextManager[Any]: ...

    def is_in_transaction(self) -> bool: ...


@runtime_checkable
class CopyTarget(Protocol):
    """A connection that takes binary COPY (asyncpg's ``Connection`` and pool proxies); inserts
    on a connection without it always go by statement."""

    async def copy_records_to_table(
        self, table_name: str, *, records: Any, columns: Any = None
    ) -> str: ...


@asynccontextmanager
async def acquire(executor: Executor) -> AsyncIterator[Connection]:
    """A connection for a block: borrowed from a pool (and given back), or the executor itself."""
    if isinstance(executor, asyncpg.Pool):
        async with executor.acquire() as proxy:
            yield proxy
    elif isinstance(executor, Connection):
        yield executor
    else:
        raise TypeError(
            f"{type(executor).__name__} is neither an asyncpg pool nor a connection: "
            "it needs transaction() and is_in_transaction() to run batch writes"
        )


_savepoint_numbers = itertools.count(1)


class ScopeWatcher(Protocol):
    """Told of every ``atomic`` block on a connection it watches (a unit of work keeps its
    ``audit_log`` row's bookkeeping by them: a row inserted in a savepoint that rolls back is
    gone, whichever code opened the savepoint)."""

    def scope_opened(self) -> None: ...

    def scope_closed(self, kept: bool) -> None: ...


_watchers: dict[int, tuple[Connection, list[ScopeWatcher]]] = {}


@contextmanager
def watching(conn: Connection, watcher: ScopeWatcher) -> Iterator[None]:
    """Tell ``watcher`` of the ``atomic`` blocks on ``conn`` while the block runs (the innermost
    watcher of a connection is the one told)."""
    entry = _watchers.setdefault(id(conn), (conn, []))
    entry[1].append(watcher)
    try:
        yield
    finally:
        entry[1].remove(watcher)
        if not entry[1]:
            del _watchers[id(conn)]


def _watcher(conn: Connection) -> ScopeWatcher | None:
    entry = _watchers.get(id(conn))
    return entry[1][-1] if entry is not None and entry[0] is conn else None


@asynccontextmanager
async def atomic(executor: Executor) -> AsyncIterator[Connection]:
    """All or nothing: a transaction, or a savepoint when the connection is already in one.

    asyncpg nests ``conn.transaction()`` as a savepoint by itself, but refuses to start one inside
    a transaction begun with a plain ``BEGIN``; then the savepoint is set here by name. Either
    way, leaving the block by an exception rolls back to where it started and keeps the caller's
    transaction usable (for the probes that locate failing rows, and for the caller).
    """
    async with acquire(executor) as conn:
        watcher = _watcher(conn)
        if watcher is not None:
            watcher.scope_opened()
        kept = False
        try:
            if conn.is_in_transaction() and not _started_by_asyncpg(conn):
                async with _named_savepoint(conn):
                    yield conn
            else:
                async with conn.transaction():
                    yield conn
            kept = True
        finally:
            if watcher is not None:
                watcher.scope_closed(kept)


def is_closed(conn: Any) -> bool:
    """Whether ``conn`` is known to be unusable: closed, or a pool's connection that broke and
    went back to its pool (asyncpg then refuses every call on the proxy)."""
    check = getattr(conn, "is_closed", None)
    if check is None:
        return False
    try:
        return bool(check())
    except asyncpg.InterfaceError:
        return True


@asynccontextmanager
async def guarded(executor: Executor) -> AsyncIterator[Executor]:
    """A savepoint around a read when ``executor`` is a connection inside a transaction, else
    nothing: a query that fails or is cancelled there (a lock or statement timeout) must leave
    the caller's transaction usable, as a failed write does. A pool is never in a transaction,
    and a connection outside one has nothing to protect, so those pay no round trip; nor does a
    connection that broke (there is no transaction left to protect)."""
    if (
        isinstance(executor, Connection)
        and not is_closed(executor)
        and executor.is_in_transaction()
    ):
        async with atomic(executor) as conn:
            yield conn
    else:
        yield executor


def _started_by_asyncpg(conn: Connection) -> bool:
    # asyncpg keeps the outermost Transaction object it started; None after a plain BEGIN.
    # A pool proxy forwards attribute reads to its connection.
    return getattr(conn, "_top_xact", None) is not None


@asynccontextmanager
async def _named_savepoint(conn: Connection) -> AsyncIterator[None]:
    name = f"batchrepo_{next(_savepoint_numbers)}"
    await conn.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException as failure:
        try:
            await conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
            await conn.execute(f"RELEASE SAVEPOINT {name}")
        except Exception as cleanup:
            if isinstance(failure, Exception) and lost_connection(cleanup) is None:
                raise  # as before: the cleanup's error, the write's on its __context__
            # On a broken connection the rollback cannot work and needs not (the server ends
            # the transaction): the failure that met the break says more than the cleanup.
            # A cancellation (or an interrupt) must reach the task: a failing rollback must
            # not replace it. asyncpg's cancel request for the cancelled statement can land on
            # the ROLLBACK TO SAVEPOINT (57014), which used to swallow the cancellation.
            failure.add_note(f"batchrepo: rolling back to savepoint {name} failed: {cleanup!r}")
        raise
    await conn.execute(f"RELEASE SAVEPOINT {name}")


#: The unit of work's timeout options and the settings they are sent as.
_TIMEOUT_SETTINGS = {
    "statement_timeout": "statement_timeout",
    "lock_timeout": "lock_timeout",
    "idle_timeout": "idle_in_transaction_session_timeout",
    "wait_timeout": None,  # client side: bounds the wait for an answer, sent nowhere
}


def timeout_settings(**seconds: float | None) -> list[tuple[str, str]]:
    """``SET LOCAL`` pairs for timeout options given in seconds (None: not set), in whole
    milliseconds, PostgreSQL's unit; a TypeError or ValueError names a bad option."""
    pairs = []
    for option, value in seconds.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise TypeError(f"{option} is a number of seconds, not {value!r}")
        if value <= 0:
            raise ValueError(f"{option} must be positive (None: no timeout), not {value!r}")
        setting = _TIMEOUT_SETTINGS[option]
        if setting is not None:
            pairs.append((setting, str(max(1, round(value * 1000)))))
    return pairs


class Scope:
    """A transaction or savepoint whose end is decided later (a unit of work's block).

    ``atomic`` serves blocks that end where they start; a unit of work commits in ``__aexit__``,
    after deciding between commit and rollback, so it needs the two steps separately. The same
    nesting rules apply: asyncpg's own transaction (a savepoint inside one asyncpg began), or a
    named savepoint inside a plain ``BEGIN``.

    ``settings`` are ``SET LOCAL`` name/value pairs sent with BEGIN (a transaction only: inside
    a savepoint they would outlive it in the caller's transaction). ``wait`` bounds, in seconds,
    the wait for the answer to BEGIN, COMMIT and ROLLBACK: a connection that went silent then
    gives a batchrepo error instead of hanging (see :mod:`batchrepo.db.commit_outcome`).
    """

    def __init__(
        self,
        conn: Connection,
        *,
        settings: Sequence[tuple[str, str]] = (),
        wait: float | None = None,
    ) -> None:
        self._conn = conn
        self._settings = tuple(settings)
        self._wait = wait
        self._transaction: Any = None
        self._savepoint: str | None = None
        self._nested = False
        self._plain = False

    @property
    def is_savepoint(self) -> bool:
        """Whether this scope nests inside a transaction that was open when it began."""
        return self._savepoint is not None or self._nested

    async def begin(self) -> None:
        conn = self._conn
        self._nested = conn.is_in_transaction()
        if self._nested and self._settings:
            raise TypeError(
                "timeouts are set for a transaction (SET LOCAL), and this connection is already "
                "in one that the unit of work did not begin: set them where it begins"
            )
        if self._nested and not _started_by_asyncpg(conn):
            self._savepoint = f"batchrepo_{next(_savepoint_numbers)}"
            await self._bounded(conn.execute(f"SAVEPOINT {self._savepoint}"), "SAVEPOINT")
        elif self._nested:
            self._transaction = conn.transaction()
            await self._bounded(self._transaction.start(), "SAVEPOINT")
        else:
            # A plain BEGIN, so that COMMIT's answer can be read: in a transaction an earlier
            # statement aborted, PostgreSQL answers COMMIT with ROLLBACK and no error, and
            # asyncpg's Transaction.commit() returns normally. Savepoints inside are named ones.
            # The settings travel with it: one round trip, whatever is set.
            settings = "".join(f"; SET LOCAL {name} = {value}" for name, value in self._settings)
            await self._bounded(conn.execute(f"BEGIN{settings}"), "BEGIN")
            self._plain = True

    async def transaction_id(self) -> int | None:
        """The transaction's id for :func:`~batchrepo.db.commit_outcome.commit_outcome` (None: it
        wrote nothing yet); one round trip, asked before COMMIT by units that wrote."""
        return await self._bounded(transaction_id(self._conn, None), "the transaction id query")

    async def commit(self, *, xid: int | None = None) -> None:
        """RELEASE or COMMIT; ``xid`` goes into the ``CommitOutcomeUnknownError`` of a COMMIT
        whose answer never came. A COMMIT is sent only on a connection still open."""
        if is_closed(self._conn):
            raise errors.ConnectionLostError(
                TRANSACTION,
                sqlstate="08003",  # connection_does_not_exist
                reason="the connection was closed before COMMIT was sent",
            )
        if self._savepoint is not None:
            release = self._conn.execute(f"RELEASE SAVEPOINT {self._savepoint}")
            await self._bounded(release, "RELEASE SAVEPOINT")
        elif self._plain:
            status = await send_commit(self._conn, xid=xid, wait=self._wait)
            if status != "COMMIT":
                raise errors.TransactionAbortedError(
                    TRANSACTION,
                    sqlstate="25P02",
                    reason=f"COMMIT answered {status}: an earlier statement had failed, so "
                    "nothing of the transaction was kept",
                )
        else:
            await self._bounded(self._transaction.commit(), "RELEASE SAVEPOINT")

    async def rollback(self) -> None:
        if self._savepoint is not None:
            name = self._savepoint
            await self._bounded(self._conn.execute(f"ROLLBACK TO SAVEPOINT {name}"), "ROLLBACK")
            await self._bounded(self._conn.execute(f"RELEASE SAVEPOINT {name}"), "RELEASE")
        elif self._plain:
            await self._bounded(self._conn.execute("ROLLBACK"), "ROLLBACK")
        else:
            await self._bounded(self._transaction.rollback(), "ROLLBACK")

    async def _bounded(self, step: Awaitable[T], what: str) -> T:
        """``step`` within ``wait``; past it, the connection is closed (nothing is committed
        before COMMIT was sent, so the loss is certain and transient) and ConnectionLostError
        raised, never the builtin TimeoutError. Other failures are classified likewise."""
        try:
            return await bounded(step, self._wait)
        except Exception as exc:
            if isinstance(exc, TimeoutError):
                close_broken(self._conn)
                within = "in time" if self._wait is None else f"within {self._wait} s"
                raise errors.ConnectionLostError(
                    TRANSACTION,
                    sqlstate="08006",  # connection_failure
                    reason=f"no answer to {what} {within}: the connection was closed",
                ) from exc
            mapped = translated(exc, TRANSACTION)
            if mapped is None:
                raise
            raise mapped from lost_connection(exc) or exc
