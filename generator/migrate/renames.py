"""The order of a migration's renames: tables, columns of one table, constraints and indexes.

``ALTER ... RENAME`` fails when the new name is still taken. Within one migration that happens
only when names trade places: a swap (``a`` -> ``b``, ``b`` -> ``a``), a cycle, or a chain
(``a`` -> ``b``, ``b`` -> ``c``). Each rename whose new name is another one's old name therefore
moves to a temporary name first; the renames that meet no such name follow, which frees every
old name; the temporary names take their final names last.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from ..model import Schema
from .match import all_enums, all_tables
from .statements import constraints, indexes

Subject = TypeVar("Subject")

#: Temporary names are ``batchrepo_rename_<n>``, the first ones no object of either schema has.
TEMPORARY_PREFIX = "batchrepo_rename_"


@dataclass(frozen=True, slots=True)
class Rename(Generic[Subject]):
    subject: Subject
    """What is renamed, for the statement: a table name, a constraint and its table, ..."""
    old: str
    new: str
    temporary: bool = False
    """``new`` is a temporary name (the final one is still taken)."""


def ordered_renames(
    renames: Sequence[Rename[Subject]], taken: Collection[str]
) -> list[Rename[Subject]]:
    """``renames`` (old name -> final name, in one namespace) as renames that apply in order;
    ``taken``: every name temporary names must avoid (see :func:`schema_names`)."""
    sources = {r.old for r in renames}
    blocked = [r for r in renames if r.new in sources]
    free = (
        f"{TEMPORARY_PREFIX}{n}"
        for n in range(1, len(taken) + len(blocked) + 2)
        if f"{TEMPORARY_PREFIX}{n}" not in taken
    )
    parked = [Rename(r.subject, r.old, next(free), temporary=True) for r in blocked]
    direct = [r for r in renames if r.new not in sources]
    final = [Rename(r.subject, p.new, r.new) for r, p in zip(blocked, parked, strict=True)]
    return [*parked, *direct, *final]


def schema_names(*schemas: Schema) -> frozenset[str]:
    """Every name of tables, columns, constraints, indexes and types in ``schemas``."""
    return frozenset(_names(schemas))


def _names(schemas: Iterable[Schema]) -> Iterable[str]:
    for schema in schemas:
        yield from (e.name for e in all_enums(schema))
        for table in all_tables(schema):
            yield table.name
            yield from (c.name for c in table.columns)
            yield from (o.name for o in (*constraints(table), *indexes(table)))
