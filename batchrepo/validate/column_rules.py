"""What the values of a column kind must be: accepted Python classes plus the column's checks.

``rule_for(column)`` assembles, once per column, a ``ValueRule`` from the checks in
:mod:`batchrepo.validate.constraints` that the column's kind and declared limits call for.
"""

from __future__ import annotations

import datetime
import functools
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from batchrepo.key_matching import blank_padded
from batchrepo.spec import ColumnKind, ColumnSpec
from batchrepo.validate.constraints import (
    AllowedValues,
    Bounds,
    CheckBound,
    ColumnValues,
    EnumMembers,
    Finding,
    JsonText,
    Length,
    NoNul,
    NumericDigits,
    TimeZone,
    TrimmedLength,
    ValueCheck,
)

#: The ranges of PostgreSQL's integer types (the generator checks schema defaults and bounds
#: against them too).
INTEGER_RANGES = {
    "int2": (-(2**15), 2**15 - 1),
    "int4": (-(2**31), 2**31 - 1),
    "int8": (-(2**63), 2**63 - 1),
}
#: Largest finite float4 (``real``): PostgreSQL refuses larger values, and asyncpg only when it
#: encodes them.
FLOAT4_MAX = 3.4028234663852886e38


@dataclass(frozen=True, slots=True)
class ValueRule:
    """Accepted Python classes of a column kind, plus the value checks of the column."""

    accepted: tuple[type, ...]
    rejected: tuple[type, ...]
    expected: str
    checks: tuple[ValueCheck, ...]
    known: dict[type, bool] = field(default_factory=dict, compare=False)
    """Classes already judged (issubclass is slow next to a dict lookup)."""

    def accepts(self, cls: type) -> bool:
        verdict = self.known.get(cls)
        if verdict is None:
            verdict = issubclass(cls, self.accepted) and not issubclass(cls, self.rejected)
            self.known[cls] = verdict
        return verdict

    def accepts_types(self, classes: set[type]) -> bool:
        return all(map(self.accepts, classes))

    def all_pass(self, values: Sequence[Any]) -> bool:
        """Whether every (non-None, accepted-type) value passes every check of the column."""
        column = ColumnValues(values)
        return all(check.all_pass(column) for check in self.checks)

    def problem(self, value: Any) -> Finding | None:
        cls: type = type(value)
        if not self.accepts(cls):
            return "type", f"expected {self.expected}, got {cls.__name__}"
        for check in self.checks:
            found = check.problem(value)
            if found is not None:
                return found
        return None


_CLASSES: dict[ColumnKind, tuple[tuple[type, ...], tuple[type, ...], str]] = {
    "uuid": ((uuid.UUID,), (), "uuid.UUID"),
    "bool": ((bool,), (), "bool"),
    "int2": ((int,), (bool,), "int"),
    "int4": ((int,), (bool,), "int"),
    "int8": ((int,), (bool,), "int"),
    # float would carry binary rounding into money columns: Decimal or int only
    "numeric": ((Decimal, int), (bool,), "Decimal or int"),
    "float4": ((float, int), (bool,), "float"),
    "float8": ((float, int), (bool,), "float"),
    "text": ((str,), (), "str"),
    "enum": ((str,), (), "str or StrEnum"),
    "bytea": ((bytes, bytearray, memoryview), (), "bytes"),
    "date": ((datetime.date,), (datetime.datetime,), "datetime.date (not datetime)"),
    "time": ((datetime.time,), (), "datetime.time"),
    "timestamp": ((datetime.datetime,), (), "datetime.datetime"),
    "timestamptz": ((datetime.datetime,), (), "datetime.datetime"),
    "interval": ((datetime.timedelta,), (), "datetime.timedelta"),
    "jsonb": ((object,), (), "JSON data"),
}


def rules_for(columns: tuple[ColumnSpec, ...]) -> tuple[ValueRule, ...]:
    """The rules of a table's columns, built once per spec (hashing a ColumnSpec costs more than
    validating a single row's value, so the cache is keyed by the identity of the tuple)."""
    cached = _RULES_BY_COLUMNS.get(id(columns))
    if cached is None or cached[0] is not columns:
        cached = (columns, tuple(rule_for(column) for column in columns))
        _RULES_BY_COLUMNS[id(columns)] = cached
    return cached[1]


_RULES_BY_COLUMNS: dict[int, tuple[tuple[ColumnSpec, ...], tuple[ValueRule, ...]]] = {}


@functools.cache
def rule_for(column: ColumnSpec) -> ValueRule:
    """The rule for the column's values (for an array column: for each element)."""
    accepted, rejected, expected = _CLASSES[column.kind]
    checks: list[ValueCheck] = []
    kind = column.kind
    if kind in INTEGER_RANGES:
        low, high = INTEGER_RANGES[kind]
        described = f"outside the {kind} range [{low}, {high}]"
        checks.append(Bounds(low, high, "out_of_range", "out_of_range", described))
    elif kind == "float4":
        described = "outside the float4 range (magnitude above 3.4e38)"
        checks.append(Bounds(-FLOAT4_MAX, FLOAT4_MAX, "out_of_range", "out_of_range", described))
    elif kind == "numeric":
        scale = column.scale if column.scale is not None else 0
        checks.append(NumericDigits(column.precision, scale, column.pg_type))
    elif kind in ("text", "enum"):
        checks.append(NoNul())
    elif kind in ("timestamp", "timestamptz"):
        checks.append(TimeZone(aware=kind == "timestamptz"))
    elif kind == "jsonb":
        checks.append(JsonText())
    if kind == "enum" and column.enum_values is not None:
        checks.append(EnumMembers(column.enum_values, column.pg_type))
    if column.max_length is not None or column.min_length is not None:
        padded = blank_padded(column)
        checks.append(Length(column.min_length, column.max_length, column.pg_type, padded))
    floats = kind in ("float4", "float8")
    if column.minimum is not None and not floats:
        described = f"below the minimum {column.minimum}"
        checks.append(Bounds(column.minimum, math.inf, "minimum", "minimum", described))
    if column.maximum is not None and not floats:
        described = f"above the maximum {column.maximum}"
        checks.append(Bounds(-math.inf, column.maximum, "maximum", "maximum", described))
    bounds = (
        (column.minimum, True, False),
        (column.maximum, False, False),
        (column.exclusive_minimum, True, True),
        (column.exclusive_maximum, False, True),
    )
    for bound, lower, strict in bounds:
        if bound is None or (not strict and not floats):
            continue
        if floats:
            # PostgreSQL compares a float column with the bound read as a double
            single = kind == "float4"
            checks.append(CheckBound(float(bound), lower, strict, floats=True, single=single))
        else:
            checks.append(CheckBound(bound, lower, strict))
    if column.min_trimmed_length is not None:
        checks.append(TrimmedLength(column.min_trimmed_length))
    if column.allowed_values is not None:
        text = kind == "text"
        checks.append(AllowedValues(column.allowed_values, text, text and blank_padded(column)))
    return ValueRule(accepted, rejected, expected, tuple(checks))
