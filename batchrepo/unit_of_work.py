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

Audited writes share one ``audit_log`` row, inserted by the first of them; if the savepoint it was
inserted in rolls back, the next audited write inserts it again.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType
from typing import Any, Self

import asyncpg

from batchrepo.cache.key_cache import KeyCache, shared_cache
from batchrepo.cache.views import CacheLayer
from batchrepo.db.executor import Connection, Executor, Scope
from batchrepo.session import DEFAULT_POLICY, Session, WritePolicy
from batchrepo.spec import TableSpec

#: What ``after_commit`` accepts: a function of no arguments, plain or async.
AfterCommit = Callable[[], object] | Callable[[], Awaitable[object]]

_NEW, _ACTIVE, _CLOSED = "new", "active", "closed"


class UnitOfWork:
    """``async with UnitOfWork(pool_or_connection, actor=...) as uow:`` (see the module doc).

    ``cache``: the global key cache; by default the pool's shared one, and for a bare connection
    a private one that only this unit uses. ``cache_only``: a parent the cache does not know is
    missing, without asking the database.
    """

    def __init__(
        self,
        executor: Executor,
        *,
        actor: str,
        cache: KeyCache | None = None,
        cache_only: bool = False,
        policy: WritePolicy = DEFAULT_POLICY,
    ) -> None:
        if not isinstance(actor, str) or not actor:
            raise TypeError(f"a UnitOfWork needs an actor (a non-empty str), not {actor!r}")
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
        """How many ``savepoint()`` blocks are open."""
        self._audit_log_id: int | None = None
        self._audit_log_depth = 0
        """The savepoint depth the audit log row was inserted at."""
        self._callbacks: list[AfterCommit] = []

    # -- what the block uses ----------------------------------------------------------------

    @property
    def session(self) -> Session:
        """The session repositories of this unit run in (valid inside the block only)."""
        self.require_active()
        assert self._session is not None
        return self._session

    @property
    def connection(self) -> Connection:
        """The unit's one connection (valid inside the block only)."""
        self.require_active()
        assert self._connection is not None
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
        """The id of the unit's ``audit_log`` row, None until an audited write created it."""
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
        scope = Scope(self._connection)
        await scope.begin()
        outer = self._layer
        self._layer = outer.child()
        self._depth += 1
        try:
            yield self
        except BaseException as exc:
            await self._roll_back(scope, exc)
            self._layer.discard()
            self._forget_audit_log_above(self._depth - 1)
            raise
        else:
            await scope.commit()
            self._layer.merge_into_parent()
            # a released savepoint's audit log row now belongs to the enclosing scope: a later
            # rollback of a sibling savepoint must not forget it (one log row per unit of work)
            self._audit_log_depth = min(self._audit_log_depth, self._depth - 1)
        finally:
            self._depth -= 1
            self._layer = outer

    async def audit_log_for(self, spec: TableSpec[Any, Any]) -> int:
        """The unit's ``audit_log`` row id, inserted now if no audited write did yet."""
        self.require_active()
        assert spec.audit is not None and self._connection is not None
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
            self._scope = Scope(self._connection)
            await self._scope.begin()
        except BaseException:
            self._state = _CLOSED
            await self._give_back_connection()
            raise
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
            if exc is not None:
                await self._roll_back(scope, exc)
                layer.discard()
                return  # the caller's exception propagates unchanged
            try:
                await scope.commit()
            except BaseException:
                layer.discard()  # nothing of a failed commit may reach the global cache
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

    async def _roll_back(self, scope: Scope, exc: BaseException) -> None:
        """Roll ``scope`` back; a failure there (a lost connection) becomes a note on ``exc``."""
        try:
            await scope.rollback()
        except BaseException as failure:  # the caller's exception must win
            exc.add_note(f"batchrepo: rolling back the unit of work failed too: {failure!r}")

    def _forget_audit_log_above(self, depth: int) -> None:
        if self._audit_log_id is not None and self._audit_log_depth > depth:
            self._audit_log_id = None

    async def _give_back_connection(self) -> None:
        lending, self._lending = self._lending, None
        if lending is not None:
            await lending.__aexit__(None, None, None)


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
