"""Column value strategies, derived from a :class:`~batchrepo.spec.ColumnSpec` alone.

Three things per column, so any generated table gets them without hand-written strategies:

* :func:`valid_values`: values the column accepts, reaching every bound (``max_length``
  characters, ``minimum``/``maximum``, the numeric precision and scale limits, the int2/int4/int8
  limits, empty arrays and arrays with NULL elements, aware datetimes in odd offsets) a third of
  the time; None where the column is nullable (or takes a server default).
* :func:`invalid_values`: values one step outside a bound (``max_length + 1`` characters, one
  beyond ``minimum``/``maximum``, one decimal too many, a NUL character, None for a NOT NULL
  column, a naive datetime for ``timestamptz``, a plausible wrong type such as a float for
  numeric or a datetime for date), or an empty list when the column has no such value.
* :func:`sample_value`: the i-th value of a deterministic sequence of valid values, for parent
  rows and for small pools that make unique keys collide.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any, Literal

from hypothesis import strategies as st

from batchrepo.spec import ColumnSpec, WriteMode

Strategy = st.SearchStrategy[Any]
EnumType = type[enum.Enum] | None

#: Type limits of the integer kinds.
INT_LIMITS = {
    "int2": (-(2**15), 2**15 - 1),
    "int4": (-(2**31), 2**31 - 1),
    "int8": (-(2**63), 2**63 - 1),
}
UTC = dt.UTC
#: Any code point PostgreSQL stores in a UTF-8 database: everything but NUL and surrogates.
TEXT_ALPHABET = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
#: Longest text drawn for unbounded columns or huge varchar(n).
LONGEST_TEXT = 40
#: A server default of now() must be told apart from values the test wrote: written date and time
#: values stay this far from the wall clock (see ``twin.canonical``).
NOW_MARGIN = dt.timedelta(days=3)


def _with_edges(strategy: Strategy, edges: list[Any]) -> Strategy:
    """``strategy``, and one of ``edges`` about a third of the time."""
    if not edges:
        return strategy
    return st.one_of(strategy, strategy, st.sampled_from(edges))


def int_bounds(col: ColumnSpec) -> tuple[int, int]:
    """The accepted range of an integer column: its type's limits narrowed by its checks."""
    lo, hi = INT_LIMITS[col.kind]
    if col.minimum is not None:
        lo = max(lo, int(col.minimum))
    if col.maximum is not None:
        hi = min(hi, int(col.maximum))
    return lo, hi


def numeric_bounds(col: ColumnSpec) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """``(lo, hi, step)`` of a numeric column; ``step`` is the smallest unit its scale allows."""
    lo: Decimal | None = None
    hi: Decimal | None = None
    step: Decimal | None = None
    if col.precision is not None:
        scale = col.scale or 0
        step = Decimal(1).scaleb(-scale)
        hi = Decimal(10) ** (col.precision - scale) - step
        lo = -hi
    if col.minimum is not None:
        lo = Decimal(col.minimum) if lo is None else max(lo, Decimal(col.minimum))
    if col.maximum is not None:
        hi = Decimal(col.maximum) if hi is None else min(hi, Decimal(col.maximum))
    return lo, hi, step


def _numeric(col: ColumnSpec) -> Strategy:
    lo, hi, step = numeric_bounds(col)
    lo_ = lo if lo is not None else Decimal(-(10**20))
    hi_ = hi if hi is not None else Decimal(10**20)
    places = col.scale if col.precision is not None else None
    body = st.decimals(lo_, hi_, places=places, allow_nan=False, allow_infinity=False)
    whole = st.integers(int(lo_.to_integral_value("ROUND_CEILING")), int(hi_)).map(Decimal)
    edges = [v for v in (lo, hi, Decimal(0)) if v is not None and lo_ <= v <= hi_]
    if step is not None and lo_ <= step <= hi_:
        edges.append(step)
    return _with_edges(st.one_of(body, whole), edges)


def _floats(col: ColumnSpec) -> Strategy:
    width: Literal[32, 64] = 32 if col.kind == "float4" else 64
    lo = None if col.minimum is None else float(col.minimum)
    hi = None if col.maximum is None else float(col.maximum)
    bounded = lo is not None or hi is not None
    body = st.floats(lo, hi, width=width, allow_nan=not bounded, allow_infinity=not bounded)
    edges = [v for v in (lo, hi) if v is not None]
    edges += [v for v in (0.0, -0.0) if (lo is None or lo <= v) and (hi is None or v <= hi)]
    return _with_edges(body, edges)


def fixed_length(col: ColumnSpec) -> bool:
    """char(n): PostgreSQL pads shorter values with spaces and ignores trailing spaces when it
    compares them, so ``"a"`` and ``"a "`` are one key to it and two to Python."""
    return col.kind == "text" and col.pg_type.lower().startswith(("char(", "character("))


