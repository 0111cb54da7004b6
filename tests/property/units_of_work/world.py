"""What the unit-of-work machine runs on: the twin databases, a side per database and the
package's tables, built from any twin (:func:`open_world`): plain PostgreSQL databases
(``conftest.py``) or Citus databases on a cluster (``tests/citus``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from batchrepo.cache.entity_reads import cache_entities
from batchrepo.session import WritePolicy

from ..packages import table_specs
from ..strategies.rows import Spec, TableShape, shape_of
from ..twin import Twin
from .sides import Side


@dataclass
class World:
    """What every example of the machine runs on: the twin's databases (admin connections),
    the two sides, the package's tables in dependency order and its UnitOfWork."""

    twin: Twin
    batch: Side
    single: Side
    specs: Sequence[Spec]
    unit_of_work: Callable[..., Any]
    shapes: dict[str, TableShape] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.shapes = {spec.table: shape_of(spec) for spec in self.specs}

    @property
    def sides(self) -> tuple[Side, Side]:
        return self.batch, self.single

    def run(self, awaitable: Awaitable[Any]) -> Any:
        return self.twin.run(awaitable)

    async def reset(self) -> None:
        tables = [s.table for s in self.specs]
        tables += [s.audit.history_table for s in self.specs if s.audit is not None]
        if any(s.audit is not None for s in self.specs):
            tables.append("audit_log")
        await self.twin.reset(tables)
        for side in self.sides:
            side.fresh_cache()
        for spec in self.specs:  # the batch side reads through an entity cache, the other not
            cache_entities(self.batch.cache, spec, ttl=3600)


@contextmanager
def open_world(
    twin: Twin, package: ModuleType, tables: Sequence[str] | None = None
) -> Iterator[World]:
    """A world on ``twin``, whose databases already hold ``package``'s tables: a work
    connection per side, closed on exit. The batch side writes every batch insert of a table
    that allows COPY by COPY, however small; the single side keeps the default policy.
    ``tables``: the machine writes these only (with their parents among them), else all."""
    assert twin.urls is not None
    batch = Side("batch", twin.urls[0], twin.batch, WritePolicy(copy_from_rows=0))
    single = Side("single", twin.urls[1], twin.single)
    specs = list(table_specs(package).values())
    if tables is not None:
        specs = [spec for spec in specs if spec.table in tables]
    built = World(twin, batch, single, specs, package.UnitOfWork)
    try:
        yield built
    finally:
        for side in built.sides:
            if side.work is not None and not side.work.is_closed():
                twin.run(side.work.close())
