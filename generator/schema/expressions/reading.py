"""One SQL expression read with PostgreSQL's parser (pglast), as its raw parse tree.

The text is parsed as ``SELECT 1 WHERE <text>``; anything but exactly that one statement (a
``;`` and a second statement, ``UNION``, ``ORDER BY``, a ``)`` closing early) is refused, and
so is any comment (``--``, ``/* */``): a reviewer reads the schema, and a comment could hide
what the text does from them. The raw tree is the JSON form pglast gives (plain dicts), walked
by :mod:`.whitelist`; positions in it are byte offsets, turned here into a character of the
author's text and the fragment found there.
"""

from __future__ import annotations

import json
from typing import Any

from pglast import parser

#: What the text is parsed inside of.
_PREFIX = "SELECT 1 WHERE "
_PREFIX_BYTES = len(_PREFIX.encode())

#: Longest expression accepted (a real CHECK is a line or two).
MAX_LENGTH = 4000

#: How much of the text a message quotes.
_FRAGMENT = 40

#: The statement ``SELECT 1 WHERE x`` parses to, but for its WHERE clause.
_SELECT_KEYS = frozenset({"targetList", "whereClause", "limitOption", "op"})


class ExpressionError(ValueError):
    """An expression refused: the message names what and where (``at character N``) and
    quotes the fragment."""


def fragment(text: str, location: int | None) -> str:
    """``at character N: 'fragment'`` for a byte offset of the parsed statement."""
    if location is None or location < _PREFIX_BYTES:
        return f"in {_quoted(text)}"
    offset = len(text.encode()[: location - _PREFIX_BYTES].decode(errors="ignore"))
    return f"at character {offset + 1}: {_quoted(text[offset:])}"


def _quoted(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    shown = first if len(first) <= _FRAGMENT else first[: _FRAGMENT - 3] + "..."
    return repr(shown)


def raw_expression(text: str) -> dict[str, Any]:
    """The raw parse tree of ``text`` (one node: ``{"A_Expr": {...}}``)."""
    if not text.strip():
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression has {len(text):,} characters; at most {MAX_LENGTH:,} are allowed"
        )
    if "\x00" in text:
        raise ExpressionError("the expression holds a NUL character")
    sql = _PREFIX + text
    try:
        tokens = parser.scan(sql)
    except parser.ParseError as error:
        raise ExpressionError(f"not an SQL expression: {_reason(text, error)}") from None
    for token in tokens:
        if token.name in ("SQL_COMMENT", "C_COMMENT"):
            raise ExpressionError(
                f"comments are not allowed in an expression, {fragment(text, token.start)}"
            )
    try:
        parsed = json.loads(parser.parse_sql_json(sql))
    except parser.ParseError as error:
        raise ExpressionError(f"not an SQL expression: {_reason(text, error)}") from None
    except RecursionError:
        # hundreds of NOT or unary minus in a row: no CHECK nests like that
        raise ExpressionError("the expression nests too deeply") from None
    statements = parsed.get("stmts", [])
    select = statements[0].get("stmt", {}).get("SelectStmt") if len(statements) == 1 else None
    if (
        select is None
        or set(select) != _SELECT_KEYS
        or select["op"] != "SETOP_NONE"
        or len(select["targetList"]) != 1
    ):
        raise ExpressionError(
            "not a single expression (a ';', a second statement or a clause after it)"
        )
    where: dict[str, Any] = select["whereClause"]
    return where


def _reason(text: str, error: parser.ParseError) -> str:
    message = str(error.args[0]) if error.args else str(error)
    location = error.args[1] if len(error.args) > 1 and isinstance(error.args[1], int) else None
    if location is None:
        return message
    return f"{message}, {fragment(text, location)}"


def uncast_array(raw: dict[str, Any]) -> dict[str, Any]:
    """``ARRAY[...]::text[]`` (how PostgreSQL prints an IN list over varchar) as its elements,
    each cast to the element type."""
    if "TypeCast" not in raw:
        return raw
    body = raw["TypeCast"]
    type_name = body["typeName"]
    if not type_name.get("arrayBounds") or "A_ArrayExpr" not in body["arg"]:
        return raw
    element_type = {k: v for k, v in type_name.items() if k != "arrayBounds"}
    elements = [
        {"TypeCast": {"arg": element, "typeName": element_type, "location": body.get("location")}}
        for element in body["arg"]["A_ArrayExpr"].get("elements", [])
    ]
    return {"A_ArrayExpr": {"elements": elements, "location": body.get("location")}}