def _text(col: ColumnSpec, unpadded: bool) -> Strategy:
    if unpadded and fixed_length(col) and col.max_length is not None:
        # exactly n characters, the last one not a space: stored as given, compared as given
        size = col.max_length
        last = st.characters(exclude_categories=["Cs"], exclude_characters="\x00 ")
        head = st.text(TEXT_ALPHABET, min_size=size - 1, max_size=size - 1)
        return st.tuples(head, last).map("".join)
    shortest = col.min_length or 0
    longest = min(col.max_length or LONGEST_TEXT, LONGEST_TEXT)
    body = st.text(TEXT_ALPHABET, min_size=shortest, max_size=longest)
    exact = [st.text(TEXT_ALPHABET, min_size=longest, max_size=longest)]
    if shortest:
        exact.append(st.text(TEXT_ALPHABET, min_size=shortest, max_size=shortest))
    return st.one_of(body, body, *exact)


def _aware(naive: st.SearchStrategy[dt.datetime]) -> st.SearchStrategy[dt.datetime]:
    offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
    return st.tuples(naive, st.one_of(st.just(UTC), offsets)).map(
        lambda p: p[0].replace(tzinfo=p[1])
    )


def _json(top_level_none: bool) -> Strategy:
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**63), 2**63),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(TEXT_ALPHABET, max_size=8),
    )
    tree = st.recursive(
        leaves,
        lambda kids: (
            st.lists(kids, max_size=3)
            | st.dictionaries(st.text(TEXT_ALPHABET, max_size=5), kids, max_size=3)
        ),
        max_leaves=6,
    )
    return tree if top_level_none else tree.filter(lambda v: v is not None)


def _far_from_now(value: dt.date) -> bool:
    if isinstance(value, dt.datetime):
        now = dt.datetime.now(UTC) if value.tzinfo is not None else dt.datetime.now()
        return abs(value - now) > NOW_MARGIN
    return abs(value - dt.date.today()) > NOW_MARGIN


def scalar_valid(col: ColumnSpec, enum_type: EnumType, *, unpadded: bool = False) -> Strategy:
    """Valid non-None values of one scalar (or of one array element); ``unpadded`` keeps
    char(n) values at their full length (see :func:`fixed_length`)."""
    kind = col.kind
    if kind == "uuid":
        return _with_edges(st.uuids(), [uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)])
    if kind == "bool":
        return st.booleans()
    if kind in INT_LIMITS:
        lo, hi = int_bounds(col)
        return _with_edges(st.integers(lo, hi), sorted({lo, hi, min(max(0, lo), hi)}))
    if kind == "numeric":
        return _numeric(col)
    if kind in ("float4", "float8"):
        return _floats(col)
    if kind == "text":
        return _text(col, unpadded)
    if kind == "bytea":
        return st.binary(max_size=32)
    if kind == "date":
        return _with_edges(st.dates(), [dt.date.min, dt.date.max])
    if kind == "time":
        return _with_edges(st.times(), [dt.time.min, dt.time.max])
    if kind == "timestamp":
        return _with_edges(st.datetimes(), [dt.datetime.min, dt.datetime.max])
    if kind == "timestamptz":
        naive = st.datetimes(dt.datetime(2, 1, 1), dt.datetime(9998, 12, 31))
        edges = [dt.datetime.min.replace(tzinfo=UTC), dt.datetime.max.replace(tzinfo=UTC)]
        return _with_edges(_aware(naive), edges)
    if kind == "interval":
        return _with_edges(st.timedeltas(), [dt.timedelta.min, dt.timedelta.max, dt.timedelta(0)])
    if kind == "jsonb":
        return _json(top_level_none=False)
    if kind == "enum":
        return st.sampled_from(_members(col, enum_type))
    raise AssertionError(f"no strategy for column kind {kind!r}")


def _members(col: ColumnSpec, enum_type: EnumType) -> list[Any]:
    if enum_type is not None:
        return list(enum_type)
    return sorted(col.enum_values or ())


def valid_values(
    col: ColumnSpec, enum_type: EnumType, mode: WriteMode = "insert", *, unpadded: bool = False
) -> Strategy:
    """Values the column accepts in ``mode``: scalars or arrays, None where allowed (a server
    default takes None on insert and upsert, never on update, which writes every column; a column
    kept current takes None on update)."""
    if col.is_array:
        element = scalar_valid(col, enum_type, unpadded=unpadded)
        if col.nullable_elements:
            element = st.one_of(element, element, st.none())
        value: Strategy = st.one_of(st.just([]), st.lists(element, max_size=5))
    else:
        value = scalar_valid(col, enum_type, unpadded=unpadded)
    clock = col.server_default or col.on_update
    if clock and col.kind in ("date", "timestamp", "timestamptz"):
        value = value.filter(_far_from_now)
    # a column kept current (on_update) ignores what an update sends, None included
    if (
        col.nullable
        or (col.server_default and mode != "update")
        or (col.on_update and mode == "update")
    ):
        value = st.one_of(value, value, st.none())
    return value


