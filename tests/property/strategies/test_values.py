"""The value strategies agree with the runtime's field validation, and reach their bounds.

No database: these check the strategies themselves, column by column, against
``batchrepo.validate.fields.column_problems`` (what every write runs before SQL). A valid value that
validation rejects, or an invalid value it lets through, is a bug on one side or the other.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from batchrepo.spec import ColumnSpec
from batchrepo.validate.fields import column_problems

from .values import invalid_values, valid_values

COLUMNS = [
    ColumnSpec("id", "id", "uuid", "uuid"),
    ColumnSpec(
        "flag", "flag", "boolean", "bool", nullable=True, none_on_insert=True, none_on_update=True
    ),
    ColumnSpec("small", "small", "smallint", "int2", minimum=0, maximum=9),
    ColumnSpec("whole", "whole", "integer", "int4"),
    ColumnSpec(
        "big", "big", "bigint", "int8", nullable=True, none_on_insert=True, none_on_update=True
    ),
    ColumnSpec(
        "amount", "amount", "numeric(7,2)", "numeric", precision=7, scale=2, minimum=Decimal(0)
    ),
    ColumnSpec(
        "any_number",
        "any_number",
        "numeric",
        "numeric",
        nullable=True,
        none_on_insert=True,
        none_on_update=True,
    ),
    ColumnSpec("ratio4", "ratio4", "real", "float4"),
    ColumnSpec("ratio8", "ratio8", "double precision", "float8", minimum=0),
    ColumnSpec("label", "label", "varchar(12)", "text", max_length=12, min_length=1),
    ColumnSpec("code", "code", "char(2)", "text", max_length=2),
    ColumnSpec(
        "note", "note", "text", "text", nullable=True, none_on_insert=True, none_on_update=True
    ),
    ColumnSpec("blob", "blob", "bytea", "bytea"),
    ColumnSpec("day", "day", "date", "date"),
    ColumnSpec("at", "at", "time", "time"),
    ColumnSpec("local", "local", "timestamp", "timestamp"),
    ColumnSpec(
        "stamp",
        "stamp",
        "timestamptz",
        "timestamptz",
        server_default=True,
        none_on_insert=True,
        none_on_update=True,
    ),
    ColumnSpec("span", "span", "interval", "interval"),
    ColumnSpec(
        "payload",
        "payload",
        "jsonb",
        "jsonb",
        nullable=True,
        none_on_insert=True,
        none_on_update=True,
    ),
    ColumnSpec("mood", "mood", '"mood"', "enum", enum_values=frozenset({"calm", "on hold"})),
    ColumnSpec("tags", "tags", "text[]", "text", is_array=True, nullable_elements=True),
    ColumnSpec(
        "codes",
        "codes",
        "varchar(4)[]",
        "text",
        is_array=True,
        nullable_elements=True,
        max_length=4,
        min_length=1,
    ),
    ColumnSpec("counts", "counts", "integer[]", "int4", is_array=True),
]
IDS = [f"{c.name}:{c.pg_type}" for c in COLUMNS]
QUICK = settings(max_examples=60, deadline=None, derandomize=True, database=None)


@pytest.mark.parametrize("column", COLUMNS, ids=IDS)
@QUICK
@given(data=st.data())
def test_valid_values_pass_validation(column: ColumnSpec, data: st.DataObject) -> None:
    value = data.draw(valid_values(column, None, "insert"))
    assert column_problems("t", column, [value], "insert") == []


@pytest.mark.parametrize("column", COLUMNS, ids=IDS)
def test_every_invalid_value_fails_validation(column: ColumnSpec) -> None:
    for value in invalid_values(column, None):
        assert column_problems("t", column, [value], "insert"), f"{value!r} passed"


BY_NAME = {c.name: c for c in COLUMNS}


def _reaches(name: str, condition: Any) -> None:
    find(valid_values(BY_NAME[name], None), condition, settings=QUICK)


def test_strategies_reach_the_bounds() -> None:
    _reaches("label", lambda v: len(v) == 12)
    _reaches("label", lambda v: len(v) == 1)
    _reaches("code", lambda v: len(v) == 1)  # char(2) padded by PostgreSQL
    _reaches("amount", lambda v: v == Decimal("99999.99"))
    _reaches("amount", lambda v: v == 0)
    _reaches("small", lambda v: v == 9)
    _reaches("big", lambda v: v == 2**63 - 1)
    _reaches("tags", lambda v: v == [])
    _reaches("tags", lambda v: None in v)
    _reaches("stamp", lambda v: v is None)
    _reaches("stamp", lambda v: v is not None and v.utcoffset() != dt.timedelta(0))
    _reaches("ratio4", lambda v: v != v)  # NaN
    _reaches("span", lambda v: v == dt.timedelta.max)


def test_invalid_values_are_one_step_outside() -> None:
    invalid = {name: invalid_values(column, None) for name, column in BY_NAME.items()}
    assert "x" * 13 in invalid["label"]
    assert "y" * 0 in invalid["label"]  # min_length 1
    assert Decimal("0.005") in invalid["amount"]  # one decimal too many
    assert Decimal("100000.00") in invalid["amount"]  # one past numeric(7,2)
    assert Decimal("-0.01") in invalid["amount"]  # one below the minimum
    assert {-1, 10} <= set(invalid["small"])
    assert {-(2**31) - 1, 2**31} <= set(invalid["whole"])
    assert None in invalid["id"] and None not in invalid["note"]
    assert any("\x00" in v for v in invalid["note"])
    assert [None] in invalid["counts"]  # nullable_elements=False
