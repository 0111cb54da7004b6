"""Column types: the type names ``schema.yaml`` may use, parsed into :class:`ParsedType`.

Every accepted spelling maps to one canonical DDL spelling, so the generated DDL never repeats
what the schema author typed (the schema is untrusted input; only names we produce reach SQL).

Accepted (built-in names are case-insensitive, whitespace is free around parentheses, commas and
``[]``): ``uuid``; ``bool``/``boolean``; ``smallint``/``int2``; ``integer``/``int``/``int4``;
``bigint``/``int8``; ``numeric``/``decimal`` with ``(p,s)``, ``(p)`` or nothing; ``real``/
``float4``; ``double``/``double precision``/``float8``; ``text``; ``varchar(n)``/``character
varying(n)``; ``char(n)``/``character(n)``; ``bytea``; ``date``; ``time``; ``timestamp``;
``timestamptz``/``timestamp with time zone``; ``interval``; ``jsonb``; the name of a declared
enum (case-sensitive, as it is a quoted identifier); any of these but ``jsonb`` with one ``[]``.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from batchrepo.spec import ColumnKind

from .issues import close_match, listed
from .names import quote_ident

#: Longest varchar(n)/char(n) PostgreSQL accepts.
MAX_LENGTH = 10_485_760
#: Largest numeric precision PostgreSQL accepts.
MAX_PRECISION = 1000


@dataclass(frozen=True, slots=True)
class ParsedType:
    """A column type, resolved: what it holds and how to spell it in SQL."""

    kind: ColumnKind
    """Value family of the column, or of its elements for an array."""
    is_array: bool
    length: int | None
    """varchar(n) / char(n): at most n characters (per element for arrays)."""
    fixed_length: bool
    """char(n): PostgreSQL pads shorter values with spaces."""
    precision: int | None
    """numeric(p, s): p; None for unbounded numeric."""
    scale: int | None
    enum: str | None
    """The enum's schema name when ``kind == "enum"``."""
    ddl: str
    """Canonical DDL spelling: ``varchar(100)``, ``numeric(15,2)``, ``integer[]``, ``"mood"``."""
    cast: str
    """Element type for casts of batch arrays (``$1::<cast>[]``), without typmod: ``text`` for
    varchar/char/text, because casting to ``varchar(5)[]`` truncates silently (field notes)."""


class TypeSyntaxError(ValueError):
    """A type name that is not accepted; the message says how to write it."""


@dataclass(frozen=True, slots=True)
class _BuiltIn:
    kind: ColumnKind
    ddl: str
    cast: str
    params: str
    """``none``, ``length`` (required) or ``numeric`` (optional precision and scale)."""


_UUID = _BuiltIn("uuid", "uuid", "uuid", "none")
_BOOL = _BuiltIn("bool", "boolean", "bool", "none")
_INT2 = _BuiltIn("int2", "smallint", "int2", "none")
_INT4 = _BuiltIn("int4", "integer", "int4", "none")
_INT8 = _BuiltIn("int8", "bigint", "int8", "none")
_NUMERIC = _BuiltIn("numeric", "numeric", "numeric", "numeric")
_FLOAT4 = _BuiltIn("float4", "real", "float4", "none")
_FLOAT8 = _BuiltIn("float8", "double precision", "float8", "none")
_TEXT = _BuiltIn("text", "text", "text", "none")
_VARCHAR = _BuiltIn("text", "varchar", "text", "length")
_CHAR = _BuiltIn("text", "char", "text", "length")
_TIMESTAMP = _BuiltIn("timestamp", "timestamp", "timestamp", "none")
_TIMESTAMPTZ = _BuiltIn("timestamptz", "timestamptz", "timestamptz", "none")

