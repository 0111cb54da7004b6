"""Type families of expression operands: what each column type, cast, function and literal is,
as far as the whitelist needs to refuse what PostgreSQL would (:mod:`.whitelist`).

A family is ``text`` (text, varchar, char), ``number``, ``bool``, ``date``, ``time``,
``timestamp``, ``timestamptz``, ``uuid``, ``enum:<name>``, ``unknown`` (a string literal, which
takes the type of what it meets) or ``null``.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Mapping, Sequence

from batchrepo.validate.expression_tree import Cast, Const, Node

#: Function -> (argument families, fewest and most arguments, result family).
FUNCTIONS: dict[str, tuple[str, int, int, str]] = {
    "length": ("text", 1, 1, "number"),
    "char_length": ("text", 1, 1, "number"),
    "upper": ("text", 1, 1, "text"),
    "lower": ("text", 1, 1, "text"),
    "btrim": ("text", 1, 2, "text"),
    "ltrim": ("text", 1, 2, "text"),
    "rtrim": ("text", 1, 2, "text"),
    "abs": ("number", 1, 1, "number"),
}
CAST_FAMILY = {
    "text": "text",
    "varchar": "text",
    "bpchar": "text",
    "int2": "number",
    "int4": "number",
    "int8": "number",
    "numeric": "number",
    "float4": "number",
    "float8": "number",
    "bool": "bool",
    "date": "date",
    "time": "time",
    "timestamp": "timestamp",
    "timestamptz": "timestamptz",
    "uuid": "uuid",
}
KIND_FAMILY = {
    "int2": "number",
    "int4": "number",
    "int8": "number",
    "numeric": "number",
    "float4": "number",
    "float8": "number",
}
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_TIME = r"[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
#: String literals a cast or a comparison reads as these types: the ISO 8601 layouts both
#: PostgreSQL and Python read alike (a timestamptz needs its offset, else the server decides).
LITERAL_FORMATS = {
    "date": (re.compile(_DATE), "2024-01-31"),
    "time": (re.compile(_TIME), "09:30:00"),
    "timestamp": (re.compile(f"{_DATE}[T ]{_TIME}"), "2024-01-31 09:30:00"),
    "timestamptz": (
        re.compile(f"{_DATE}[T ]{_TIME}(?:Z|[+-][0-9]{{2}}(?::[0-9]{{2}})?)"),
        "2024-01-31 09:30:00+00:00",
    ),
    "uuid": (re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"), "a uuid"),
    "bool": (re.compile(r"true|false"), "true or false"),
}
#: Raw node kinds refused, as a reader names them.
REFUSED = {
    "SubLink": "subqueries are not allowed",
    "ParamRef": "parameters ($1) are not allowed",
    "CaseExpr": "CASE is not allowed",
    "CoalesceExpr": "COALESCE is not allowed",
    "MinMaxExpr": "GREATEST and LEAST are not allowed",
    "RowExpr": "row constructors are not allowed",
    "A_Indirection": "subscripts and field selections are not allowed",
    "CollateClause": "COLLATE is not allowed",
    "BooleanTest": "IS TRUE / IS FALSE / IS UNKNOWN are not allowed; compare with = or use IS NULL",
}


def shown(family: str) -> str:
    if family.startswith("enum:"):
        return f"value of enum {family[5:]}"
    return {"unknown": "string", "null": "NULL"}.get(family, family)


def typed(node: Node, family: str) -> Node:
    """A string literal met by ``family``: dates, times, uuids and booleans are cast so the
    evaluator reads them as such; text and enum labels stay strings."""
    if family in LITERAL_FORMATS:
        return Cast(node, family)
    return node


def parses(value: str, family: str) -> bool:
    try:
        if family == "date":
            datetime.date.fromisoformat(value)
        elif family == "time":
            datetime.time.fromisoformat(value)
        elif family in ("timestamp", "timestamptz"):
            datetime.datetime.fromisoformat(value)
        elif family == "uuid":
            uuid.UUID(value)
    except ValueError:
        return False
    return True


def number_const(text: str) -> Const | None:
    """A number written as a string (``'-1'::integer``, how PostgreSQL prints a negative
    bound) as the literal it is; None when it is not one."""
    text = text.strip()
    if re.fullmatch(r"[-+]?[0-9]+", text) and len(text) <= 20:
        return Const(int(text), "int")
    if re.fullmatch(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)", text) and len(text) <= 1000:
        return Const(text, "numeric")
    return None


def literal_problem(value: str, family: str, enums: Mapping[str, Sequence[str]]) -> str | None:
    """Why PostgreSQL would refuse the string literal ``value`` as a value of ``family`` (or
    read it by its own settings); None when it reads it as Python does."""
    if family.startswith("enum:"):
        labels = enums.get(family[5:], ())
        if value not in labels:
            return f"{value!r} is not a value of enum {family[5:]} ({', '.join(labels)})"
        return None
    if family == "number":
        return "a string where a number is expected; write the number"
    known = LITERAL_FORMATS.get(family)
    if known is None:
        return None
    pattern, example = known
    text = value.lower() if family == "bool" else value
    if not pattern.fullmatch(text) or not parses(value, family):
        return f"{value!r} is not a {family} literal (write {example})"
    return None
