"""Value checks: literal defaults, server defaults and declarative checks fit the column type
(and ``nullable_elements`` is on an array column).

A literal ``default`` is applied by the entity class and declared in the DDL, so it must be a
value the column can hold exactly: numbers within the type's range, numeric values within
precision and scale (PostgreSQL would round them silently, field notes part 2), text within the
length, enum values among the enum's, dates and times as ISO 8601 strings. ``check`` bounds
follow the same rules, per element for arrays (as the IR emits them).
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Sequence
from decimal import Decimal

from batchrepo.validate.column_rules import FLOAT4_MAX, INTEGER_RANGES

from ..document import ColumnDef, LiteralDefault
from ..issues import Path, Problem, close_match, describe, listed
from ..types import ParsedType
from .limits import number_too_long

NUMBER_KINDS = frozenset({"int2", "int4", "int8", "numeric", "float4", "float8"})

#: Which column kinds each server default fits.
SERVER_DEFAULT_KINDS = {
    "now()": ("timestamptz", "timestamp"),
    "current_timestamp": ("timestamptz", "timestamp"),
    "clock_timestamp()": ("timestamptz", "timestamp"),
    "current_date": ("date",),
    "gen_random_uuid()": ("uuid",),
    "uuid_generate_v4()": ("uuid",),
}

_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_TIME = r"[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
#: Literal defaults of date and time columns: ISO 8601 in the one layout both PostgreSQL and
#: Python read alike; a timestamptz needs its offset, or the server's time zone would decide.
_TEMPORAL_FORMATS = {
    "date": (re.compile(_DATE), "2024-01-31"),
    "time": (re.compile(_TIME), "09:30:00"),
    "timestamp": (re.compile(f"{_DATE}[T ]{_TIME}"), "2024-01-31T09:30:00"),
    "timestamptz": (
        re.compile(f"{_DATE}[T ]{_TIME}(?:Z|[+-][0-9]{{2}}:[0-9]{{2}})"),
        "2024-01-31T09:30:00+00:00",
    ),
}

_NUMERIC_TEXT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def value_problems(
    path: Path, column: ColumnDef, parsed: ParsedType, enum_values: Sequence[str] | None
) -> list[Problem]:
    """Problems of one column's ``default``, ``server_default`` and ``check``; ``enum_values``
    is None when the column's enum could not be read (its values are then not compared)."""
    problems = []
    default_fits = False
    if column.default is not None:
        message = default_problem(column.default, parsed, enum_values)
        default_fits = message is None
        if message is not None:
            problems.append(Problem((*path, "default"), message))
        elif column.server_default is not None:
            message = "a column takes default or server_default, not both"
            problems.append(Problem((*path, "server_default"), message))
    if column.server_default is not None:
        message = _server_default_problem(column.server_default, parsed)
        if message is not None:
            problems.append(Problem((*path, "server_default"), message))
    if column.on_update is not None:
        message = _on_update_problem(column.on_update, parsed)
        if message is not None:
            problems.append(Problem((*path, "on_update"), message))
    if column.check is not None:
        problems += _check_problems((*path, "check"), column, parsed, default_fits)
    if column.nullable_elements and not parsed.is_array:
        message = (
            f"nullable_elements applies to array columns only, not {parsed.ddl}; "
            "for a column that may be NULL use nullable: true"
        )
        problems.append(Problem((*path, "nullable_elements"), message))
    return problems


