"""Column lists → statement arguments, following the conventions in :mod:`batchrepo.spec`.

Batch statements take one typed array per scalar column. An array column travels as three
arguments, because ``unnest`` would flatten a two-dimensional array: the elements of every row in
one flat array, the 1-based row number of each element (``int4[]``, as long as the elements), and
per row whether the array is NULL (``bool[]``). The statement aggregates the elements back per row
number, so an empty array (no elements, not NULL) comes back as ``'{}'``.

jsonb values travel as JSON text (``$k::text[]`` then ``::jsonb`` in SQL, ``$k::jsonb`` for one
row), and come back as text that :func:`decode_json` turns into Python data before
``from_record`` sees it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from itertools import chain, repeat
from json import encoder as _json_encoder
from typing import Any

from batchrepo.spec import ColumnSpec, TableSpec


def _reusable_dumps() -> Callable[[Any], str]:
    """``json.dumps`` with the same output at half the cost per call.

    ``json.dumps`` builds a C encoder for every value, which dominates for the small documents of
    a jsonb column; this builds it once. Where the C encoder is missing or behaves differently
    (another Python), plain ``json.dumps`` is used.
    """
    make = getattr(_json_encoder, "c_make_encoder", None)
    if make is None:
        return json.dumps
    try:
        encoder = make(
            None, None, _json_encoder.encode_basestring_ascii, None, ": ", ", ", False, False, True
        )

        def dumps(value: Any) -> str:
            return "".join(encoder(value, 0))

        sample = {"k": [1, 2.5, None, True, "é\x00"], "s": "t"}
        if dumps(sample) == json.dumps(sample) and dumps("x") == json.dumps("x"):
            return dumps
    except (TypeError, ValueError):
        pass
    return json.dumps


_dumps = _reusable_dumps()


def encode_json(value: Any) -> str | None:
    """JSON text for a jsonb value; None stays SQL NULL (JSON ``null`` cannot be told apart)."""
    return None if value is None else _dumps(value)


def decode_json(text: str | None) -> Any:
    """Python data from the JSON text asyncpg returns for jsonb (None for SQL NULL)."""
    return None if text is None else json.loads(text)


def decode_json_column(texts: Sequence[str | None]) -> list[Any]:
    """``decode_json`` of every text, in one parse: the texts come from PostgreSQL's jsonb
    output, so joined into one JSON array they parse at once, about twice as fast."""
    return list(json.loads("[" + ",".join("null" if t is None else t for t in texts) + "]"))


def _json_column(column: ColumnSpec, values: Sequence[Any]) -> list[Any]:
    if column.is_array:
        return [None if v is None else [encode_json(e) for e in v] for v in values]
    return [None if v is None else _dumps(v) for v in values]


def array_arguments(
    values: Sequence[Sequence[Any] | None],
) -> tuple[list[Any], list[int], list[bool]]:
    """(flat elements, row number of each element, NULL flag of each row) for an array column;
    see the module docstring."""
    nulls = [v is None for v in values]
    present = [(row, v) for row, v in enumerate(values, 1) if v is not None]
    flat = list(chain.from_iterable(v for _, v in present))
    rows = list(chain.from_iterable(repeat(row, len(v)) for row, v in present))
    return flat, rows, nulls


def batch_arguments(
    spec: TableSpec[Any, Any], columns: Sequence[Sequence[Any]], positions: Sequence[int]
) -> list[Any]:
    """Arguments of a batch statement naming the columns at ``positions``, in that order."""
    arguments: list[Any] = []
    for position in positions:
        column = spec.columns[position]
        values = columns[position]
        if column.kind == "jsonb":
            values = _json_column(column, values)
        if column.is_array:
            arguments.extend(array_arguments(values))
        else:
            arguments.append(values if isinstance(values, list) else list(values))
    return arguments


def batch_argument_columns(spec: TableSpec[Any, Any], positions: Sequence[int]) -> list[str]:
    """The column each argument of ``batch_arguments`` belongs to (to explain a bad ``$k``)."""
    names: list[str] = []
    for position in positions:
        column = spec.columns[position]
        names.extend([column.name] * (3 if column.is_array else 1))
    return names


def row_arguments(
    spec: TableSpec[Any, Any], columns: Sequence[Sequence[Any]], positions: Sequence[int], row: int
) -> list[Any]:
    """Arguments of a single-row statement: one value per column (arrays bound as they are)."""
    arguments: list[Any] = []
    for position in positions:
        column = spec.columns[position]
        value = columns[position][row]
        if column.kind == "jsonb" and value is not None:
            value = [encode_json(e) for e in value] if column.is_array else _dumps(value)
        arguments.append(value)
    return arguments


def key_arrays(spec: TableSpec[Any, Any], keys: Sequence[Any]) -> list[list[Any]]:
    """One plain array per key column: the keys themselves, or their transposed tuples."""
    return value_arrays(len(spec.key_columns), keys)


def value_arrays(width: int, values: Sequence[Any]) -> list[list[Any]]:
    """Plain values (``width`` 1) or tuples of ``width`` values → one array per position."""
    if width == 1:
        return [values if isinstance(values, list) else list(values)]
    if not values:
        return [[] for _ in range(width)]
    return [list(position) for position in zip(*values, strict=True)]


def key_values(spec: TableSpec[Any, Any], key: Any) -> list[Any]:
    """Arguments of a single-row statement by key: one value per key column."""
    return [key] if len(spec.key_columns) == 1 else list(key)


def decoded_rows(spec: TableSpec[Any, Any], records: Sequence[Any]) -> Sequence[Any]:
    """Records with jsonb text decoded, so ``from_record`` always sees Python data."""
    json_positions = json_columns(spec)
    if not json_positions or not records:
        return records  # the common case costs nothing: records go to from_record as they are
    rows = [list(record) for record in records]
    for position, is_array in json_positions:
        texts = [row[position] for row in rows]
        if is_array:
            values = [None if t is None else decode_json_column(t) for t in texts]
        else:
            values = decode_json_column(texts)
        for row, value in zip(rows, values, strict=True):
            row[position] = value
    return rows


def json_columns(spec: TableSpec[Any, Any]) -> list[tuple[int, bool]]:
    """(position, is_array) of every jsonb column."""
    return [(i, c.is_array) for i, c in enumerate(spec.columns) if c.kind == "jsonb"]
