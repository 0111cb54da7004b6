"""Inserts by binary ``COPY`` straight into the table, returning the rows as stored.

``INSERT ... SELECT FROM unnest(...) RETURNING`` makes the database send every row back and the
client decode it; for a large batch that is most of the cost (field notes: RETURNING makes a raw
UNNEST insert 2.25x slower at 100,000 rows, and binary COPY is twice as fast again). When the
database fills nothing the caller cannot know, which the generator decides per table
(:class:`batchrepo.spec.CopySpec`), the runtime can send the rows by COPY and build the answer
itself:

* server defaults of None values are filled before sending: ``gen_random_uuid()`` with
  ``uuid.uuid4()``, the transaction-stable ones (``now()``, ``current_date``) with one
  ``SELECT`` on the same connection, so in a transaction they are its own timestamp;
* returned values are normalised as PostgreSQL stores them, per column: ``numeric(p, s)`` to
  ``s`` decimals (``1.5`` comes back ``1.50``), ``char(n)`` padded with spaces, ``float4`` rounded
  to single precision, ``timestamptz`` in UTC (and the two infinities as asyncpg decodes them),
  ``bytea`` as ``bytes``, arrays as new lists. Both paths therefore return equal rows, which the
  equivalence machine checks on every step.

Errors are those of the statement path: the COPY runs where the statement would, and a failure
goes through the same probes that name the failing rows.
"""

from __future__ import annotations

import datetime
import struct
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Context, Decimal
from operator import attrgetter
from typing import Any

from batchrepo.db.executor import Connection, CopyTarget
from batchrepo.key_matching import blank_padded
from batchrepo.spec import ColumnSpec, CopySpec, TableSpec

#: One column's values → the values as PostgreSQL returns them (a new list).
Normaliser = Callable[[Sequence[Any]], list[Any]]

_UTC = datetime.UTC
_FLOAT4 = struct.Struct("f")
# numeric holds up to 131072 digits before the point; no context rounding may ever apply here
_EXACT = Context(prec=200_000)
# asyncpg writes these two (naive) datetimes as PostgreSQL's infinities and reads them back naive
_INFINITIES = (datetime.datetime.max, datetime.datetime.min)
_ONE = Decimal(1)
_TZINFO = attrgetter("tzinfo")
# the aware ends of the calendar, both read back as naive infinities
_FIRST = datetime.datetime.min.replace(tzinfo=_UTC)
_LAST = datetime.datetime.max.replace(tzinfo=_UTC)


async def copy_insert(
    conn: Connection, spec: TableSpec[Any, Any], columns: Sequence[Sequence[Any]]
) -> tuple[list[list[Any]], int]:
    """Send the checked ``columns`` (every column of the table) by COPY on ``conn``.

    Returns the columns as sent (server defaults filled) and the row count the server reported.
    The caller runs this where it would run the insert statement (transaction or savepoint).
    """
    copy = spec.copy
    assert copy is not None, f"table {spec.table} has no COPY path"
    filled = await _with_defaults(conn, copy, columns)
    records = zip(*(filled[p] for p in spec.insert_columns), strict=True)
    assert isinstance(conn, CopyTarget), "copy_insert needs a connection that takes COPY"
    status = await conn.copy_records_to_table(spec.table, records=records, columns=copy.columns)
    return filled, int(status.rsplit(" ", 1)[1])


async def _with_defaults(
    conn: Connection, copy: CopySpec, columns: Sequence[Sequence[Any]]
) -> list[list[Any]]:
    """The columns with every None of a server-default column replaced by its value."""
    filled = [column if isinstance(column, list) else list(column) for column in columns]
    for position in copy.drawn_uuids:
        values = filled[position]
        if None in values:
            filled[position] = [uuid.uuid4() if v is None else v for v in values]
    wanted = [p for p in copy.fetched_defaults if None in filled[p]]
    if wanted and copy.defaults_sql is not None:
        answer = await conn.fetchrow(copy.defaults_sql)
        for at, position in enumerate(copy.fetched_defaults):
            if position in wanted:
                default = answer[at]
                filled[position] = [default if v is None else v for v in filled[position]]
    return filled


