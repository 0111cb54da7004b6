"""Hypothesis strategies: rows of values for a table, right and wrong, around every limit.

:func:`value` mixes what a column accepts (near its bounds, lengths and scale) with what it
refuses: values just past a limit, other Python types (``float`` for numeric, ``bool`` for an
integer, a naive datetime for timestamptz, a NUL in text), None, and for arrays tuples, NULL
elements and non-lists. :func:`good` draws only what a column accepts in a write mode, so
:func:`rows` can perturb a few columns of an otherwise valid row: each verdict then turns on
those few values, and rows both sides accept are common. Both sides of the equivalence are
judged on the same draws.
"""

from __future__ import annotations

import datetime
import decimal
import math
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from batchrepo.spec import ColumnSpec
from batchrepo.validate.column_rules import FLOAT4_MAX, INTEGER_RANGES

_ZONES = st.sampled_from(
    [
        datetime.UTC,
        datetime.timezone(datetime.timedelta(hours=2)),
        datetime.timezone(datetime.timedelta(hours=-5, minutes=-30)),
    ]
)
_WRONG = st.sampled_from([object(), b"x", 1.5, "text", True, [1]])


def element(column: ColumnSpec) -> st.SearchStrategy[Any]:
    """One value (one element, for an array column)."""
    kind = column.kind
    if column.allowed_values is not None:
        # the in values, padded and not, beside everything else
        listed = sorted(str(v) if kind == "text" else v for v in column.allowed_values)
        near = [v + " " for v in listed] + [" " + v for v in listed] if kind == "text" else []
        listed_or_near = st.sampled_from([*listed, *near])
        return st.one_of(listed_or_near, _text(column) if kind == "text" else st.integers(-5, 5))
    if kind in INTEGER_RANGES:
        low, high = INTEGER_RANGES[kind]
        edges = [low - 1, low, high, high + 1]
        if column.minimum is not None:
            edges += [int(column.minimum) - 1, int(column.minimum)]
        if column.maximum is not None:
            edges += [int(column.maximum), int(column.maximum) + 1]
        return st.one_of(
            st.sampled_from(edges), st.integers(-1000, 1000), st.booleans(), st.just(3.0)
        )
    if kind == "numeric":
        return _numeric(column)
    if kind in ("float4", "float8"):
        limit = FLOAT4_MAX if kind == "float4" else 1e308
        return st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.sampled_from([limit, -limit, 3.5e38, -3.5e38, 0.0, -0.5]),
            st.integers(-10, 10),
            st.just(Decimal("1.5")),
        )
    if kind == "text":
        return _text(column)
    if kind == "enum":
        values = sorted(column.enum_values or ())
        return st.one_of(st.sampled_from(values), st.sampled_from(["", "BASIC", "nope", "a\x00"]))
    if kind == "uuid":
        return st.one_of(st.uuids(), st.just("00000000-0000-0000-0000-000000000000"))
    if kind == "bool":
        return st.one_of(st.booleans(), st.sampled_from([0, 1, "true"]))
    if kind == "bytea":
        return st.one_of(
            st.binary(max_size=8),
            st.binary(max_size=4).map(bytearray),
            st.binary(max_size=4).map(memoryview),
            st.just("bytes"),
        )
    if kind == "date":
        return st.one_of(st.dates(), st.datetimes().map(lambda d: d))
    if kind == "time":
        return st.one_of(st.times(), st.times(timezones=_ZONES), st.just("09:30"))
    if kind in ("timestamp", "timestamptz"):
        return st.one_of(
            st.datetimes(), st.datetimes(timezones=_ZONES), st.dates(), st.just("2024-01-01")
        )
    if kind == "interval":
        return st.one_of(st.timedeltas(), st.integers(0, 10))
    if kind == "jsonb":
        return _json()
    return _WRONG


def value(column: ColumnSpec) -> st.SearchStrategy[Any]:
    """A column's value: None, a value, or for an array column a list (or something else)."""
    if not column.is_array:
        return st.one_of(st.none(), element(column), _WRONG)
    items = st.lists(st.one_of(element(column), st.none()), max_size=3)
    return st.one_of(st.none(), items, items.map(tuple), st.just("not a list"), _WRONG)


def _numeric(column: ColumnSpec) -> st.SearchStrategy[Any]:
    scale = column.scale or 0
    whole = (column.precision - scale) if column.precision is not None else 6
    bound = Decimal(10) ** whole
    near = [bound, -bound, bound - Decimal(1).scaleb(-scale), Decimal("0.005"), Decimal("1.50")]
    if column.minimum is not None:
        near += [Decimal(column.minimum), Decimal(column.minimum) - Decimal("0.01")]
    for strict in (column.exclusive_minimum, column.exclusive_maximum):
        if strict is not None:
            near += [Decimal(strict) + d for d in (Decimal("-0.01"), 0, Decimal("0.01"))]
    return st.one_of(
        st.decimals(min_value=-bound * 2, max_value=bound * 2, places=scale + 1, allow_nan=False),
        st.decimals(min_value=-bound, max_value=bound, places=scale, allow_nan=False),
        st.sampled_from(near),
        st.sampled_from([Decimal("NaN"), Decimal("Infinity"), Decimal("sNaN")]),
        st.integers(-(10**whole) - 1, 10**whole + 1),
        st.floats(allow_nan=False, allow_infinity=False, width=32),
        st.booleans(),
    )


