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
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol, runtime_checkable

import asyncpg

from batchrepo import errors


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


@asynccontextmanager
async def atomic(executor: Executor) -> AsyncIterator[Connection]:
    """All or nothing: a transaction, or a savepoint when the connection is already in one.

    asyncpg nests ``conn.transaction()`` as a savepoint by itself, but refuses to start one inside
    a transaction begun with a plain ``BEGIN``; then the savepoint is set here by name. Either
    way, leaving the block by an exception rolls back to where it started and keeps the caller's
    transaction usable (for the probes that locate failing rows, and for the caller).
    """
    async with acquire(executor) as conn:
        if conn.is_in_transaction() and not _started_by_asyncpg(conn):
            async with _named_savepoint(conn):
                yield conn
        else:
            async with conn.transaction():
                yield conn


@asynccontextmanager
async def guarded(executor: Executor) -> AsyncIterator[Executor]:
    """A savepoint around a read when ``executor`` is a connection inside a transaction, else
    nothing: a query that fails or is cancelled there (a lock or statement timeout) must leave
    the caller's transaction usable, as a failed write does. A pool is never in a transaction,
    and a connection outside one has nothing to protect, so those pay no round trip."""
    if isinstance(executor, Connection) and executor.is_in_transaction():
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
            if isinstance(failure, Exception):
                raise  # as before: the cleanup's error, the write's on its __context__
            # A cancellation (or an interrupt) must reach the task: a failing rollback must
            # not replace it. asyncpg's cancel request for the cancelled statement can land on
            # the ROLLBACK TO SAVEPOINT (57014), which used to swallow the cancellation.
            failure.add_note(f"batchrepo: rolling back to savepoint {name} failed: {cleanup!r}")
        raise
    await conn.execute(f"RELEASE SAVEPOINT {name}")


class Scope:
    """A transaction or savepoint whose end is decided later (a unit of work's block).

    ``atomic`` serves blocks that end where they start; a unit of work commits in ``__aexit__``,
    after deciding between commit and rollback, so it needs the two steps separately. The same
    nesting rules apply: asyncpg's own transaction (a savepoint inside one asyncpg began), or a
    named savepoint inside a plain ``BEGIN``.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
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
        if self._nested and not _started_by_asyncpg(conn):
            self._savepoint = f"batchrepo_{next(_savepoint_numbers)}"
            await conn.execute(f"SAVEPOINT {self._savepoint}")
        elif self._nested:
            self._transaction = conn.transaction()
            await self._transaction.start()
        else:
            # A plain BEGIN, so that COMMIT's answer can be read: in a transaction an earlier
            # statement aborted, PostgreSQL answers COMMIT with ROLLBACK and no error, and
            # asyncpg's Transaction.commit() returns normally. Savepoints inside are named ones.
            await conn.execute("BEGIN")
            self._plain = True

    async def commit(self) -> None:
        if self._savepoint is not None:
            await self._conn.execute(f"RELEASE SAVEPOINT {self._savepoint}")
        elif self._plain:
            status = await self._conn.execute("COMMIT")
            if status != "COMMIT":
                raise errors.TransactionAbortedError(
                    "transaction",
                    sqlstate="25P02",
                    reason=f"COMMIT answered {status}: an earlier statement had failed, so "
                    "nothing of the transaction was kept",
                )
        else:
            await self._transaction.commit()

    async def rollback(self) -> None:
        if self._savepoint is not None:
            await self._conn.execute(f"ROLLBACK TO SAVEPOINT {self._savepoint}")
            await self._conn.execute(f"RELEASE SAVEPOINT {self._savepoint}")
        elif self._plain:
            await self._conn.execute("ROLLBACK")
        else:
            await self._transaction.rollback()
