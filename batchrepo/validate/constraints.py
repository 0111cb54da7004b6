"""The checks one column's values must pass, each answering for a whole column and for one value.

``all_pass(column)`` judges a whole column at once with builtins that run in C (``min``, ``max``,
``map(len, ...)``, ``sum``); ``problem(value)`` judges one value and is used only to find the
culprits once the whole-column check has failed. A whole-column check may be conservative (fail
where every value is fine) but never lenient: the per-value walk decides. Texts describe the
rule broken and never quote the value (they end up in logs).
"""

from __future__ import annotations

import decimal
import enum
import functools
import json
import math
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter, methodcaller
from typing import Any, Protocol

#: (problem code, what is wrong) for one value.
Finding = tuple[str, str]

#: An escaped NUL in JSON text (an odd number of backslashes before u0000): jsonb rejects it.
_JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
#: Exact arithmetic for normalising one number without rounding.
_EXACT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)
_UNSET: Any = object()


class ColumnValues:
    """The non-None values of one column, with the aggregates several checks share.

    ``min`` and ``max`` of Decimals cost about as much as the checks themselves, so the int range,
    numeric precision and schema minimum/maximum of one column compute them once between them.
    """

    __slots__ = ("_high", "_lengths", "_low", "values")

    def __init__(self, values: Sequence[Any]) -> None:
        self.values = values
        self._low = self._high = self._lengths = _UNSET

    @property
    def low(self) -> Any:
        if self._low is _UNSET:
            self._low = min(self.values)
        return self._low

    @property
    def high(self) -> Any:
        if self._high is _UNSET:
            self._high = max(self.values)
        return self._high

    @property
    def lengths(self) -> list[int]:
        if self._lengths is _UNSET:
            self._lengths = list(map(len, self.values))
        return self._lengths  # type: ignore[no-any-return]


class ValueCheck(Protocol):
    def all_pass(self, column: ColumnValues) -> bool: ...
    def problem(self, value: Any) -> Finding | None: ...


@dataclass(frozen=True, slots=True)
class Bounds:
    """Inclusive lower and upper bounds (int ranges, schema minimum/maximum, float4)."""

    low: Any
    high: Any
    low_code: str
    high_code: str
    describe: str

    def all_pass(self, column: ColumnValues) -> bool:
        # NaN compares false both ways, so a column holding one falls through to the walk.
        return bool(self.low <= column.low and column.high <= self.high)

    def problem(self, value: Any) -> Finding | None:
        if isinstance(value, float) and not math.isfinite(value):
            return None  # float columns store NaN and infinities; ranges apply to finite values
        if value < self.low:
            return self.low_code, self.describe
        if value > self.high:
            return self.high_code, self.describe
        return None


@dataclass(frozen=True, slots=True)
class Length:
    """Length in characters (per element for arrays): varchar(n), char(n), min_length.

    For blank-padded ``char(n)`` PostgreSQL ignores trailing spaces (``char_length('ab '::char(3))``
    is 2, and surplus spaces are cut off rather than refused), so they are not counted there.
    """

    minimum: int | None
    maximum: int | None
    pg_type: str
    blank_padded: bool = False

    def all_pass(self, column: ColumnValues) -> bool:
        if self.blank_padded:
            lengths = list(map(len, map(_strip_spaces, column.values)))
        else:
            lengths = column.lengths
        return (self.maximum is None or max(lengths) <= self.maximum) and (
            self.minimum is None or min(lengths) >= self.minimum
        )

    def problem(self, value: Any) -> Finding | None:
        length = len(value.rstrip(" ") if self.blank_padded else value)
        if self.maximum is not None and length > self.maximum:
            return "too_long", f"longer than {self.maximum} characters ({self.pg_type})"
        if self.minimum is not None and length < self.minimum:
            return "too_short", f"shorter than {self.minimum} characters"
        return None


_strip_spaces = methodcaller("rstrip", " ")
_trim_spaces = methodcaller("strip", " ")


