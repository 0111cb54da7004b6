"""Column type changes: which ones keep every value as it was (widening), and how to convert.

A widening change is safe on any data: ``varchar(50)`` to ``varchar(100)`` or ``text``,
``smallint`` to ``integer`` to ``bigint``, ``numeric(10,2)`` to ``numeric(12,2)``, ``real`` to
``double precision``. Anything else (narrowing, a different kind, ``char(n)`` to ``varchar``
which drops the padding, ``timestamp`` to ``timestamptz`` which reinterprets every value) may
lose or change data, or fail on existing rows: the migration marks it destructive.
"""

from __future__ import annotations

from ..schema.names import quote_ident
from ..schema.types import ParsedType

_INTEGER_RANK = {"int2": 1, "int4": 2, "int8": 3}
#: Decimal digits an integer type may need, for integer -> numeric(p, 0) and beyond.
_INTEGER_DIGITS = {"int2": 5, "int4": 10, "int8": 19}


def is_widening(old: ParsedType, new: ParsedType) -> bool:
    """Whether every value of ``old`` converts to ``new`` unchanged."""
    if old.is_array != new.is_array:
        return False
    if old.ddl == new.ddl:
        return True
    if old.kind == "text" and new.kind == "text":
        return _text_widening(old, new)
    if old.kind in _INTEGER_RANK and new.kind in _INTEGER_RANK:
        return _INTEGER_RANK[new.kind] >= _INTEGER_RANK[old.kind]
    if old.kind in _INTEGER_RANK and new.kind == "numeric":
        return _numeric_holds(new, _INTEGER_DIGITS[old.kind], 0)
    if old.kind == "numeric" and new.kind == "numeric":
        if old.precision is None:
            return new.precision is None
        return _numeric_holds(new, old.precision - (old.scale or 0), old.scale or 0)
    return old.kind == "float4" and new.kind == "float8"


def _text_widening(old: ParsedType, new: ParsedType) -> bool:
    if old.fixed_length != new.fixed_length:
        # char(n) pads with spaces that varchar and text keep; the other way round pads values.
        return False
    if new.length is None:
        return not new.fixed_length
    return old.length is not None and new.length >= old.length


def _numeric_holds(new: ParsedType, integer_digits: int, scale: int) -> bool:
    if new.precision is None:
        return True
    new_scale = new.scale or 0
    return new_scale >= scale and new.precision - new_scale >= integer_digits


def conversion(column: str, old: ParsedType, new: ParsedType) -> str:
    """The ``TYPE ...`` action of ``ALTER COLUMN``: a widening relies on PostgreSQL's implicit
    conversion (which lets it skip rewriting the table); anything else converts explicitly,
    through text when an enum is involved (there is no direct cast from or to an enum)."""
    if is_widening(old, new):
        return f"TYPE {new.ddl}"
    value = quote_ident(column)
    through_text = old.kind == "enum" or new.kind == "enum"
    if old.is_array == new.is_array:
        if through_text:
            value = f"{value}::text{'[]' if old.is_array else ''}"
        return f"TYPE {new.ddl} USING {value}::{new.ddl}"
    element = new.ddl.removesuffix("[]")
    if new.is_array:
        # One value becomes a one-element array (NULL stays NULL).
        item = f"{value}::text::{element}" if through_text else f"{value}::{element}"
        return f"TYPE {new.ddl} USING CASE WHEN {value} IS NULL THEN NULL ELSE ARRAY[{item}] END"
    # An array keeps its first element (the rest is lost: the step is destructive).
    first = f"{value}[1]"
    return f"TYPE {new.ddl} USING {f'{first}::text' if through_text else first}::{element}"