def scalar_invalid(col: ColumnSpec, enum_type: EnumType) -> list[Any]:
    """Values just outside the bounds of one scalar (or array element); may be empty."""
    kind = col.kind
    out: list[Any] = []
    if kind in INT_LIMITS:
        lo, hi = int_bounds(col)
        type_lo, type_hi = INT_LIMITS[kind]
        out += sorted({lo - 1, hi + 1, type_lo - 1, type_hi + 1})
        out.append(True)  # a bool is an int to Python, not to the column
    elif kind == "uuid":
        out.append(str(uuid.UUID(int=1)))  # the text of a uuid, not a uuid
    elif kind == "date":
        out.append(dt.datetime(2001, 2, 3, 4, 5, 6))  # a datetime is a date, but not here
    elif kind == "numeric":
        low, high, step = numeric_bounds(col)
        unit = step if step is not None else Decimal(1)
        if low is not None:
            out.append(low - unit)
        if high is not None:
            out.append(high + unit)
        if step is not None:
            base = low if low is not None and low > 0 else Decimal(0)
            out.append(base + step / 2)  # one decimal too many, inside the range
        out.append(0.5)  # a float: binary rounding has no place in numeric
    elif kind in ("float4", "float8"):
        if col.minimum is not None:
            out.append(float(col.minimum) - 1.0)
        if col.maximum is not None:
            out.append(float(col.maximum) + 1.0)
        if kind == "float4":
            out.append(1e39)  # beyond float4
    elif kind == "text":
        if col.max_length is not None and col.max_length < 1000:
            out.append("x" * (col.max_length + 1))
            out.append("é" * col.max_length + "ß")
        if col.min_length:
            out.append("y" * (col.min_length - 1))
        length = max(col.min_length or 1, 1)
        out.append(("a\x00b" * length)[: max(length, 1)] if length > 1 else "\x00")
    elif kind == "timestamptz":
        out.append(dt.datetime(2001, 2, 3, 4, 5, 6))  # naive
    elif kind == "enum":
        members = [
            str(m.value) if isinstance(m, enum.Enum) else str(m) for m in _members(col, enum_type)
        ]
        out += [
            "not-a-" + col.name,
            members[0].upper() if members[0].upper() != members[0] else "?",
        ]
    elif kind == "jsonb":
        out += [{"nul": "a\x00b"}, [float("nan")]]
    return out


def invalid_values(col: ColumnSpec, enum_type: EnumType) -> list[Any]:
    """Values the column rejects (empty when there are none: a nullable bool, for instance)."""
    options: list[Any] = []
    if not col.nullable and not col.server_default and not col.identity:
        options.append(None)
    if col.is_array:
        bad_elements = scalar_invalid(col, enum_type)
        if not col.nullable_elements:
            bad_elements.append(None)
        options += [[element] for element in bad_elements]
        # an invalid element after a valid one: the check must look at every element
        options += [[_scalar_sample(col, enum_type, 0), element] for element in bad_elements[:1]]
    else:
        options += scalar_invalid(col, enum_type)
    return options


def _letters(i: int, size: int) -> str:
    """``i`` in base 26 with letters, left-padded with ``a`` to ``size``."""
    digits = ""
    while True:
        i, rest = divmod(i, 26)
        digits = chr(ord("a") + rest) + digits
        if i == 0:
            break
    return digits.rjust(size, "a")


def _scalar_sample(col: ColumnSpec, enum_type: EnumType, i: int) -> Any:
    kind = col.kind
    if kind == "uuid":
        return uuid.UUID(int=0x5A5A_0000_0000_0000_0000_0000_0000_0000 + i)
    if kind == "bool":
        return i % 2 == 0
    if kind in INT_LIMITS:
        lo, hi = int_bounds(col)
        start = min(max(lo, 1), hi)
        return min(start + i, hi)
    if kind == "numeric":
        low, high, step = numeric_bounds(col)
        value = Decimal(i + 1)
        if low is not None and value < low:
            value = low
        if high is not None and value > high:
            value = high
        return value.quantize(step) if step is not None else value
    if kind in ("float4", "float8"):
        return float(max(i, col.minimum or 0))
    if kind == "text":
        size = col.max_length if fixed_length(col) and col.max_length else col.min_length or 1
        text = _letters(i, size)
        return text[-col.max_length :] if col.max_length else text
    if kind == "bytea":
        return bytes([i % 256])
    if kind == "date":
        return dt.date(2000, 1, 1) + dt.timedelta(days=i)
    if kind == "time":
        return dt.time(i % 24)
    if kind == "timestamp":
        return dt.datetime(2000, 1, 1) + dt.timedelta(hours=i)
    if kind == "timestamptz":
        return dt.datetime(2000, 1, 1, tzinfo=UTC) + dt.timedelta(hours=i)
    if kind == "interval":
        return dt.timedelta(hours=i)
    if kind == "jsonb":
        return {"i": i}
    members = _members(col, enum_type)
    return members[i % len(members)]


def sample_value(col: ColumnSpec, enum_type: EnumType, i: int) -> Any:
    """The i-th of a deterministic sequence of valid, non-None values (distinct while the
    column's domain allows)."""
    value = _scalar_sample(col, enum_type, i)
    return [value] if col.is_array else value


def sample_pool(col: ColumnSpec, enum_type: EnumType, size: int) -> Strategy:
    """One of the first ``size`` sample values: draws from it collide often."""
    return st.sampled_from([sample_value(col, enum_type, i) for i in range(size)])
