"""The contenders of ``make bench``: one small registered function per way of doing an operation.

A contender is a function ``(lane, work) -> job``: it receives the table it runs on (a
:class:`~benchmarks.bench.workload.Lane`) and the operation's input (a :class:`Work`, the same
entities or keys for every contender), does nothing timed, and returns the job the runner
times: an argument-less coroutine function doing the whole operation, from the application's
entities to the database and back. Registering one is one decorator::

    @contender("insert", "asyncpg COPY", family="asyncpg")
    def copy(lane: Lane, work: Work) -> Job:
        return lambda: lane.conn.copy_records_to_table(...)

so a new path of the runtime (a write policy, ``returning=False``) is one more entry, and an
entry whose feature the installed runtime lacks is registered with ``when=False`` and skipped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .workload import Lane

#: What the runner times: the whole operation, called once.
Job = Callable[[], Awaitable[object]]

#: Operations in report order.
OPERATIONS = ("insert", "load", "exists", "update", "delete", "upsert")
#: The two tables: ``person`` generated without audit, and the audited ``person`` of ``ledger``.
PLAIN, AUDITED = "plain", "audited"
#: Families, in report order: what the reader compares batchrepo with.
FAMILIES = ("batchrepo", "single-row", "asyncpg", "SQLAlchemy")


@dataclasses.dataclass(frozen=True, slots=True)
class Work:
    """One operation's input, made before the clock starts: entities to write (new ones for
    insert, changed stored ones for update, half of each for upsert) or keys to read or delete."""

    items: Sequence[Any] = ()
    keys: Sequence[Any] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class Contender:
    operation: str
    name: str
    family: str
    prepare: Callable[[Lane, Work], Job]
    #: The tables it runs on; peers run on the plain table only (they write no history).
    tables: tuple[str, ...]
    #: Largest batch it is measured at (row-by-row loops would take minutes at 100,000).
    max_rows: int | None
    #: One line for the report on what exactly it does.
    note: str

    def runs_at(self, rows: int) -> bool:
        return self.max_rows is None or rows <= self.max_rows


REGISTRY: list[Contender] = []


def contender(
    operation: str,
    name: str,
    *,
    family: str,
    tables: tuple[str, ...] = (PLAIN,),
    max_rows: int | None = None,
    when: bool = True,
    note: str = "",
) -> Callable[[Callable[[Lane, Work], Job]], Callable[[Lane, Work], Job]]:
    """Register the decorated function as ``name`` for ``operation`` (if ``when``)."""
    if operation not in OPERATIONS:
        raise ValueError(f"contender {name!r}: unknown operation {operation!r}")
    if family not in FAMILIES:
        raise ValueError(f"contender {name!r}: unknown family {family!r}")
    if any(c.operation == operation and c.name == name for c in REGISTRY):
        raise ValueError(f"contender {name!r} is registered twice for {operation}")

    def register(prepare: Callable[[Lane, Work], Job]) -> Callable[[Lane, Work], Job]:
        if when:
            REGISTRY.append(
                Contender(operation, name, family, prepare, tables, max_rows, note or "")
            )
        return prepare

    return register


def contenders(operation: str, rows: int, only: Sequence[str] = ()) -> list[Contender]:
    """The registered contenders of ``operation`` measured at ``rows``, in registration order;
    ``only`` keeps those whose name contains one of its words (``--only`` on the command line)."""
    return [
        c
        for c in REGISTRY
        if c.operation == operation
        and c.runs_at(rows)
        and (not only or any(word.lower() in c.name.lower() for word in only))
    ]