def stored_rows(
    spec: TableSpec[Any, Any], columns: Sequence[Sequence[Any]]
) -> list[tuple[Any, ...]]:
    """Rows (tuples of every column, in table order) as the database stores ``columns``."""
    normalisers = _normalisers(spec)
    stored = [
        values if normalise is None else normalise(values)
        for normalise, values in zip(normalisers, columns, strict=True)
    ]
    return list(zip(*stored, strict=True))


def _normalisers(spec: TableSpec[Any, Any]) -> tuple[Normaliser | None, ...]:
    cached = _BY_COLUMNS.get(id(spec.columns))
    if cached is None or cached[0] is not spec.columns:
        cached = (spec.columns, tuple(normaliser(column) for column in spec.columns))
        _BY_COLUMNS[id(spec.columns)] = cached
    return cached[1]


_BY_COLUMNS: dict[int, tuple[tuple[ColumnSpec, ...], tuple[Normaliser | None, ...]]] = {}


def normaliser(column: ColumnSpec) -> Normaliser | None:
    """How a column's values change on their way into PostgreSQL; None: they do not."""
    one = _scalar(column)
    if column.is_array:
        element = one or _same

        def arrays(values: Sequence[Any]) -> list[Any]:
            return [
                None if v is None else [None if e is None else element(e) for e in v]
                for v in values
            ]

        return arrays
    if one is None:
        return None
    if column.kind == "timestamptz":
        return _timestamps
    scalar = one

    def scalars(values: Sequence[Any]) -> list[Any]:
        return [None if v is None else scalar(v) for v in values]

    return scalars


def _timestamps(values: Sequence[Any]) -> list[Any]:
    """timestamptz values as read back. The usual column (every value in UTC, none at the ends
    of the calendar) is judged whole by C-level builtins and kept as it is."""
    present = [v for v in values if v is not None] if None in values else values
    if not present or (
        set(map(_TZINFO, present)) == {_UTC} and min(present) > _FIRST and max(present) < _LAST
    ):
        return list(values)
    return [None if v is None else _timestamptz(v) for v in values]


def _same(value: Any) -> Any:
    return value


def _scalar(column: ColumnSpec) -> Callable[[Any], Any] | None:
    kind = column.kind
    if kind == "numeric":
        return _numeric(column.scale)
    if kind == "float4":
        return _float4
    if kind == "float8":
        return float
    if kind == "text" and column.max_length is not None and _padded(column):
        width = column.max_length
        return lambda value: value.ljust(width)
    if kind == "timestamptz":
        return _timestamptz
    if kind == "bytea":
        return bytes
    return None


def _padded(column: ColumnSpec) -> bool:
    """``char(n)``, or an array of it: each value (element) is padded to n characters."""
    element = column.pg_type.removesuffix("[]") if column.is_array else column.pg_type
    return blank_padded(replace(column, pg_type=element, is_array=False))


def _numeric(scale: int | None) -> Callable[[Any], Decimal]:
    if scale is None:
        return _unconstrained_numeric
    quantum = Decimal(1).scaleb(-scale)
    zero = Decimal(0).quantize(quantum)
    quantize = _EXACT.quantize

    def stored(value: Any) -> Decimal:
        # numeric(p, s) keeps exactly s decimals (validation refused more); PostgreSQL has no -0
        return quantize(value, quantum) or zero

    return stored


def _unconstrained_numeric(value: Any) -> Decimal:
    """numeric without a scale keeps the value's own decimals, but no positive exponent (1E+2
    is stored as 100) and no negative zero."""
    number = value if type(value) is Decimal else Decimal(value)
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        number = _EXACT.quantize(number, _ONE)
    return number.copy_abs() if number.is_zero() else number


def _float4(value: Any) -> float:
    return float(_FLOAT4.unpack(_FLOAT4.pack(value))[0])


def _timestamptz(value: datetime.datetime) -> datetime.datetime:
    if value in _INFINITIES:  # naive max/min: infinities, as asyncpg encodes them
        return value
    stored = value.astimezone(_UTC)  # a naive value is local time, as asyncpg reads it
    naive = stored.replace(tzinfo=None)
    return naive if naive in _INFINITIES else stored