#: Every accepted spelling (lower case, single spaces) of a built-in type.
_BUILT_INS: dict[str, _BuiltIn] = {
    "uuid": _UUID,
    "bool": _BOOL,
    "boolean": _BOOL,
    "smallint": _INT2,
    "int2": _INT2,
    "integer": _INT4,
    "int": _INT4,
    "int4": _INT4,
    "bigint": _INT8,
    "int8": _INT8,
    "numeric": _NUMERIC,
    "decimal": _NUMERIC,
    "real": _FLOAT4,
    "float4": _FLOAT4,
    "double": _FLOAT8,
    "double precision": _FLOAT8,
    "float8": _FLOAT8,
    "text": _TEXT,
    "varchar": _VARCHAR,
    "character varying": _VARCHAR,
    "char": _CHAR,
    "character": _CHAR,
    "bytea": _BuiltIn("bytea", "bytea", "bytea", "none"),
    "date": _BuiltIn("date", "date", "date", "none"),
    "time": _BuiltIn("time", "time", "time", "none"),
    "timestamp": _TIMESTAMP,
    "timestamptz": _TIMESTAMPTZ,
    "timestamp with time zone": _TIMESTAMPTZ,
    "interval": _BuiltIn("interval", "interval", "interval", "none"),
    "jsonb": _BuiltIn("jsonb", "jsonb", "jsonb", "none"),
}

#: Built-in names, lower case; an enum may not take one of them (it would be shadowed).
BUILT_IN_TYPE_NAMES = frozenset(_BUILT_INS)

#: What people write from other languages, and the type they most likely mean.
_HINTS = {
    "string": "text",
    "str": "text",
    "json": "jsonb",
    "datetime": "timestamptz",
    "float": "double precision",
    "long": "bigint",
    "int64": "bigint",
    "int32": "integer",
    "int16": "smallint",
    "serial": "integer",
    "bigserial": "bigint",
    "bytes": "bytea",
    "blob": "bytea",
    "timetz": "time",
}

#: The canonical names, as an error message lists them.
_KNOWN = (
    "uuid, boolean, smallint, integer, bigint, numeric(p,s), real, double precision, text, "
    "varchar(n), char(n), bytea, date, time, timestamp, timestamptz, interval, jsonb"
)

_ARRAY_SUFFIX = re.compile(r"(?P<base>.*?)\s*\[\s*(?P<size>[^\]]*?)\s*\]", re.DOTALL)
_PARAMETERS = re.compile(r"(?P<base>.*?)\s*\((?P<args>[^()]*)\)", re.DOTALL)
_WHOLE_NUMBER = re.compile(r"[0-9]+")


def parse_type(text: str, enum_names: Collection[str]) -> ParsedType:
    """Parse a column type; ``enum_names`` are the enums the schema declares.

    Raises :class:`TypeSyntaxError` with a message that says what to write instead.
    """
    rest = text.strip()
    if not rest:
        raise TypeSyntaxError("type is empty; write a type such as text, integer or uuid")
    rest, is_array = _split_array(rest)
    base, args = _split_parameters(rest)
    if any(ch in base for ch in "()[]"):
        raise TypeSyntaxError(f"malformed type {text!r}: check its parentheses and brackets")
    spelling = " ".join(base.split()).lower()
    built_in = _BUILT_INS.get(spelling)
    if built_in is not None:
        return _parse_built_in(built_in, spelling, args, is_array)
    if base in enum_names:
        if args is not None:
            raise TypeSyntaxError(f"enum type {base!r} takes no parameters: write {base}")
        quoted = quote_ident(base)
        return ParsedType(
            kind="enum",
            is_array=is_array,
            length=None,
            fixed_length=False,
            precision=None,
            scale=None,
            enum=base,
            ddl=quoted + ("[]" if is_array else ""),
            cast=quoted,
        )
    raise TypeSyntaxError(_unknown_type_message(base, enum_names))


def _split_array(text: str) -> tuple[str, bool]:
    """Remove one trailing ``[]``; reject sized and nested arrays."""
    found = _ARRAY_SUFFIX.fullmatch(text)
    if found is None:
        return text, False
    base = found["base"]
    if _ARRAY_SUFFIX.fullmatch(base) is not None:
        raise TypeSyntaxError(
            f"nested arrays are not supported: {text!r} has more than one dimension; "
            "use one [] or store the structure in jsonb"
        )
    if found["size"]:
        # PostgreSQL accepts and ignores array sizes, so a size would promise a check nobody makes.
        raise TypeSyntaxError(
            f"array sizes are not supported (PostgreSQL ignores them): write {base.strip()}[]"
        )
    return base, True


