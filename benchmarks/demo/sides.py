"""One side of the demo: a database, its key cache, the repositories of the running step's unit
of work, and the step's progress bar.

The bar counts rows: row by row as the single-row loop goes (:func:`one_by_one`), for a batch
call when it returns, and for the chunked import after each chunk (:meth:`Side.chunk_done`, its
``progress`` callback).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

import asyncpg
from ledger import (
    Account,
    AccountRepository,
    CountryRepository,
    CountrySubdivisionRepository,
    EntityReferenceRepository,
    LedgerTransaction,
    LedgerTransactionRepository,
    LocalityRepository,
    LocationRepository,
    Person,
    PersonRepository,
    UnitOfWork,
)
from tqdm import tqdm

from batchrepo import KeyCache, ProgressEvent

from ..timing import timed

E = TypeVar("E")
X = TypeVar("X")
R = TypeVar("R")


class Saving(Protocol[E]):
    """What every generated repository offers for inserting (structural: no base class)."""

    async def save(self, item: E) -> E: ...
    async def save_batch(self, items: Sequence[E]) -> list[E]: ...


#: Who the demo's units of work write as (both sides alike, so their audit trails compare equal).
ACTOR = "ledger-demo"


@dataclasses.dataclass(slots=True)
class Side:
    """One database, its key cache, and while a step runs, the step's unit of work.

    Every step runs in its own unit of work (one transaction, one ``audit_log`` row) on both
    sides; ``person``, ``account`` and the other repositories are those of the running unit.
    """

    name: str
    conn: asyncpg.Connection[asyncpg.Record]
    cache: KeyCache = dataclasses.field(default_factory=KeyCache)
    uow: UnitOfWork | None = None
    persons: list[Person] = dataclasses.field(default_factory=list)
    accounts: list[Account] = dataclasses.field(default_factory=list)
    transactions: list[LedgerTransaction] = dataclasses.field(default_factory=list)
    """What the saves returned on this side (identity keys differ between databases)."""
    bar: tqdm[None] | None = None
    """The running step's progress bar."""

    def advance(self, rows: int = 1) -> None:
        """``rows`` more rows of the running step are done."""
        if self.bar is not None:
            self.bar.update(rows)

    def chunk_done(self, event: ProgressEvent) -> None:
        """The ``progress`` of a chunked call: the bar follows its rows."""
        if self.bar is not None:
            self.bar.update(event.rows_done - self.bar.n)

    @classmethod
    def on(cls, name: str, conn: asyncpg.Connection[asyncpg.Record]) -> Side:
        return cls(name, conn)

    async def run(self, step: Callable[[Side], Awaitable[R]]) -> R:
        """``step`` inside a new unit of work, committed when it returns."""
        async with UnitOfWork(self.conn, actor=ACTOR, cache=self.cache) as uow:
            self.uow = uow
            try:
                return await step(self)
            finally:
                self.uow = None

    def _unit(self) -> UnitOfWork:
        if self.uow is None:
            raise RuntimeError(f"side {self.name}: repositories exist only inside a step")
        return self.uow

    @property
    def country(self) -> CountryRepository:
        return self._unit().country

    @property
    def subdivision(self) -> CountrySubdivisionRepository:
        return self._unit().country_subdivision

    @property
    def locality(self) -> LocalityRepository:
        return self._unit().locality

    @property
    def location(self) -> LocationRepository:
        return self._unit().location

    @property
    def person(self) -> PersonRepository:
        return self._unit().person

    @property
    def entity_reference(self) -> EntityReferenceRepository:
        return self._unit().entity_reference

    @property
    def account(self) -> AccountRepository:
        return self._unit().account

    @property
    def transaction(self) -> LedgerTransactionRepository:
        return self._unit().ledger_transaction


async def one_by_one(side: Side, call: Callable[[X], Awaitable[R]], items: Sequence[X]) -> list[R]:
    """The single-row baseline: ``call`` per item, all inside the step's unit of work."""
    done = []
    for item in items:
        done.append(await call(item))
        side.advance()
    return done


async def run_with_bar(
    side: Side, label: str, rows: int, step: Callable[[Side], Awaitable[R]]
) -> tuple[R, float]:
    """``step`` on ``side``, timed, under a progress bar of ``rows`` rows (on stderr)."""
    with tqdm(total=rows, desc=label, unit="row", leave=True, mininterval=0.2) as bar:
        side.bar = bar
        try:
            result = await timed(lambda: side.run(step))
        finally:
            side.bar = None
        bar.update(rows - bar.n)  # a batch call counts its rows when it returns
    return result
