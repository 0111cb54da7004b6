"""Where and on what the contenders run: the two tables (lanes) and each operation's start state.

Every contender of an operation gets the same start: the same number of rows stored (written
by binary COPY and ``ANALYZE``-d, untimed) and input of the same shape, made fresh for it (new
keys, so no contender finds another's rows). Writes start from a state of their own, rebuilt
before each contender; reads share one state per repetition, since they change nothing.

* insert: an empty table; ``size`` new entities.
* load: ``size`` stored rows; their keys.
* exists: ``size`` stored rows; keys half stored, half never written (lookups miss too).
* update: ``size`` stored rows; the same rows with ``display_name`` changed.
* delete: ``size`` stored rows; their keys.
* upsert: ``size / 2`` stored rows; those rows changed plus ``size / 2`` new ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from types import ModuleType
from typing import Any

from .registry import AUDITED, Work
from .rows import ACTOR, Connection, RowFactory

#: Columns no contender sends: the database fills them (``now()``; the version starts at 1).
DATABASE_FILLED = frozenset({"created_at", "version"})


@dataclasses.dataclass(eq=False)
class Lane:
    """One of the two ``person`` tables: its generated package, its database and a connection.

    ``peer`` holds what a third-party contender needs on this lane (the SQLAlchemy engine and
    mapping on the plain lane), set up by that contender's module so this one needs none of it.
    """

    label: str
    package: ModuleType
    dsn: str
    conn: Connection
    rows: RowFactory
    peer: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def spec(self) -> Any:
        return self.package.person.PERSON_TABLE

    @property
    def audited(self) -> bool:
        return self.label == AUDITED

    def repository(self, target: Any = None, **session: Any) -> Any:
        """The generated ``PersonRepository`` on ``target`` (the lane's connection by default);
        audited writes need an actor."""
        actor = ACTOR if self.audited else None
        return self.package.PersonRepository(
            self.conn if target is None else target, actor=actor, **session
        )

    def sent_columns(self) -> list[Any]:
        """The ``ColumnSpec`` of every column a hand-written statement sends, in table order."""
        return [c for c in self.spec.columns if c.name not in DATABASE_FILLED]

    async def truncate(self) -> None:
        tables = '"person", "person_history", "audit_log"' if self.audited else '"person"'
        await self.conn.execute(f"TRUNCATE {tables} CASCADE")

    async def seed(self, items: Sequence[Any]) -> None:
        """Store ``items`` the fastest way (binary COPY, no history) and refresh the planner's
        statistics, as a table that has held its rows for a while would have them."""
        columns = self.sent_columns()
        await self.conn.copy_records_to_table(
            "person",
            records=[tuple(getattr(item, c.attr) for c in columns) for item in items],
            columns=[c.name for c in columns],
        )
        await self.conn.execute('ANALYZE "person"')


def changed(items: Sequence[Any]) -> list[Any]:
    """``items`` with a new ``display_name``: what an update sends."""
    return [dataclasses.replace(p, display_name=p.display_name + " (updated)") for p in items]


async def _stored(lane: Lane, size: int) -> list[Any]:
    await lane.truncate()
    stored = lane.rows.make(size)
    await lane.seed(stored)
    return stored


async def _insert(lane: Lane, size: int) -> Work:
    await lane.truncate()
    return Work(items=lane.rows.make(size))


async def _load(lane: Lane, size: int) -> Work:
    return Work(keys=[p.id for p in await _stored(lane, size)])


async def _exists(lane: Lane, size: int) -> Work:
    stored = await _stored(lane, size)
    hits = [p.id for p in stored[: size - size // 2]]
    return Work(keys=hits + [p.id for p in lane.rows.make(size // 2)])


async def _update(lane: Lane, size: int) -> Work:
    return Work(items=changed(await _stored(lane, size)))


async def _delete(lane: Lane, size: int) -> Work:
    return Work(keys=[p.id for p in await _stored(lane, size)])


async def _upsert(lane: Lane, size: int) -> Work:
    stored = await _stored(lane, size - size // 2)
    return Work(items=changed(stored) + lane.rows.make(size // 2))


@dataclasses.dataclass(frozen=True, slots=True)
class StartState:
    """How an operation's start is made, and whether each contender needs its own."""

    make: Callable[[Lane, int], Awaitable[Work]]
    per_contender: bool


START_STATES: dict[str, StartState] = {
    "insert": StartState(_insert, per_contender=True),
    "load": StartState(_load, per_contender=False),
    "exists": StartState(_exists, per_contender=False),
    "update": StartState(_update, per_contender=True),
    "delete": StartState(_delete, per_contender=True),
    "upsert": StartState(_upsert, per_contender=True),
}