def number(value: LiteralDefault) -> Decimal | None:
    """A finite number written as an int, a float or a numeric string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if _NUMERIC_TEXT.fullmatch(value):
        return Decimal(value)
    return None


def default_problem(
    value: LiteralDefault, parsed: ParsedType, enum_values: Sequence[str] | None
) -> str | None:
    """Why ``value`` cannot be the literal default of a column of type ``parsed``."""
    if not parsed.is_array and parsed.kind in _TEMPORAL_FORMATS:
        return _temporal_default_problem(value, parsed)
    if parsed.is_array or parsed.kind not in (*NUMBER_KINDS, "bool", "text", "enum"):
        fitting = [d for d, kinds in SERVER_DEFAULT_KINDS.items() if parsed.kind in kinds]
        hint = f"; use server_default: {fitting[0]}" if fitting and not parsed.is_array else ""
        return f"a literal default is not supported for {parsed.ddl} columns{hint}"
    if parsed.kind == "bool":
        return None if isinstance(value, bool) else f"expected true or false, got {describe(value)}"
    if parsed.kind == "text":
        if not isinstance(value, str):
            return f"expected a string for a {parsed.ddl} column, got {describe(value)}"
        if parsed.length is not None and len(value) > parsed.length:
            return (
                f"default {value!r} is {len(value)} characters long; {parsed.ddl} holds at most "
                f"{parsed.length}"
            )
        return None
    if parsed.kind == "enum":
        return _enum_default_problem(value, parsed, enum_values)
    if isinstance(value, str) and parsed.kind != "numeric":
        # Only numeric takes its exact value as a string ("0.01"); a quoted 12 is a mistake.
        return f"default must be a number for a {parsed.ddl} column, got {describe(value)}"
    if isinstance(value, float) and parsed.kind in INTEGER_RANGES and value.is_integer():
        # YAML reads 1e3 and 1000.0 as floats: the entity would hold 1000.0 where an int belongs
        written = f"write {int(value)}" if abs(value) < 1e19 else "write the whole number"
        return (
            f"default {value!r} is written as a float (a fraction or an exponent); {parsed.ddl} "
            f"holds whole numbers: {written}"
        )
    return number_problem("default", value, parsed)


def _temporal_default_problem(value: LiteralDefault, parsed: ParsedType) -> str | None:
    pattern, example = _TEMPORAL_FORMATS[parsed.kind]
    if not isinstance(value, str) or not pattern.fullmatch(value):
        fitting = [d for d, kinds in SERVER_DEFAULT_KINDS.items() if parsed.kind in kinds]
        hint = f", or use server_default: {fitting[0]}" if fitting else ""
        return f"a {parsed.ddl} default is a quoted ISO 8601 string such as '{example}'{hint}"
    try:
        # The pattern fixes the layout (PostgreSQL and Python both read it); this checks the
        # calendar (no February 30th, no hour 25).
        if parsed.kind == "date":
            datetime.date.fromisoformat(value)
        elif parsed.kind == "time":
            datetime.time.fromisoformat(value)
        else:
            datetime.datetime.fromisoformat(value)
    except ValueError as error:
        return f"default {value!r} is not a valid {parsed.ddl}: {error}"
    return None


def _enum_default_problem(
    value: LiteralDefault, parsed: ParsedType, enum_values: Sequence[str] | None
) -> str | None:
    if not isinstance(value, str):
        return f"expected a value of enum {parsed.enum!r}, got {describe(value)}"
    if enum_values is None or value in enum_values:
        return None
    close = close_match(value, enum_values)
    meant = f"did you mean {close!r}? " if close is not None else ""
    shown = listed([repr(v) for v in enum_values])
    return f"{value!r} is not a value of enum {parsed.enum!r}; {meant}values: {shown}"


def number_problem(what: str, value: LiteralDefault, parsed: ParsedType) -> str | None:
    """Why ``value`` is not a number a column of type ``parsed`` holds exactly."""
    amount = number(value)
    if amount is None:
        return f"{what} must be a number for a {parsed.ddl} column, got {describe(value)}"
    too_long = number_too_long(amount)
    if too_long is not None:
        return f"{what} {too_long}"
    shown = _show_number(value)
    if parsed.kind in INTEGER_RANGES:
        low, high = INTEGER_RANGES[parsed.kind]
        if amount != amount.to_integral_value():
            return f"{what} {shown} is not a whole number, as {parsed.ddl} requires"
        if not low <= amount <= high:
            return f"{what} {shown} is out of range for {parsed.ddl} ({low} to {high})"
        return None
    if parsed.kind == "float4" and abs(amount) > Decimal(FLOAT4_MAX):
        return f"{what} {shown} is out of range for real (at most about 3.4e38)"
    if parsed.kind == "numeric" and parsed.precision is not None:
        return _numeric_problem(what, shown, amount, parsed.precision, parsed.scale or 0)
    return None


def _numeric_problem(
    what: str, shown: str, amount: Decimal, precision: int, scale: int
) -> str | None:
    if amount == 0:
        return None
    decimals = max(0, -int(amount.normalize().as_tuple().exponent))
    whole_digits = max(0, amount.adjusted() + 1)
    if decimals > scale:
        # PostgreSQL would round it silently; the schema should say the value it stores.
        return (
            f"{what} {shown} has {decimals} digits after the decimal point; "
            f"numeric({precision},{scale}) keeps {scale}"
        )
    if whole_digits > precision - scale:
        return (
            f"{what} {shown} does not fit numeric({precision},{scale}): at most "
            f"{precision - scale} digits before the decimal point"
        )
    return None


def _show_number(value: LiteralDefault) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _server_default_problem(server_default: str, parsed: ParsedType) -> str | None:
    kinds = SERVER_DEFAULT_KINDS[server_default]
    if parsed.kind in kinds and not parsed.is_array:
        return None
    fitting = [
        d
        for d, fits in SERVER_DEFAULT_KINDS.items()
        if parsed.kind in fits and d != "uuid_generate_v4()"  # a spelling adopted, not advised
    ]
    if fitting and not parsed.is_array:
        hint = "use " + " or ".join(fitting)
    else:
        hint = "no server default fits it"
    return (
        f"server_default {server_default} does not fit a {parsed.ddl} column "
        f"(it gives {' or '.join(kinds)}); {hint}"
    )


def _on_update_problem(clock: str, parsed: ParsedType) -> str | None:
    kinds = SERVER_DEFAULT_KINDS[clock]
    if parsed.kind in kinds and not parsed.is_array:
        return None
    fitting = [
        d
        for d, fits in SERVER_DEFAULT_KINDS.items()
        if parsed.kind in fits and d not in ("gen_random_uuid()", "uuid_generate_v4()")
    ]
    if fitting and not parsed.is_array:
        hint = "use " + " or ".join(fitting)
    else:
        hint = "only timestamptz, timestamp and date columns take on_update"
    return (
        f"on_update {clock} does not fit a {parsed.ddl} column "
        f"(it gives {' or '.join(kinds)}); {hint}"
    )


def _check_problems(
    path: Path, column: ColumnDef, parsed: ParsedType, default_fits: bool
) -> list[Problem]:
    """Problems of ``check``; the default is compared with the bounds when it fits the type."""
    assert column.check is not None
    check = column.check
    problems = []
    bounds: dict[str, Decimal] = {}
    for rule, bound in (("min", check.min), ("max", check.max)):
        if bound is None:
            continue
        if parsed.kind not in NUMBER_KINDS:
            message = f"check {rule} applies to number columns, not {parsed.ddl}"
            if parsed.kind == "text" and rule == "min":
                message += "; for text use min_length"
            problems.append(Problem((*path, rule), message))
            continue
        unfit = number_problem(f"check {rule}", bound, parsed)
        if unfit is not None:
            problems.append(Problem((*path, rule), unfit))
            continue
        amount = number(bound)
        assert amount is not None
        bounds[rule] = amount
    if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
        message = f"check min {bounds['min']} is greater than max {bounds['max']}"
        problems.append(Problem((*path, "min"), message))
    if column.default is not None and default_fits and not problems:
        problems += _default_within_bounds(path, column.default, bounds)
    if check.min_length is not None:
        if parsed.kind != "text":
            message = f"check min_length applies to text columns, not {parsed.ddl}"
            problems.append(Problem((*path, "min_length"), message))
        elif parsed.length is not None and check.min_length > parsed.length:
            message = f"check min_length {check.min_length} is more than {parsed.ddl} can hold"
            problems.append(Problem((*path, "min_length"), message))
        elif (
            default_fits
            and isinstance(column.default, str)
            and len(column.default) < check.min_length
        ):
            message = f"default {column.default!r} is shorter than min_length {check.min_length}"
            problems.append(Problem((*path[:-1], "default"), message))
    return problems


def _default_within_bounds(
    path: Path, default: LiteralDefault, bounds: dict[str, Decimal]
) -> list[Problem]:
    amount = number(default)
    if amount is None:
        return []
    if "min" in bounds and amount < bounds["min"]:
        message = f"default {_show_number(default)} is below check min {bounds['min']}"
        return [Problem((*path[:-1], "default"), message)]
    if "max" in bounds and amount > bounds["max"]:
        message = f"default {_show_number(default)} is above check max {bounds['max']}"
        return [Problem((*path[:-1], "default"), message)]
    return []