@dataclass(frozen=True, slots=True)
class CheckBound:
    """A bound of the schema's ``check``: ``min``/``max`` on float columns, ``min_exclusive``
    (``col > bound``) and ``max_exclusive`` (``col < bound``) on every number column.

    Compared as PostgreSQL compares: infinities are numbers like any other, NaN sorts above
    every number (it passes a lower bound and fails an upper one), and a ``real`` value is
    compared as stored, rounded to single precision (a double just beyond the bound may round
    onto it)."""

    bound: Any
    lower: bool
    strict: bool
    floats: bool = False
    """A float column, which may hold NaN."""
    single: bool = False

    def _stored(self, value: Any) -> Any:
        if not self.single or not isinstance(value, float):
            return value
        try:
            return struct.unpack("f", struct.pack("f", value))[0]
        except OverflowError:  # beyond real's range, which an earlier check reports
            return value

    def _passes(self, value: Any) -> bool:
        if self.lower:
            return bool(self.bound < value if self.strict else self.bound <= value)
        return bool(value < self.bound if self.strict else value <= self.bound)

    def all_pass(self, column: ColumnValues) -> bool:
        # Rounding keeps the order, so the extremes rounded are the rounded extremes. max()
        # may step over a NaN (it compares false both ways), which an upper bound refuses.
        if not self.lower and self.floats and any(v != v for v in column.values):
            return False
        return self._passes(self._stored(column.low if self.lower else column.high))

    def problem(self, value: Any) -> Finding | None:
        if isinstance(value, float) and math.isnan(value):
            passes = self.lower
        else:
            passes = self._passes(self._stored(value))
        if passes:
            return None
        code = "minimum" if self.lower else "maximum"
        if self.strict:
            side = (
                "at or below the exclusive minimum"
                if self.lower
                else "at or above the exclusive maximum"
            )
        else:
            side = "below the minimum" if self.lower else "above the maximum"
        return code, f"{side} {self.bound}"


@dataclass(frozen=True, slots=True)
class TrimmedLength:
    """The schema's ``min_trimmed_length``: ``length(btrim(col)) >= n``. ``btrim`` cuts spaces
    (U+0020) only, at both ends: a tab, a newline or a no-break space is a character."""

    minimum: int

    def all_pass(self, column: ColumnValues) -> bool:
        return min(map(len, map(_trim_spaces, column.values))) >= self.minimum

    def problem(self, value: Any) -> Finding | None:
        if len(value.strip(" ")) < self.minimum:
            described = (
                f"shorter than {self.minimum} characters once leading and trailing spaces are cut"
            )
            return "too_short", described
        return None


class AllowedValues:
    """The schema's ``in``: one of the listed values. Texts compare by their characters (a
    StrEnum member by its value), ``char(n)`` without trailing spaces, as PostgreSQL compares
    the column."""

    __slots__ = ("allowed", "blank_padded", "shown", "text")

    #: Values named in the message, at most (the rest as a count).
    SHOWN = 10

    def __init__(self, allowed: frozenset[Any], text: bool, blank_padded: bool) -> None:
        self.allowed = allowed
        self.text = text
        self.blank_padded = blank_padded
        ordered = sorted(allowed, key=lambda v: (str(type(v)), v))
        shown = ", ".join(map(str, ordered[: self.SHOWN]))
        more = len(ordered) - self.SHOWN
        self.shown = shown + (f" and {more} more" if more > 0 else "")

    def _compared(self, value: Any) -> Any:
        if not self.text:
            return value
        text = str.__str__(value)
        return text.rstrip(" ") if self.blank_padded else text

    def all_pass(self, column: ColumnValues) -> bool:
        return set(map(self._compared, column.values)) <= self.allowed

    def problem(self, value: Any) -> Finding | None:
        if self._compared(value) in self.allowed:
            return None
        return "not_allowed", f"not one of the allowed values ({self.shown})"


class NoNul:
    """PostgreSQL text cannot hold U+0000; asyncpg would fail the whole batch on it."""

    __slots__ = ()

    def all_pass(self, column: ColumnValues) -> bool:
        return "\x00" not in "".join(column.values)

    def problem(self, value: Any) -> Finding | None:
        if "\x00" in value:
            return "nul_character", "contains a NUL character, which PostgreSQL text cannot store"
        return None


@dataclass(frozen=True, slots=True)
class EnumMembers:
    """Membership in a database enum, for plain strings and StrEnum members alike."""

    allowed: frozenset[str]
    pg_type: str

    def all_pass(self, column: ColumnValues) -> bool:
        values = column.values
        kinds = set(map(type, values))
        enum_classes = {k for k in kinds if issubclass(k, enum.Enum)}
        # Every member of an enum class whose values all belong is fine without looking at rows
        # (and Enum.__hash__ hashes the member name, not its value: sets of members mislead).
        if not all(_enum_fits(k, self.allowed) for k in enum_classes):
            return False
        if kinds == enum_classes:
            return True
        return {v for v in values if type(v) not in enum_classes} <= self.allowed

    def problem(self, value: Any) -> Finding | None:
        # Values reaching here are str (the rule checked the type). A StrEnum member's text is
        # its value; str.__str__ takes it without Enum's slow .value and name-based __hash__.
        if str.__str__(value) not in self.allowed:
            return "enum", f"not a value of {self.pg_type} ({', '.join(sorted(self.allowed))})"
        return None


