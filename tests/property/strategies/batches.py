"""Write batches: drawn parts combined by :func:`build_batch`, and the models the reference
side needs about a batch.

A write batch is drawn in parts: fresh rows (new keys, mostly), rows carrying a key from the
machine's bundle (existing, or deleted since), and :class:`Tweaks` that bend the batch: a
shuffle, a row repeating another row's primary or unique key, self references to earlier rows
or existing keys, one invalid value. Every part shrinks towards "no tweak", so a falsifying
example shows only the tweaks it needs.

Self references never point to a *later* row of a save or upsert batch: that is the one
documented difference between the paths (``docs/design.md``). :func:`unique_moves` finds the
other one, undocumented: a unique value moving between rows of one update or upsert batch.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from batchrepo.spec import ForeignKeySpec, WriteMode

from .rows import Spec, TableShape, Values, as_compared, compared, get, key_values, put
from .values import Strategy


@dataclass(frozen=True)
class Duplicate:
    """Insert at ``position`` a copy of row ``body`` carrying the ``unique`` key of row ``source``
    (indexes taken modulo the batch length; ``unique`` indexes ``spec.uniques``)."""

    unique: int
    source: int
    body: int
    position: int


@dataclass(frozen=True)
class Tweaks:
    """How a drawn write batch is bent (see the module docstring)."""

    shuffle: int = 0
    duplicate: Duplicate | None = None
    references: tuple[tuple[int, int], ...] = ()
    """(row, choice): choice 0..7 points the row's self reference at an earlier row, 8.. at a key
    from the machine's bundle."""
    invalid: tuple[int, tuple[int, Any]] | None = None
    """(row, (column position, invalid value))."""


def _rarely(strategy: Strategy) -> Strategy:
    """None three times in four; shrinks to None."""
    return st.one_of(st.none(), st.none(), st.none(), strategy)


def tweaks(shape: TableShape) -> st.SearchStrategy[Tweaks]:
    small = st.integers(0, 15)
    uniques = [
        i for i, u in enumerate(shape.spec.uniques) if not _identity_key(shape.spec, u.columns)
    ]
    duplicate = (
        _rarely(
            st.builds(
                Duplicate, unique=st.sampled_from(uniques), source=small, body=small, position=small
            )
        )
        if uniques
        else st.none()
    )
    references = (
        st.lists(st.tuples(small, small), max_size=3).map(tuple)
        if shape.self_references
        else st.just(())
    )
    choices = shape.invalid_choices()
    invalid = _rarely(st.tuples(small, st.sampled_from(choices))) if choices else st.none()
    shuffle = st.one_of(st.just(0), st.integers(1, 2**16))
    return st.builds(
        Tweaks, shuffle=shuffle, duplicate=duplicate, references=references, invalid=invalid
    )


def _identity_key(spec: Spec, columns: Sequence[int]) -> bool:
    return any(spec.columns[c].identity for c in columns)


def build_batch(
    shape: TableShape,
    mode: WriteMode,
    fresh: Sequence[Any],
    existing: Sequence[tuple[Any, Any]],
    targets: Sequence[Any],
    tweak: Tweaks,
) -> list[Any]:
    """The write batch: ``fresh`` rows, then ``existing`` (key, body) pairs, bent by ``tweak``;
    ``targets`` are bundle keys that self references may point at."""
    spec = shape.spec
    rows = list(fresh) + [
        put(spec, body, spec.key_columns, key_values(spec, key)) for key, body in existing
    ]
    if tweak.shuffle:
        random.Random(tweak.shuffle).shuffle(rows)
    if tweak.duplicate is not None and rows:
        d = tweak.duplicate
        columns = spec.uniques[d.unique].columns
        copy = put(
            spec, rows[d.body % len(rows)], columns, get(spec, rows[d.source % len(rows)], columns)
        )
        rows.insert(d.position % (len(rows) + 1), copy)
    for fk in shape.self_references:
        rows = _point_back(shape, fk, rows, tweak.references, targets)
        if mode != "update":
            rows = _no_forward_references(spec, fk, rows)
    if tweak.invalid is not None and rows:
        row, (pos, value) = tweak.invalid
        rows[row % len(rows)] = put(spec, rows[row % len(rows)], [pos], [value])
    return rows


