"""The canonical SQL text of an expression tree: one spelling however the author spaced, cased
or parenthesised it, so the DDL prints it and migrations compare it (a changed text is a changed
constraint or index).

Identifiers are always quoted, strings are SQL literals (:func:`names.sql_literal`), keywords
upper case, and every operand that is not a column, a literal or a call is parenthesised, so
the text never depends on operator precedence::

    ("status" <> 'Released') OR ("released_at" IS NOT NULL)
"""

from __future__ import annotations

from collections.abc import Callable

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


def canonical_sql(node: Node, column: Callable[[ColumnRef], str] | None = None) -> str:
    """``node`` as SQL text (a condition, without the surrounding ``CHECK (...)``).

    ``column``: how a column reads where the statement does not name it alone (a probe reading
    an updated row's stored values); the text it gives is parenthesised."""
    if isinstance(node, ColumnRef):
        return quote_ident(node.name) if column is None else f"({column(node)})"
    if isinstance(node, Const):
        return _literal(node)

    def operand(child: Node) -> str:
        return _operand(child, column)

    if isinstance(node, Cast):
        return f"{operand(node.operand)}::{_type(node.type_name)}"
    if isinstance(node, Not):
        return f"NOT {operand(node.operand)}"
    if isinstance(node, BoolOp):
        return f" {node.op} ".join(operand(o) for o in node.operands)
    if isinstance(node, Compare | Arithmetic):
        return f"{operand(node.left)} {node.op} {operand(node.right)}"
    if isinstance(node, Negate):
        return f"-{operand(node.operand)}"
    if isinstance(node, IsNull):
        return f"{operand(node.operand)} IS {'NOT ' if node.negated else ''}NULL"
    if isinstance(node, InList):
        values = ", ".join(operand(v) for v in node.values)
        return f"{operand(node.operand)} {'NOT ' if node.negated else ''}IN ({values})"
    if isinstance(node, Between):
        return (
            f"{operand(node.operand)} {'NOT ' if node.negated else ''}BETWEEN "
            f"{operand(node.low)} AND {operand(node.high)}"
        )
    return f"{node.function}({', '.join(canonical_sql(a, column) for a in node.arguments)})"


def _operand(node: Node, column: Callable[[ColumnRef], str] | None) -> str:
    text = canonical_sql(node, column)
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
