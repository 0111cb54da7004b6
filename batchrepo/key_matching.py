"""Keys of rows, records and requests, and how they are compared in Python.

The runtime matches keys in Python in several places: rows returned by a batch against the rows
sent, rows loaded against the keys asked, duplicate keys inside a batch. Two things make naive
equality wrong:

* ``char(n)`` is blank-padded: PostgreSQL returns ``'a  '`` for ``'a'`` and treats ``'b'`` and
  ``'b '`` as one key. Values of such columns are compared without trailing spaces.
* An identity key is None until the database assigns it, and a generated ``key_of`` may refuse to
  answer then; the key of a row is therefore read from its columns when it holds a None.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from batchrepo.spec import ColumnSpec, TableSpec

_BLANK_PADDED = re.compile(r"(?:char|character|bpchar)(?:\s*\(\s*\d+\s*\))?", re.IGNORECASE)


def blank_padded(column: ColumnSpec) -> bool:
    """Whether PostgreSQL pads the column's values with spaces (``char(n)``)."""
    return column.kind == "text" and _BLANK_PADDED.fullmatch(column.pg_type.strip()) is not None


def _unpadded(value: Any) -> Any:
    return value.rstrip(" ") if isinstance(value, str) else value


def comparable(spec: TableSpec[Any, Any], positions: Sequence[int]) -> Callable[[Any], Any] | None:
    """A function making keys over ``positions`` compare as PostgreSQL compares them, or None
    when plain equality already does (the usual case, which then costs nothing)."""
    padded = [blank_padded(spec.columns[p]) for p in positions]
    if not any(padded):
        return None
    if len(positions) == 1:
        return _unpadded

    def unpad_tuple(key: Any) -> Any:
        return tuple(_unpadded(v) if pad else v for v, pad in zip(key, padded, strict=True))

    return unpad_tuple


def keys_of_columns(
    spec: TableSpec[Any, Any], columns: Sequence[Sequence[Any]], positions: Sequence[int]
) -> list[Any]:
    """Comparable keys over ``positions`` of every row of a batch given as columns."""
    if len(positions) == 1:
        keys = list(columns[positions[0]])
    else:
        keys = list(zip(*(columns[p] for p in positions), strict=True))
    normalise = comparable(spec, positions)
    return keys if normalise is None else list(map(normalise, keys))


def keys_of_records(
    spec: TableSpec[Any, Any],
    records: Sequence[Any],
    positions: Sequence[int],
    at: Sequence[int] | None = None,
) -> list[Any]:
    """Comparable keys over the table's ``positions`` of records.

    Records hold every column in table order, so ``positions`` index them too, unless ``at``
    says where those columns sit (exists_batch returns the key columns only).
    """
    where = positions if at is None else at
    if len(where) == 1:
        (index,) = where
        keys = [record[index] for record in records]
    else:
        keys = [tuple(record[i] for i in where) for record in records]
    normalise = comparable(spec, positions)
    return keys if normalise is None else list(map(normalise, keys))


def comparable_keys(
    spec: TableSpec[Any, Any], positions: Sequence[int], keys: Sequence[Any]
) -> list[Any]:
    """Keys as a caller passed them (plain values or tuples), made comparable."""
    normalise = comparable(spec, positions)
    return list(keys) if normalise is None else list(map(normalise, keys))


def row_key(
    spec: TableSpec[Any, Any], items: Sequence[Any], columns: Sequence[Sequence[Any]], row: int
) -> Any:
    """The primary key of a row for error reports: ``key_of`` when the key is complete, else the
    raw column values (None for an identity not yet assigned)."""
    values = [columns[p][row] for p in spec.key_columns]
    if any(v is None for v in values):
        return values[0] if len(values) == 1 else tuple(values)
    return spec.key_of(items[row])
