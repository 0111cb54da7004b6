"""The canonical SQL text of an expression tree: one spelling however the author spaced, cased
or parenthesised it, so the DDL prints it and migrations compare it (a changed text is a changed
constraint or index).

Identifiers are always quoted, strings are SQL literals (:func:`names.sql_literal`), keywords
upper case, and every operand that is not a column, a literal or a call is parenthesised, so
the text never depends on operator precedence::

    ("status" <> 'Released') OR ("released_at" IS NOT NULL)
"""

from __future__ import annotations

from batchrepo.validate.expression_tree import (
    CAST_TYPES,
    Arithmetic,
    Between,
    BoolOp,
    Call,
    Cast,
    ColumnRef,
    Compare,
    Const,
    InList,
    IsNull,
    Negate,
    Node,
    Not,
)

from ..names import quote_ident, sql_literal


def canonical_sql(node: Node) -> str:
    """``node`` as SQL text (a condition, without the surrounding ``CHECK (...)``)."""
    if isinstance(node, ColumnRef):
        return quote_ident(node.name)
    if isinstance(node, Const):
        return _literal(node)
    if isinstance(node, Cast):
        return f"{_operand(node.operand)}::{_type(node.type_name)}"
    if isinstance(node, Not):
        return f"NOT {_operand(node.operand)}"
    if isinstance(node, BoolOp):
        return f" {node.op} ".join(_operand(o) for o in node.operands)
    if isinstance(node, Compare | Arithmetic):
        return f"{_operand(node.left)} {node.op} {_operand(node.right)}"
    if isinstance(node, Negate):
        return f"-{_operand(node.operand)}"
    if isinstance(node, IsNull):
        return f"{_operand(node.operand)} IS {'NOT ' if node.negated else ''}NULL"
    if isinstance(node, InList):
        values = ", ".join(_operand(v) for v in node.values)
        return f"{_operand(node.operand)} {'NOT ' if node.negated else ''}IN ({values})"
    if isinstance(node, Between):
        return (
            f"{_operand(node.operand)} {'NOT ' if node.negated else ''}BETWEEN "
            f"{_operand(node.low)} AND {_operand(node.high)}"
        )
    return f"{node.function}({', '.join(canonical_sql(a) for a in node.arguments)})"


def _operand(node: Node) -> str:
    text = canonical_sql(node)
    atom = isinstance(node, ColumnRef | Call | Cast) or (
        isinstance(node, Const) and not text.startswith("-")
    )
    return text if atom else f"({text})"


def _literal(const: Const) -> str:
    if const.type == "null":
        return "NULL"
    if const.type == "bool":
        return "TRUE" if const.value else "FALSE"
    if const.type == "text":
        return sql_literal(str(const.value))
    return str(const.value)


def _type(name: str) -> str:
    return name if name in CAST_TYPES else quote_ident(name)