def _split_parameters(text: str) -> tuple[str, list[str] | None]:
    found = _PARAMETERS.fullmatch(text)
    if found is None:
        return text, None
    return found["base"], [arg.strip() for arg in found["args"].split(",")]


def _parse_built_in(
    built_in: _BuiltIn, spelling: str, args: list[str] | None, is_array: bool
) -> ParsedType:
    if built_in.kind == "jsonb" and is_array:
        raise TypeSyntaxError("arrays of jsonb are not supported: store a JSON list in jsonb")
    numbers = _whole_numbers(spelling, args)
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    ddl = built_in.ddl
    if built_in.params == "none":
        if numbers is not None:
            raise TypeSyntaxError(f"{spelling} takes no parameters: write {spelling}")
    elif built_in.params == "length":
        length = _length(spelling, numbers)
        ddl = f"{built_in.ddl}({length})"
    else:
        precision, scale = _precision_and_scale(spelling, numbers)
        if precision is not None:
            ddl = f"numeric({precision},{scale})"
    return ParsedType(
        kind=built_in.kind,
        is_array=is_array,
        length=length,
        fixed_length=built_in is _CHAR,
        precision=precision,
        scale=scale,
        enum=None,
        ddl=ddl + ("[]" if is_array else ""),
        cast=built_in.cast,
    )


def _whole_numbers(spelling: str, args: list[str] | None) -> list[int] | None:
    if args is None:
        return None
    if not all(_WHOLE_NUMBER.fullmatch(arg) for arg in args):
        shown = ",".join(args)
        raise TypeSyntaxError(
            f"{spelling}({shown}): parameters must be whole numbers, e.g. "
            f"{'numeric(15,2)' if spelling in ('numeric', 'decimal') else spelling + '(100)'}"
        )
    return [int(arg) for arg in args]


def _length(spelling: str, numbers: list[int] | None) -> int:
    if numbers is None:
        raise TypeSyntaxError(f"{spelling} needs a length: {spelling}(n), or use text")
    if len(numbers) != 1:
        raise TypeSyntaxError(f"{spelling} takes one parameter, the length: {spelling}(n)")
    (length,) = numbers
    if not 1 <= length <= MAX_LENGTH:
        raise TypeSyntaxError(
            f"{spelling}({length}): length must be between 1 and {MAX_LENGTH}; "
            "use text for longer values"
        )
    return length


def _precision_and_scale(spelling: str, numbers: list[int] | None) -> tuple[int | None, int | None]:
    if numbers is None:
        return None, None
    if len(numbers) > 2:
        raise TypeSyntaxError(
            f"{spelling} takes (precision) or (precision,scale), not {len(numbers)} parameters"
        )
    precision = numbers[0]
    scale = numbers[1] if len(numbers) == 2 else 0
    shown = f"{spelling}({','.join(str(n) for n in numbers)})"
    if not 1 <= precision <= MAX_PRECISION:
        raise TypeSyntaxError(f"{shown}: precision must be between 1 and {MAX_PRECISION}")
    if not 0 <= scale <= precision:
        raise TypeSyntaxError(f"{shown}: scale must be between 0 and precision")
    return precision, scale


def _unknown_type_message(base: str, enum_names: Collection[str]) -> str:
    spelling = " ".join(base.split())
    # Lower-case keys find 'Mood' for the enum 'mood' and 'strng' (close to 'string') for 'text'.
    meant: dict[str, str] = {name: name for name in _BUILT_INS}
    meant |= _HINTS
    meant |= {name.lower(): name for name in enum_names}
    close = close_match(spelling.lower(), list(meant))
    if close is not None:
        return f"unknown type {spelling!r}; did you mean {meant[close]!r}?"
    enums = listed(sorted(enum_names)) or "none declared"
    return f"unknown type {spelling!r}; known: {_KNOWN}; enums: {enums}"
