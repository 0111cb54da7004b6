"""Audit overhead: the same ``person`` rows through the audited table and its plain twin.

Each twin is the person table of one generated package (``ledger``, audited, and the run-time
``ledger_plain`` of :mod:`benchmarks.audit.plain_twin`) in a database of its own on the same server.
A flow writes ``size`` fresh rows and then walks them through every operation: insert, update
with every row changed, update with no row changed (the audited statement's skip path: no write,
no history row; the plain statement rewrites every row regardless), and delete. A flow has
several variants (a twin and a path), each with rows of its own: the batch path on both twins,
or both single-row paths on both twins. Each operation runs on every variant back to back, in an
order that rotates with the repetition and the operation, so every comparison is between
measurements taken seconds apart.

Paths:

* ``batch``: the batch method on a connection outside a transaction (it opens its own);
* ``single, unit of work``: the one-row method in a loop in one ``UnitOfWork``. Every single-row
  write in a unit of work runs in a savepoint of its own (a failed row must not abort the unit);
* ``single, transaction``: the one-row method in a loop in one plain transaction, repository
  given ``actor=``. The plain twin sends one statement per row; the audited one a savepoint and
  an ``audit_log`` row of its own per write (there is no unit to share one).

The four single-row variants (both paths on both twins) run row by row in lockstep
(:mod:`benchmarks.audit.row_by_row`), each path on a connection of its own; batch variants run one
after the other.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import ledger

from ..bench.rows import ACTOR, Connection, RowFactory
from ..timing import rotated, timed
from .row_by_row import Loop, in_lockstep

OPERATIONS = ("insert", "update", "update, unchanged", "delete")
BATCH = "batch"
SINGLE_IN_UNIT = "single, unit of work"
SINGLE_IN_TRANSACTION = "single, transaction"
#: The single-row paths, measured row by row side by side (each on a connection of its own).
SINGLE_ROW_PATHS = (SINGLE_IN_UNIT, SINGLE_IN_TRANSACTION)
AUDITED, PLAIN = "audited", "plain"

#: (operation, path, rows, twin label) -> milliseconds of this repetition.
Timings = dict[tuple[str, str, int, str], float]


@dataclasses.dataclass(frozen=True)
class Twin:
    """One of the two person tables: its generated package and connections to its database
    (one per variant that may hold a transaction open at the same time as another).

    Typed ``Any`` where the packages differ: the plain twin is generated at run time, so the
    type checker knows neither its classes nor that they mirror ``ledger``'s.
    """

    label: str
    package: ModuleType
    connections: tuple[Connection, ...]

    @property
    def conn(self) -> Connection:
        return self.connections[0]

    @property
    def audited(self) -> bool:
        return self.package.person.PERSON_TABLE.audit is not None

    def entities(self, persons: Sequence[ledger.Person]) -> list[Any]:
        """``persons`` as this package's entities (the twin has its own classes and enums)."""
        if self.package is ledger:
            return list(persons)
        entity = self.package.Person
        names = [f.name for f in dataclasses.fields(entity)]
        return [entity(**{n: self._own(getattr(p, n)) for n in names}) for p in persons]

    def _own(self, value: Any) -> Any:
        if isinstance(value, enum.Enum):  # the same enum, generated again in this package
            return getattr(self.package, type(value).__name__)(value.value)
        return value

    def repository(self, target: Any) -> Any:
        return self.package.PersonRepository(target, actor=ACTOR)

    async def truncate(self) -> None:
        """Empty person, its history and the audit log (the plain twin's stays empty anyway), so
        every flow starts from the same state whatever the earlier repetitions wrote."""
        history = ', "person_history"' if self.audited else ""
        await self.conn.execute(f'TRUNCATE "person"{history}, "audit_log" CASCADE')

    async def history_rows(self) -> int:
        return int(await self.conn.fetchval('SELECT count(*) FROM "person_history"'))


@dataclasses.dataclass(frozen=True, eq=False)  # compared and hashed by identity
class Variant:
    """One way of writing: a twin, a path and a connection of the twin's. Variants of a flow
    share the twins' tables, each with rows of its own."""

    twin: Twin
    path: str
    conn: Connection