@functools.cache
def _enum_fits(enum_class: type[enum.Enum], allowed: frozenset[str]) -> bool:
    return all(member.value in allowed for member in enum_class)


class NumericDigits:
    """numeric(p, s): finite, at most s decimals (never rounded), at most p - s integer digits."""

    __slots__ = ("limit", "pg_type", "precision", "quantum", "scale")

    def __init__(self, precision: int | None, scale: int, pg_type: str) -> None:
        self.precision = precision
        self.scale = scale
        self.pg_type = pg_type
        self.quantum = Decimal(1).scaleb(-scale)
        self.limit = Decimal(10) ** ((precision or 0) - scale)

    def all_pass(self, column: ColumnValues) -> bool:
        try:
            with decimal.localcontext(_summing_context(self.precision)):
                total = sum(column.values, Decimal(0))
        except decimal.DecimalException:  # rounded (see _summing_context), sNaN, +inf and -inf
            return False
        if not total.is_finite():
            return False
        if self.precision is None:
            return True
        # An exact sum's exponent is the smallest exponent among the values, so one look tells
        # whether any value has more decimals than the scale (trailing zeros make this
        # conservative: 1.50 in numeric(4,1) falls through to the per-value walk, which allows it).
        if _exponent(total) < -self.scale:
            return False
        return bool(-self.limit < column.low and column.high < self.limit)

    def problem(self, value: Any) -> Finding | None:
        number = value if type(value) is Decimal else Decimal(value)
        if not number.is_finite():
            return "not_finite", f"is not a finite number, which {self.pg_type} needs here"
        if self.precision is None:
            return None
        # quantize rounds exactly when the value has more decimals than the scale
        if number.quantize(self.quantum, context=_EXACT) != number:
            return (
                "numeric_scale",
                f"has more than {self.scale} decimal places ({self.pg_type}); "
                "round it before saving, the database would round silently",
            )
        if not -self.limit < number < self.limit:
            return (
                "numeric_precision",
                f"has more than {self.precision - self.scale} digits before the decimal point "
                f"({self.pg_type})",
            )
        return None


@functools.cache
def _summing_context(precision: int | None) -> decimal.Context:
    """A context where the sum of conforming values is exact, and any rounding signals.

    Rounding would raise the sum's exponent and could hide a value with too many decimals, so
    it is trapped (and sends the column to the per-value walk) rather than tolerated. Contexts
    are costly to build, hence one per precision; ``localcontext`` copies it, so it stays shared
    safely.
    """
    digits = (precision or 0) + 30  # room for the sum of 10**30 conforming values
    return decimal.Context(
        prec=max(digits, 60),
        traps=[decimal.Rounded, decimal.InvalidOperation, decimal.Overflow],
    )


def _exponent(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite numbers only reach here
    return exponent


@dataclass(frozen=True, slots=True)
class TimeZone:
    """timestamptz takes aware datetimes, timestamp naive ones (asyncpg would shift or fail)."""

    aware: bool

    def all_pass(self, column: ColumnValues) -> bool:
        zones = set(map(attrgetter("tzinfo"), column.values))
        return None not in zones if self.aware else zones == {None}

    def problem(self, value: Any) -> Finding | None:
        if (value.tzinfo is not None) != self.aware:
            wanted = "a timezone-aware" if self.aware else "a naive (no tzinfo)"
            column = "timestamptz" if self.aware else "timestamp"
            return "timezone", f"{column} needs {wanted} datetime"
        return None


class JsonText:
    """Values that json.dumps can encode into text that jsonb accepts (no NaN, no NUL)."""

    __slots__ = ()

    def all_pass(self, column: ColumnValues) -> bool:
        try:
            text = json.dumps(column.values, allow_nan=False)
        except (TypeError, ValueError):
            return False
        return "\\u0000" not in text or _JSON_NUL.search(text) is None

    def problem(self, value: Any) -> Finding | None:
        try:
            text = json.dumps(value, allow_nan=False)
        except TypeError:
            return "json", "is not JSON-serialisable"
        except ValueError:
            return "json", "holds NaN or infinity, which JSON cannot represent"
        if _JSON_NUL.search(text):
            return "json", "holds a NUL character, which jsonb cannot store"
        return None