def _text(column: ColumnSpec) -> st.SearchStrategy[Any]:
    longest = column.max_length if column.max_length is not None else 12
    alphabet = st.characters(codec="utf-8", exclude_categories=["Cs"]) | st.sampled_from(
        [" ", "\x00", "é"]
    )
    drawn = st.one_of(
        st.text(alphabet, max_size=longest + 2),
        st.text(alphabet, min_size=max(longest - 1, 0), max_size=longest + 1),
        st.text(alphabet, max_size=longest).map(lambda t: t + "   "),
        st.integers(0, 9),
        st.binary(max_size=2),
    )
    if column.min_trimmed_length:
        # what btrim cuts (spaces), and what it keeps
        return st.one_of(drawn, st.text(st.sampled_from(" \t\u00a0a"), max_size=4))
    return drawn


def _json() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=4) | st.just("nul\x00"),
    )
    json = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
        max_leaves=6,
    )
    return st.one_of(json, st.just({1, 2}), st.just(Decimal("1.5")))


def rows(columns: tuple[ColumnSpec, ...], mode: str) -> st.SearchStrategy[dict[str, Any]]:
    """Rows (values by entity attribute) valid for ``mode`` but for up to two columns drawn from
    :func:`value`."""
    attrs = [c.attr for c in columns]

    @st.composite
    def row(draw: st.DrawFn) -> dict[str, Any]:
        perturbed = draw(st.sets(st.sampled_from(attrs), max_size=2))
        return {c.attr: draw(value(c) if c.attr in perturbed else good(c, mode)) for c in columns}

    return row()


def good(column: ColumnSpec, mode: str) -> st.SearchStrategy[Any]:
    """Values the runtime accepts for ``column`` in ``mode``."""
    none_ok = column.none_on_update if mode == "update" else column.none_on_insert
    if column.identity and mode != "update":
        return st.none()
    if column.is_array:
        item = _good_element(column)
        if column.nullable_elements:
            item = st.one_of(item, st.none())
        present: st.SearchStrategy[Any] = st.lists(item, max_size=3)
    else:
        present = _good_element(column)
    return st.one_of(st.none(), present) if none_ok else present


def _good_element(column: ColumnSpec) -> st.SearchStrategy[Any]:
    kind = column.kind
    if column.allowed_values is not None:
        return st.sampled_from(sorted(column.allowed_values, key=str))
    if kind in INTEGER_RANGES:
        low, high = INTEGER_RANGES[kind]
        if column.minimum is not None:
            low = max(low, int(column.minimum))
        if column.maximum is not None:
            high = min(high, int(column.maximum))
        return st.integers(low, high)
    if kind == "numeric":
        scale = column.scale or 0
        quantum = Decimal(1).scaleb(-scale)
        bound = Decimal(10) ** ((column.precision or 8) - scale) - quantum
        low = -bound if column.minimum is None else max(-bound, Decimal(column.minimum))
        high = bound
        if column.exclusive_minimum is not None:
            low = max(low, Decimal(column.exclusive_minimum) + quantum)
        if column.exclusive_maximum is not None:
            high = min(high, Decimal(column.exclusive_maximum) - quantum)
        return st.decimals(min_value=low, max_value=high, places=scale)
    if kind in ("float4", "float8"):
        low = float(column.minimum) if column.minimum is not None else -1e30
        high = 1e30
        if column.exclusive_minimum is not None or column.exclusive_maximum is not None:
            # well inside strict bounds: single precision must not round onto them
            low = float(column.exclusive_minimum or -1e30) / 2
            high = float(column.exclusive_maximum or 1e30) / 2
        return st.floats(min_value=low, max_value=high)
    if kind == "text":
        longest = column.max_length if column.max_length is not None else 12
        least = max(column.min_length or 0, column.min_trimmed_length or 0)
        alphabet = st.characters(codec="utf-8", exclude_characters="\x00 ")
        text = st.text(alphabet, min_size=least, max_size=longest)
        if column.max_length is not None and column.pg_type.startswith("char("):
            return st.one_of(text, text.map(lambda t: t + "  "))
        return text
    if kind == "enum":
        return st.sampled_from(sorted(column.enum_values or ()))
    if kind == "uuid":
        return st.uuids()
    if kind == "bool":
        return st.booleans()
    if kind == "bytea":
        return st.binary(max_size=8)
    if kind == "date":
        return st.dates()
    if kind == "time":
        return st.one_of(st.times(), st.times(timezones=_ZONES))
    if kind == "timestamp":
        return st.datetimes()
    if kind == "timestamptz":
        return st.datetimes(timezones=_ZONES)
    if kind == "interval":
        return st.timedeltas()
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=4),
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
        max_leaves=6,
    )


def finite_json_value(value: Any) -> bool:
    """Whether ``value`` survives JSON both ways (JSON has no NaN, and offsets are minutes)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, decimal.Decimal):
        return value.is_finite()
    if isinstance(value, list | tuple):
        return all(finite_json_value(item) for item in value)
    if isinstance(value, dict):
        return all(finite_json_value(item) for item in value.values())
    return True
