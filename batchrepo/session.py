"""What an operation runs in: where statements go, who acts, and which key cache it reads.

Operations and generated repositories accept either a bare :class:`~batchrepo.db.executor.Executor`
(a pool or a connection) or a :class:`Session`. A unit of work hands its repositories a session
bound to its connection, actor, audit log row and local cache layer (``docs/units-of-work.md``).

Which cache an operation records into is decided when it starts, because only then is it known
whether its statements commit by themselves:

* in a unit of work: the unit's current layer (merged into the global cache after COMMIT);
* on a pool, or a connection outside any transaction: straight into the global cache
  (``DirectView``), since each statement or batch commits as soon as it ends;
* on a connection inside the caller's own transaction: the global cache read-only
  (``ReadOnlyView``): that commit is unknown, so nothing is added, while evictions still apply.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import asyncpg

from batchrepo.cache.key_cache import KeyCache, shared_cache
from batchrepo.cache.views import CacheLayer, CacheView, DirectView, ReadOnlyView
from batchrepo.db.executor import Connection, Executor, atomic

if TYPE_CHECKING:
    from batchrepo.spec import TableSpec


@dataclass(frozen=True, slots=True)
class WritePolicy:
    """How writes choose between equivalent paths; results and errors never depend on it.

    ``copy_from_rows``: an insert of at least this many rows goes by binary COPY where the table
    allows it (``TableSpec.copy``); ``None`` never, ``0`` always. The default is where COPY
    started to pay on the machine of ``make bench`` (see docs/design.md, "Write paths").
    """

    copy_from_rows: int | None = 1000

    def copies(self, rows: int) -> bool:
        return self.copy_from_rows is not None and rows >= self.copy_from_rows


#: The policy of sessions that are given none.
DEFAULT_POLICY = WritePolicy()

#: Whether a history row's foreign key has locked the ``audit_log`` row (see ``audit_scope``).
_LOG_ROW_REFERENCED = """\
SELECT "xmax"::text <> '0'
FROM "audit_log"
WHERE "id" = $1::int8"""


class _NothingAudited(Exception):
    """Rolls back the savepoint of a unit's first audited write that wrote no history."""


class UnitScope(Protocol):
    """What a session needs of the unit of work it belongs to
    (:class:`batchrepo.unit_of_work.UnitOfWork` implements it; naming the protocol here keeps
    the session below the unit of work, which builds sessions)."""

    @property
    def cache_layer(self) -> CacheLayer: ...

    @property
    def audit_log_id(self) -> int | None: ...

    def require_active(self) -> None: ...

    async def audit_log_for(self, spec: TableSpec[Any, Any]) -> int | None: ...


