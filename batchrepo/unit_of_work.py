"""One connection, one transaction, one actor: the scope that groups writes.

The contract is ``docs/units-of-work.md``.

::

    async with UnitOfWork(pool, actor="importer") as uow:
        people = PersonRepository(uow.session)
        await people.save_batch(rows)
        async with uow.savepoint():            # nests; an exception rolls back just this part
            ...
        uow.after_commit(notify)               # runs once COMMIT succeeded, never after rollback

Leaving the block normally commits; an exception (``CancelledError`` and a lost connection
included) rolls back and the caller's exception propagates as it was, a failing rollback attached
as a note. The keys the unit's writes and loads teach the cache live in a local layer (one child
per savepoint) that reaches the global cache only after COMMIT succeeded, so other sessions never
see a key that might still be rolled back.

Audited writes share one ``audit_log`` row, inserted by the first of them inside its own
savepoint; a write that failed or changed nothing (no history row references the log row) rolls
that savepoint back, so a unit's log row exists only with history. Whichever savepoint it was
inserted in (the unit's own, or one that ``atomic`` opened on its connection), if that rolls back
the next audited write inserts it again.

Failures of the unit's own steps are batchrepo errors (``docs/units-of-work.md``, "Failures"):
``ConnectionLostError`` before COMMIT was sent, ``CommitOutcomeUnknownError`` (with the
transaction id) when COMMIT was sent and its answer never came; timeouts are options
(``statement_timeout``, ``lock_timeout``, ``idle_timeout`` set with ``SET LOCAL``; ``wait_timeout``
bounds the wait for BEGIN, COMMIT and ROLLBACK). Retries: :func:`batchrepo.retry.run_unit`.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, ExitStack, asynccontextmanager
from types import TracebackType
from typing import Any, Self

import asyncpg

from batchrepo import errors
from batchrepo.cache.key_cache import KeyCache, shared_cache
from batchrepo.cache.views import CacheLayer
from batchrepo.db.commit_outcome import TRANSACTION
from batchrepo.db.executor import Connection, Executor, Scope, timeout_settings, watching
from batchrepo.db.failures import translated
from batchrepo.session import DEFAULT_POLICY, Session, WritePolicy
from batchrepo.spec import TableSpec

_log = logging.getLogger("batchrepo")

#: What ``after_commit`` accepts: a function of no arguments, plain or async.
AfterCommit = Callable[[], object] | Callable[[], Awaitable[object]]

_NEW, _ACTIVE, _CLOSED = "new", "active", "closed"


class UnitOfWork:
    """``async with UnitOfWork(pool_or_connection, actor=...) as uow:`` (see the module doc).

    ``cache``: the global key cache; by default the pool's shared one, and for a bare connection
    a private one that only this unit uses. ``cache_only``: a parent the cache does not know is
    missing, without asking the database.

    Timeouts, in seconds (None: the pool's settings apply): ``statement_timeout`` (one statement
    runs longer: ``StatementTimeoutError``), ``lock_timeout`` (a lock waited for longer:
    ``LockNotAvailableError``), ``idle_timeout`` (``idle_in_transaction_session_timeout``: the
    server ends the session when the unit waits longer between two statements, so a stuck
    caller or a cut network cannot hold its locks: ``ConnectionLostError``). They are set with
    ``SET LOCAL`` in the same round trip as BEGIN, so they need a transaction the unit begins.
    ``wait_timeout``: the longest wait for the answer to BEGIN, COMMIT or ROLLBACK (a silent
    connection); a COMMIT not answered in time is ``CommitOutcomeUnknownError``.
    """

    def __init__(
        self,
        executor: Executor,
        *,
        actor: str,
        cache: KeyCache | None = None,
        cache_only: bool = False,
        policy: WritePolicy = DEFAULT_POLICY,
        statement_timeout: float | None = None,
        lock_timeout: float | None = None,
        idle_timeout: float | None = None,
        wait_timeout: float | None = None,
    ) -> None:
        if not isinstance(actor, str) or not actor:
            raise TypeError(f"a UnitOfWork needs an actor (a non-empty str), not {actor!r}")
        self._settings = timeout_settings(
            statement_timeout=statement_timeout,
            lock_timeout=lock_timeout,
            idle_timeout=idle_timeout,
        )
        timeout_settings(wait_timeout=wait_timeout)  # checked alike
        self._wait_timeout = wait_timeout
        if not isinstance(executor, asyncpg.Pool | Connection):
            raise TypeError(
                f"{type(executor).__name__} is neither an asyncpg pool nor a connection: "
                "a unit of work needs one connection with transactions"
            )
        self._executor = executor
        self._actor = actor
        if cache is None:
            cache = shared_cache(executor) if isinstance(executor, asyncpg.Pool) else KeyCache()
        self._cache = cache
        self._cache_only = cache_only
        self._policy = policy
        self._state = _NEW
        self._lending: AbstractAsyncContextManager[Any] | None = None
        self._connection: Connection | None = None
        self._scope: Scope | None = None
        self._layer: CacheLayer | None = None
        self._session: Session | None = None
        self._depth = 0
        """How many savepoints are open on the unit's connection (``savepoint()`` blocks and
        the ``atomic`` blocks of operations)."""
        self._audit_log_id: int | None = None
        self._audit_log_depth = 0
        """The savepoint depth the audit log row lives at."""
        self._callbacks: list[AfterCommit] = []
        self._wrote = False
        """Whether a write ran (or the caller took the raw connection): COMMIT's outcome then
        matters, and the transaction id is read before COMMIT."""
        self._unwatch = ExitStack()

    # -- what the block uses ----------------------------------------------------------------

    @property
    def session(self) -> Session:
        """The session repositories of this unit run in (valid inside the block only)."""
        self.require_active()
        assert self._session is not None
        return self._session

    @property
    def connection(self) -> Connection:
        """The unit's one connection (valid inside the block only). What the caller writes
        through it counts as a write: the transaction id is read before COMMIT."""
        self.require_active()
        assert self._connection is not None
        self._wrote = True
        return self._connection

    @property
    def actor(self) -> str:
        return self._actor

    @property
    def cache_layer(self) -> CacheLayer:
        """The local cache layer of the innermost open savepoint (or of the unit)."""
        self.require_active()
        assert self._layer is not None
        return self._layer

    @property
    def audit_log_id(self) -> int | None:
        """The id of the unit's ``audit_log`` row, None until an audited write that wrote
        history created it (and again after the savepoint it was created in rolled back)."""
        return self._audit_log_id

    def require_active(self) -> None:
        """A RuntimeError naming the mistake when the unit is used outside its block."""
        if self._state == _NEW:
            raise RuntimeError(
                "this UnitOfWork has not been entered: "
                "use it as `async with UnitOfWork(...) as uow`"
            )
        if self._state == _CLOSED:
            raise RuntimeError(
                "this UnitOfWork has ended (committed or rolled back): its session and "
                "connection cannot be used after its `async with` block"
            )

    def after_commit(self, callback: AfterCommit) -> None:
        """Run ``callback()`` (plain or async) once COMMIT succeeded; never after a rollback.

        Every callback runs, in the order registered; failures are raised together afterwards
        as an ``ExceptionGroup`` (the data is committed by then). A unit nested in a transaction
        it did not begin refuses callbacks (RuntimeError): only the caller knows if it commits.
        """
        self.require_active()
        assert self._scope is not None
        if self._scope.is_savepoint:
            raise RuntimeError(
                "this UnitOfWork runs inside a transaction it did not begin (a savepoint of the "
                "caller's): whether that transaction commits is unknown here, so after-commit "
                "callbacks cannot be honoured; register them with the code that commits"
            )
        self._callbacks.append(callback)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[Self]:
        """A nested scope: an exception rolls back its writes (and what they taught the cache)
        and propagates; leaving normally keeps them in the unit."""
        self.require_active()
        assert self._connection is not None and self._layer is not None
        scope = Scope(self._connection, wait=self._wait_timeout)
        await scope.begin()
        outer = self._layer
        self._layer = outer.child()
        self._scope_opened()
        kept = False
        try:
            yield self
        except BaseException as exc:
            await self._roll_back(scope, exc)
            self._layer.discard()
            raise
        else:
            await scope.commit()
            self._layer.merge_into_parent()
            kept = True
        finally:
            self._scope_closed(kept)
            self._layer = outer

    # -- the audit log row (see the module doc) -----------------------------------------------

    def _scope_opened(self) -> None:
        """A savepoint opened on the unit's connection."""
        self._depth += 1

    def _scope_closed(self, kept: bool) -> None:
        """A savepoint ended: released (its audit log row now belongs to the enclosing scope,
        so a later rollback of a sibling must not forget it), or rolled back (a row inserted in
        it is gone)."""
        self._depth -= 1
        if self._audit_log_id is None:
            return
        if kept:
            self._audit_log_depth = min(self._audit_log_depth, self._depth)
        elif self._audit_log_depth > self._depth:
            self._audit_log_id = None

    async def audit_log_for(self, spec: TableSpec[Any, Any]) -> int | None:
        """Called by every write of the unit, inside the write's savepoint: the unit's
        ``audit_log`` row id for a write to ``spec``, inserted now if no audited write created
        it yet (``Session.audit_scope`` rolls the savepoint back when that write wrote no
        history); None for a table without audit."""
        self.require_active()
        assert self._connection is not None
        self._wrote = True
        if spec.audit is None:
            return None
        if self._audit_log_id is None:
            log_id = await self._connection.fetchval(spec.audit.insert_log_sql, self._actor)
            self._audit_log_id = int(log_id)
            self._audit_log_depth = self._depth
        return self._audit_log_id

    # -- the block ----------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._state != _NEW:
            raise RuntimeError("a UnitOfWork can be entered only once: create a new one")
        self._state = _ACTIVE
        try:
            if isinstance(self._executor, asyncpg.Pool):
                lending = self._executor.acquire()
                self._connection = await lending.__aenter__()
                # only a connection actually lent is given back (a failed or cancelled acquire
                # must surface as itself, not as the pool refusing to release None)
                self._lending = lending
            else:
                assert isinstance(self._executor, Connection)
                self._connection = self._executor
            self._scope = Scope(self._connection, settings=self._settings, wait=self._wait_timeout)
            await self._scope.begin()
        except BaseException as failure:
            self._state = _CLOSED
            await self._give_back_connection()
            mapped = translated(failure, TRANSACTION)  # a refused connection, say
            if mapped is None:
                raise
            raise mapped from failure
        self._unwatch.enter_context(watching(self._connection, _Savepoints(self)))
        self._layer = CacheLayer(self._cache)
        self._session = Session(
            self._connection,
            actor=self._actor,
            cache=self._cache,
            cache_only=self._cache_only,
            unit_of_work=self,
            policy=self._policy,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._scope is not None and self._layer is not None
        layer, callbacks, scope = self._layer, self._callbacks, self._scope
        committed = False
        try:
            self._unwatch.close()
            if exc is not None:
                await self._roll_back(scope, exc)
                layer.discard()
                return  # the caller's exception propagates unchanged
            try:
                xid = await self._id_before_commit(scope)
            except BaseException as failure:
                layer.discard()
                await self._roll_back(scope, failure)  # COMMIT was not sent: end it here
                raise
            try:
                await scope.commit(xid=xid)
            except BaseException as failure:
                layer.discard()  # nothing of a failed commit may reach the global cache
                if isinstance(failure, errors.CommitOutcomeUnknownError):
                    _log.warning("unit of work of %s: %s", self._actor, failure)
                raise
            committed = True
            if scope.is_savepoint:
                # only a savepoint of the caller's transaction was released: whether it
                # commits is unknown here, so the global cache learns nothing from this unit
                layer.discard()
            else:
                layer.commit()  # synchronous: nothing can interrupt it between COMMIT and here
        finally:
            self._state = _CLOSED
            self._layer = None
            try:
                await self._give_back_connection()
            except BaseException as failure:
                if committed:  # the data is committed: its callbacks run all the same
                    await _run_callbacks_after(failure, callbacks)
                raise
        await _run_all(callbacks)

    async def _id_before_commit(self, scope: Scope) -> int | None:
        """The transaction id a ``CommitOutcomeUnknownError`` carries: read (one round trip)
        only when the unit wrote and is about to COMMIT, so read-only units pay nothing."""
        if not self._wrote or scope.is_savepoint:
            return None
        try:
            return await scope.transaction_id()
        except errors.BatchRepoError as failure:
            if failure.sqlstate == "25P02":
                return None  # an aborted transaction: COMMIT tells (TransactionAbortedError)
            raise

    async def _roll_back(self, scope: Scope, exc: BaseException) -> None:
        """Roll ``scope`` back; a failure there (a lost connection) becomes a note on ``exc``."""
        try:
            await scope.rollback()
        except BaseException as failure:  # the caller's exception must win
            exc.add_note(f"batchrepo: rolling back the unit of work failed too: {failure!r}")

    async def _give_back_connection(self) -> None:
        lending, self._lending = self._lending, None
        if lending is not None:
            await lending.__aexit__(None, None, None)


class _Savepoints:
    """Tells a unit of the ``atomic`` blocks on its connection (``executor.ScopeWatcher``)."""

    def __init__(self, unit: UnitOfWork) -> None:
        self._unit = unit

    def scope_opened(self) -> None:
        self._unit._scope_opened()

    def scope_closed(self, kept: bool) -> None:
        self._unit._scope_closed(kept)


async def _run_callbacks_after(failure: BaseException, callbacks: list[AfterCommit]) -> None:
    """Run the callbacks of a committed unit whose exit failed afterwards (giving the connection
    back was cancelled); their own failures become a note on ``failure``, which propagates."""
    try:
        await _run_all(callbacks)
    except BaseException as also:
        failure.add_note(f"batchrepo: after-commit callbacks failed too: {also!r}")


async def _run_all(callbacks: list[AfterCommit]) -> None:
    failures: list[Exception] = []
    for callback in callbacks:
        try:
            result = callback()
            if inspect.isawaitable(result):
                await result
        except Exception as failure:  # every callback runs
            failures.append(failure)
    if failures:
        raise ExceptionGroup("after-commit callbacks of a unit of work failed", failures)
