"""Rows of one table, drawn from its ``TableSpec``: entities, keys, parent rows.

Foreign keys to other tables draw mostly from the parent keys the target created first, and now
and then keep the column's own (missing, or NULL) value. Self references are NULL but one time
in 16; the batch tweaks of :mod:`batches` point them at real rows. Columns of unique keys (and
of composite primary keys) draw from a small pool most of the time, so keys collide.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from batchrepo.spec import ForeignKeySpec, TableSpec, WriteMode

from .values import (
    EnumType,
    Strategy,
    fixed_length,
    invalid_values,
    sample_pool,
    sample_value,
    scalar_valid,
)
from .values import valid_values as column_values

Spec = TableSpec[Any, Any]
#: Values of several columns of one row, in the order of some column positions.
Values = tuple[Any, ...]
#: How many distinct values a unique or composite-key column draws from most of the time.
POOL_SIZE = 3
#: Draw char(n) key values at their full length only. Shorter ones are padded by PostgreSQL and
#: compare equal to their padded form there but not in Python: a family of bugs the runtime had
#: (equivalence/test_equivalence_examples.py); True would stop drawing them, to hunt other bugs
#: while one is open.
UNPADDED_KEYS = False


def _enum_in(hint: Any) -> EnumType:
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    for arg in typing.get_args(hint):
        found = _enum_in(arg)
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class TableShape:
    """A table as the strategies see it: its spec, the enum class of each column (read from the
    entity's annotations) and the keys of parent rows that exist in both databases."""

    spec: Spec
    enum_types: tuple[EnumType, ...]
    parent_keys: Mapping[str, Sequence[Values]] = dataclasses.field(default_factory=dict)

    @property
    def self_references(self) -> list[ForeignKeySpec]:
        return [fk for fk in self.spec.foreign_keys if fk.self_parent_columns is not None]

    def invalid_choices(self) -> list[tuple[int, Any]]:
        """Every (column position, invalid value) pair; identity columns excluded."""
        return [
            (pos, value)
            for pos, col in enumerate(self.spec.columns)
            if not col.identity
            for value in invalid_values(col, self.enum_types[pos])
        ]


def shape_of(spec: Spec, parent_keys: Mapping[str, Sequence[Values]] | None = None) -> TableShape:
    hints = typing.get_type_hints(spec.entity)
    enum_types = tuple(_enum_in(hints.get(col.attr)) for col in spec.columns)
    return TableShape(spec, enum_types, dict(parent_keys or {}))


def get(spec: Spec, item: Any, positions: Sequence[int]) -> Values:
    """The values of the columns at ``positions`` of one entity."""
    return tuple(getattr(item, spec.columns[p].attr) for p in positions)


def as_compared(spec: Spec, positions: Sequence[int], values: Sequence[Any]) -> Values:
    """Values as PostgreSQL compares them: char(n) without trailing spaces (``'a'`` and
    ``'a '`` are one key), enum members as their strings (StrEnum members hash by name)."""
    out = []
    for p, v in zip(positions, values, strict=True):
        if isinstance(v, enum.Enum):
            v = v.value
        if isinstance(v, str) and fixed_length(spec.columns[p]):
            v = v.rstrip(" ")
        out.append(v)
    return tuple(out)


def compared(spec: Spec, item: Any, positions: Sequence[int]) -> Values:
    """:func:`get`, then :func:`as_compared`."""
    return as_compared(spec, positions, get(spec, item, positions))


def put(spec: Spec, item: Any, positions: Sequence[int], values: Sequence[Any]) -> Any:
    """A copy of ``item`` with the columns at ``positions`` set to ``values``."""
    changes = {spec.columns[p].attr: v for p, v in zip(positions, values, strict=True)}
    return dataclasses.replace(item, **changes)


def key_values(spec: Spec, key: Any) -> Values:
    """A key (a plain value, or a NamedTuple for a composite key) as a tuple of column values."""
    return tuple(key) if spec.composite_key else (key,)


def _column(shape: TableShape, pos: int, mode: WriteMode, identity_keys: bool) -> Strategy:
    spec = shape.spec
    col = spec.columns[pos]
    enum_type = shape.enum_types[pos]
    self_columns = {c for fk in shape.self_references for c in fk.columns}
    unique_columns = {c for u in spec.uniques[1:] for c in u.columns}
    if col.identity:
        return scalar_valid(col, enum_type) if identity_keys else st.just(None)
    if pos in spec.key_columns:
        valid = scalar_valid(col, enum_type, unpadded=UNPADDED_KEYS)
        return (
            st.one_of(valid, sample_pool(col, enum_type, POOL_SIZE))
            if spec.composite_key
            else valid
        )
    if pos in self_columns and col.nullable:
        # NULL but one time in 16 (a random value, whose row is missing): tweaks set real ones
        chance = st.tuples(st.integers(0, 15), column_values(col, enum_type, mode))
        return chance.map(lambda p: p[1] if p[0] == 15 else None)
    if pos in unique_columns:
        valid = column_values(col, enum_type, mode, unpadded=UNPADDED_KEYS)
        return st.one_of(sample_pool(col, enum_type, POOL_SIZE), valid)
    return column_values(col, enum_type, mode)


def _with_parents(shape: TableShape, item: Any, choices: Sequence[tuple[int, Values]]) -> Any:
    """Point foreign keys at existing parents, except where the choice keeps the drawn value."""
    fks = [fk for fk in shape.spec.foreign_keys if fk.name in shape.parent_keys]
    # composite foreign keys last: they overwrite shared columns with a consistent pair
    for fk, (selector, parent) in sorted(
        zip(fks, choices, strict=True), key=lambda p: len(p[0].columns)
    ):
        if selector == 8 and all(shape.spec.columns[c].nullable for c in fk.columns):
            item = put(shape.spec, item, fk.columns, [None] * len(fk.columns))
        elif selector < 8:
            item = put(shape.spec, item, fk.columns, parent)
    return item


def entities(
    shape: TableShape, mode: WriteMode = "insert", *, identity_keys: bool = False
) -> Strategy:
    """Entities of the table; ``identity_keys`` draws identity columns too (missing rows' keys)."""
    spec = shape.spec
    fields = {
        col.attr: _column(shape, pos, mode, identity_keys) for pos, col in enumerate(spec.columns)
    }
    base = st.builds(spec.entity, **fields)  # prints as Plain(id=..., ...) in failing examples
    fks = [fk for fk in spec.foreign_keys if fk.name in shape.parent_keys]
    if not fks:
        return base
    parents = st.tuples(
        *(
            st.tuples(st.integers(0, 9), st.sampled_from(list(shape.parent_keys[fk.name])))
            for fk in fks
        )
    )
    return _parented(shape, base, parents)


@st.composite
def _parented(draw: st.DrawFn, shape: TableShape, base: Strategy, parents: Strategy) -> Any:
    # a composite rather than a map, so failing examples print the entity, not a lambda call
    return _with_parents(shape, draw(base), draw(parents))


def missing_keys(shape: TableShape) -> Strategy:
    """Keys drawn afresh: almost always of rows that do not exist (key columns only; drawing
    whole entities for their keys would cost ten times as much)."""
    spec = shape.spec
    parts = [_column(shape, pos, "update", identity_keys=True) for pos in spec.key_columns]
    if not spec.composite_key:
        return parts[0]
    key_type = type(spec.key_of(sample_rows(shape, 1)[0]))
    return st.builds(key_type, *parts)


def sample_rows(shape: TableShape, count: int, offset: int = 0) -> list[Any]:
    """``count`` valid rows with deterministic values (parents for another table's tests)."""
    spec = shape.spec
    self_columns = {c for fk in shape.self_references for c in fk.columns}
    rows = []
    for i in range(offset, offset + count):
        fields: dict[str, Any] = {}
        for pos, col in enumerate(spec.columns):
            if col.identity or (pos in self_columns and col.nullable):
                fields[col.attr] = None
            else:
                fields[col.attr] = sample_value(col, shape.enum_types[pos], i)
        item = spec.entity(**fields)
        for fk in sorted(spec.foreign_keys, key=lambda fk: len(fk.columns)):
            parents = shape.parent_keys.get(fk.name)
            if parents:
                item = put(spec, item, fk.columns, parents[i % len(parents)])
        rows.append(item)
    return rows