class Session:
    """The context of one or more operations: executor, actor, key cache and unit of work."""

    __slots__ = ("_executor", "actor", "cache", "cache_only", "policy", "unit_of_work")

    def __init__(
        self,
        executor: Executor,
        *,
        actor: str | None = None,
        cache: KeyCache | None = None,
        cache_only: bool = False,
        unit_of_work: UnitScope | None = None,
        policy: WritePolicy = DEFAULT_POLICY,
    ) -> None:
        self._executor = executor
        self.actor = actor
        """Who writes: recorded in ``audit_log`` for audited tables (required to write them)."""
        self.cache = cache
        """The global key cache (None: every reference check asks the database)."""
        self.cache_only = cache_only
        """Treat a parent the cache does not know as missing, without asking the database."""
        self.unit_of_work = unit_of_work
        """The unit of work this session belongs to, if any."""
        self.policy = policy
        """How writes choose their path (COPY or statement)."""

    @property
    def executor(self) -> Executor:
        """Where statements go; a unit of work's session refuses outside its ``async with``."""
        if self.unit_of_work is not None:
            self.unit_of_work.require_active()
        return self._executor

    def cache_view(self) -> CacheView | None:
        """The cache an operation starting now reads and records through (see module doc)."""
        if self.unit_of_work is not None:
            return self.unit_of_work.cache_layer
        if self.cache is None:
            return None
        if commits_by_itself(self._executor):
            return DirectView(self.cache)
        return ReadOnlyView(self.cache)

    def require_actor(self, spec: TableSpec[Any, Any]) -> None:
        """A TypeError, before any SQL, when an audited table would be written by nobody."""
        if spec.audit is not None and self.actor is None:
            raise TypeError(
                f"table {spec.table} is audited: writing it needs an actor "
                "(pass actor= to the repository, or use a UnitOfWork)"
            )

    async def unit_audit_log_id(self, spec: TableSpec[Any, Any]) -> int | None:
        """The unit of work's ``audit_log`` row id if an audited write created it already, else
        None (never inserts one: the write that first needs it does, see :meth:`audit_scope`)."""
        if spec.audit is None or self.unit_of_work is None:
            return None
        return self.unit_of_work.audit_log_id

    @asynccontextmanager
    async def audit_scope(
        self, conn: Connection, spec: TableSpec[Any, Any]
    ) -> AsyncIterator[list[Any]]:
        """The savepoint (or transaction) of one write on ``conn``, giving the statement's
        trailing audit log argument (``[]`` for tables without audit).

        An audited write inserts the ``audit_log`` row inside its savepoint, so a failing write
        rolls it back with itself: outside a unit of work a row per write, in a unit the unit's
        row, by the first write that needs it. That first write must also have written history:
        an update that changed nothing (or a delete that found nothing) wrote none, and its
        savepoint is rolled back too (it changed nothing else), so a unit's log row exists only
        with history. Whether it did is one index lookup: the history rows' foreign key locked
        the log row (``FOR KEY SHARE``), which sets its ``xmax``; nothing else can have
        touched a row this savepoint just inserted.
        """
        unit = self.unit_of_work
        try:
            async with atomic(conn):
                if unit is not None:
                    existed = unit.audit_log_id is not None
                    log_id = await unit.audit_log_for(spec)  # also tells the unit it writes
                    if log_id is None:
                        yield []
                    else:
                        yield [log_id]
                        if not existed and not await conn.fetchval(_LOG_ROW_REFERENCED, log_id):
                            raise _NothingAudited
                elif spec.audit is None:
                    yield []
                else:
                    yield [int(await conn.fetchval(spec.audit.insert_log_sql, self.actor))]
        except _NothingAudited:
            return

    def __repr__(self) -> str:
        unit = "" if self.unit_of_work is None else ", in a unit of work"
        return f"Session({type(self._executor).__name__}, actor={self.actor!r}{unit})"


def commits_by_itself(executor: Executor) -> bool:
    """Whether a statement sent to ``executor`` now commits when it ends (a pool lends a fresh
    connection; a connection outside a transaction autocommits)."""
    if isinstance(executor, asyncpg.Pool):
        return True
    return isinstance(executor, Connection) and not executor.is_in_transaction()


#: What operations accept: a bare executor, or a session.
Target = Executor | Session


def as_session(
    target: Target, *, actor: str | None = None, policy: WritePolicy | None = None
) -> Session:
    """``target`` itself when it is a session, else a session over the bare executor.

    A bare pool reads and feeds the pool's shared key cache; a bare connection has none.
    ``policy`` applies to a new session (a session given keeps its own).
    """
    if isinstance(target, Session):
        if actor is None or actor == target.actor:
            return target
        if target.unit_of_work is not None or target.actor is not None:
            raise ValueError(
                f"this session already acts as {target.actor!r}; it cannot act as {actor!r}"
            )
        return Session(
            target.executor,
            actor=actor,
            cache=target.cache,
            cache_only=target.cache_only,
            policy=target.policy,
        )
    cache = shared_cache(target) if isinstance(target, asyncpg.Pool) else None
    return Session(target, actor=actor, cache=cache, policy=policy or DEFAULT_POLICY)