def _point_back(
    shape: TableShape,
    fk: ForeignKeySpec,
    rows: list[Any],
    references: Sequence[tuple[int, int]],
    targets: Sequence[Any],
) -> list[Any]:
    spec = shape.spec
    assert fk.self_parent_columns is not None
    for row, choice in references:
        if not rows:
            break
        at = row % len(rows)
        if choice < 8 and at > 0:
            parent = get(spec, rows[choice % at], fk.self_parent_columns)
        elif choice >= 8 and targets and tuple(fk.self_parent_columns) == spec.key_columns:
            parent = key_values(spec, targets[choice % len(targets)])
        else:
            continue
        rows[at] = put(spec, rows[at], fk.columns, parent)
    return rows


def _no_forward_references(spec: Spec, fk: ForeignKeySpec, rows: list[Any]) -> list[Any]:
    """Clear self references only a later row of the batch satisfies (documented difference)."""
    assert fk.self_parent_columns is not None
    referenced = [compared(spec, row, fk.self_parent_columns) for row in rows]
    for at, row in enumerate(rows):
        value = compared(spec, row, fk.columns)
        if None in value:
            continue
        later = value in referenced[at + 1 :]
        if later and value not in referenced[: at + 1]:
            nulls = [None] * len(fk.columns)
            rows[at] = put(spec, row, fk.columns, nulls)
    return rows


def unique_moves(spec: Spec, current: Sequence[Values], items: Sequence[Any]) -> list[int]:
    """Rows of an update or upsert batch that take a unique value another row of the same batch
    holds now. ``current`` holds every row's key columns then unique-key columns (positions
    ``spec.key_columns`` then ``unique_positions(spec)``).

    A batch statement may move the value (PostgreSQL checks non-deferrable unique indexes row by
    row in its own processing order, so the batch passes or fails by physical order), while row
    by row it passes or fails by input order: neither path is wrong, and the two cannot be
    compared, like self references to later rows (see docs/design.md).
    """
    width = len(spec.key_columns)
    positions = unique_positions(spec)
    keys = {compared(spec, item, spec.key_columns) for item in items}
    moved: set[int] = set()
    for unique in spec.uniques[1:]:
        at = [width + positions.index(c) for c in unique.columns]
        holders = {
            as_compared(spec, unique.columns, [row[i] for i in at]): as_compared(
                spec, spec.key_columns, row[:width]
            )
            for row in current
        }
        for row, item in enumerate(items):
            value = compared(spec, item, unique.columns)
            holder = holders.get(value)
            own = compared(spec, item, spec.key_columns)
            if None not in value and holder is not None and holder != own and holder in keys:
                moved.add(row)
    return sorted(moved)


def unique_positions(spec: Spec) -> list[int]:
    """Columns of the unique keys other than the primary key, in table order."""
    return sorted({c for unique in spec.uniques[1:] for c in unique.columns})


def duplicate_rows(spec: Spec, rows: Sequence[Any]) -> tuple[str, list[int]] | None:
    """The model of the duplicate check: the constraint of the first key (primary key first)
    that a row repeats from an earlier row (as PostgreSQL compares them), and every repeating
    row, ascending; keys with a NULL never repeat, nor keys a partial update does not write."""
    first: str | None = None
    repeating: set[int] = set()
    for unique in spec.uniques:
        written = spec.update_columns
        if written is not None and not all(written[c] for c in unique.columns):
            continue  # a partial update sends None for the columns it does not write
        seen: list[Values] = []
        for at, row in enumerate(rows):
            value = compared(spec, row, unique.columns)
            if None in value:
                continue
            if value in seen:
                repeating.add(at)
                first = first or unique.constraint
            else:
                seen.append(value)
    return None if first is None else (first, sorted(repeating))
