"""The expression tree of a table CHECK constraint or a partial index predicate, as data.

The generator parses the schema's SQL text with PostgreSQL's own parser, keeps only the
whitelisted forms (``batchrepo_codegen.schema.expressions``) and builds this tree; the generated
table module carries it in its ``TableSpec.checks`` (``CheckSpec.expression``) and
:mod:`batchrepo.validate.table_checks` evaluates it per row, with SQL's three-valued logic. The
canonical SQL text the DDL declares is printed from the same tree, so both sides read one thing.

Every node is a frozen dataclass of plain values (names, numbers as text, tuples of nodes), so a
generated module prints it as a constructor call and it compares and hashes by value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: How a literal is typed: an integer, an exact number (``numeric``, written as its text), a
#: double, a string (``unknown`` in PostgreSQL: it takes the type of what it meets), a boolean,
#: or NULL.
ConstType = Literal["int", "numeric", "float8", "text", "bool", "null"]

#: Comparisons, PostgreSQL's spelling.
CompareOp = Literal["=", "<>", "<", "<=", ">", ">="]

#: Arithmetic on numbers.
ArithmeticOp = Literal["+", "-", "*", "/", "%"]

#: The immutable functions an expression may call (``trim`` is ``btrim``, as PostgreSQL reads it).
Function = Literal["length", "char_length", "upper", "lower", "btrim", "ltrim", "rtrim", "abs"]

#: Types a cast may name: the column types batchrepo knows, by PostgreSQL's internal names, or
#: the name of one of the schema's enums.
CAST_TYPES = frozenset(
    {
        "text",
        "varchar",
        "bpchar",
        "int2",
        "int4",
        "int8",
        "numeric",
        "float4",
        "float8",
        "bool",
        "date",
        "time",
        "timestamp",
        "timestamptz",
        "uuid",
    }
)


@dataclass(frozen=True, slots=True)
class ColumnRef:
    """A column of the table: its SQL name and its position in ``TableSpec.columns``."""

    name: str
    position: int


@dataclass(frozen=True, slots=True)
class Const:
    """A literal. ``value`` is the Python value, except ``numeric`` (its text, read as a
    ``Decimal`` by the evaluator) and ``null`` (None)."""

    value: str | int | float | bool | None
    type: ConstType


@dataclass(frozen=True, slots=True)
class Cast:
    """``operand::type_name`` (``type_name`` from :data:`CAST_TYPES` or an enum's name)."""

    operand: Node
    type_name: str


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


@dataclass(frozen=True, slots=True)
class BoolOp:
    """``AND`` or ``OR`` of two or more operands."""

    op: Literal["AND", "OR"]
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Compare:
    op: CompareOp
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Arithmetic:
    op: ArithmeticOp
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Negate:
    """Unary minus."""

    operand: Node


@dataclass(frozen=True, slots=True)
class IsNull:
    """``operand IS NULL`` (``IS NOT NULL`` when ``negated``)."""

    operand: Node
    negated: bool = False


@dataclass(frozen=True, slots=True)
class InList:
    """``operand IN (values)`` (``NOT IN`` when ``negated``); PostgreSQL's ``= ANY (ARRAY[...])``
    and ``<> ALL (ARRAY[...])`` read as this too."""

    operand: Node
    values: tuple[Node, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Between:
    """``operand BETWEEN low AND high`` (``NOT BETWEEN`` when ``negated``)."""

    operand: Node
    low: Node
    high: Node
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Call:
    function: Function
    arguments: tuple[Node, ...]


#: Any expression.
Node = (
    ColumnRef
    | Const
    | Cast
    | Not
    | BoolOp
    | Compare
    | Arithmetic
    | Negate
    | IsNull
    | InList
    | Between
    | Call
)


def columns_of(node: Node) -> tuple[int, ...]:
    """Positions of the columns ``node`` reads, each once, in order of appearance."""
    found: dict[int, None] = {}

    def visit(n: Node) -> None:
        if isinstance(n, ColumnRef):
            found.setdefault(n.position, None)
        for child in children(n):
            visit(child)

    visit(node)
    return tuple(found)


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of ``node``."""
    if isinstance(node, ColumnRef | Const):
        return ()
    if isinstance(node, Cast | Not | Negate | IsNull):
        return (node.operand,)
    if isinstance(node, BoolOp):
        return node.operands
    if isinstance(node, Compare | Arithmetic):
        return (node.left, node.right)
    if isinstance(node, InList):
        return (node.operand, *node.values)
    if isinstance(node, Between):
        return (node.operand, node.low, node.high)
    return node.arguments