def variants(twins: Sequence[Twin], *paths: str) -> list[Variant]:
    """Every path on every twin, each path on a connection of its own."""
    if any(len(twin.connections) < len(paths) for twin in twins):
        raise ValueError(f"{len(paths)} paths side by side need as many connections per twin")
    return [
        Variant(twin, path, twin.connections[index])
        for index, path in enumerate(paths)
        for twin in twins
    ]


async def measure_flow(
    flow: Sequence[Variant], rows: RowFactory, size: int, repetition: int
) -> Timings:
    """Every operation on ``size`` rows per variant; each operation on every variant back to
    back, in an order that rotates with the repetition and the operation."""
    twins = {variant.twin.label: variant.twin for variant in flow}
    for twin in twins.values():
        await twin.truncate()
    stored = {variant: variant.twin.entities(rows.make(size)) for variant in flow}
    timings: Timings = {}
    for index, operation in enumerate(OPERATIONS):
        order = rotated(flow, repetition + index)
        sent = {v: _input(operation, stored[v], f"{v.path} {repetition}") for v in order}
        if all(variant.path == BATCH for variant in order):
            done = [await timed(lambda: _batch(v, operation, sent[v])) for v in order]  # noqa: B023
        else:
            done = await in_lockstep([_loop(v, operation, sent[v]) for v in order])
        for variant, (result, elapsed) in zip(order, done, strict=True):
            _check(variant.twin, operation, sent[variant], result)
            stored[variant] = result
            timings[operation, variant.path, size, variant.twin.label] = elapsed
        if operation == "insert":
            for twin in twins.values():
                # as an application's tables would be: statistics that know the rows
                await twin.conn.execute('ANALYZE "person"')
    for label, twin in twins.items():
        # insert, changing update and delete each write one history row per row; the skip
        # path none
        expected = 3 * size * sum(variant.twin is twin for variant in flow)
        if twin.audited and (found := await twin.history_rows()) != expected:
            raise AssertionError(f"{label}: {found} person_history rows, expected {expected}")
    return timings


def _input(operation: str, stored: list[Any], tag: str) -> list[Any]:
    """What the operation sends, made before the clock starts: rows, changed rows, or keys."""
    if operation == "update":
        # the version each row was read with: the optimistic check runs, as in real use
        return [dataclasses.replace(p, display_name=f"{p.display_name} {tag}") for p in stored]
    if operation == "delete":
        return [p.id for p in stored]
    return stored  # insert: fresh rows; unchanged update: the rows exactly as stored


async def _batch(variant: Variant, operation: str, sent: list[Any]) -> list[Any]:
    """The stored rows after the operation; after a delete, the count in a list."""
    repo = variant.twin.repository(variant.conn)
    if operation == "delete":
        return [await repo.delete_batch(sent)]
    write = repo.save_batch if operation == "insert" else repo.update_batch
    return list(await write(sent))


def _loop(variant: Variant, operation: str, sent: list[Any]) -> Loop:
    """A single-row path as a loop: in a unit of work, or in a transaction with ``actor=``."""
    twin, conn = variant.twin, variant.conn
    if variant.path == SINGLE_IN_UNIT:
        unit = twin.package.UnitOfWork(conn, actor=ACTOR)
        return Loop(unit, lambda uow: _one_row(uow.person, operation), sent)
    repo = twin.repository(conn)
    return Loop(conn.transaction(), lambda _transaction: _one_row(repo, operation), sent)


def _one_row(repo: Any, operation: str) -> Any:
    return {
        "insert": repo.save,
        "update": repo.update,
        "update, unchanged": repo.update,
        "delete": repo.delete,
    }[operation]


def _check(twin: Twin, operation: str, sent: list[Any], result: list[Any]) -> None:
    """Every row written as asked, so the timings measure the work they claim to."""
    if operation == "delete":
        deleted = sum(result)  # a batch's count, or one bool per row
        if deleted != len(sent):
            raise AssertionError(f"{twin.label}: deleted {deleted} of {len(sent)} person rows")
        return
    if len(result) != len(sent):
        raise AssertionError(f"{twin.label} {operation}: {len(result)} of {len(sent)} rows back")
    if twin.audited and operation.startswith("update"):
        step = 0 if operation == "update, unchanged" else 1
        if any(r.version != s.version + step for r, s in zip(result, sent, strict=True)):
            raise AssertionError(f"{twin.label} {operation}: versions did not move by {step}")
