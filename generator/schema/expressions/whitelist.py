"""The whitelist: pglast's raw tree of one expression -> the typed tree the IR keeps.

Each raw node is either one of the accepted forms, built into a node of
:mod:`batchrepo.validate.expression_tree` with its type family, or refused with a message
naming the form and where it is. Families are what PostgreSQL would resolve the operand to, as
far as the DDL needs: ``text`` (text, varchar, char), ``number``, ``bool``, ``date``, ``time``,
``timestamp``, ``timestamptz``, ``uuid``, ``enum:<name>``, ``unknown`` (a string literal, which
takes the type of what it meets) and ``null``. A comparison of two families that do not meet
(text with a number, a date with a timestamp) is refused, as PostgreSQL refuses or the server's
time zone would decide it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from batchrepo.validate.expression_tree import (
    CAST_TYPES,
    Arithmetic,
    ArithmeticOp,
    Between,
    BoolOp,
    Call,
    Cast,
    ColumnRef,
    Compare,
    CompareOp,
    Const,
    Function,
    InList,
    IsNull,
    Negate,
    Node,
    Not,
    columns_of,
)

from ..types import ParsedType
from .canonical import canonical_sql
from .families import (
    CAST_FAMILY,
    FUNCTIONS,
    KIND_FAMILY,
    REFUSED,
    literal_problem,
    number_const,
    shown,
    typed,
)
from .reading import ExpressionError, fragment, raw_expression, uncast_array

#: Deepest nesting accepted (a real CHECK nests a few levels).
MAX_DEPTH = 100

_COMPARISONS = frozenset({"=", "<>", "!=", "<", "<=", ">", ">="})
_ARITHMETIC = frozenset({"+", "-", "*", "/", "%"})


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    position: int
    type: ParsedType


@dataclass(frozen=True, slots=True)
class ReadExpression:
    tree: Node
    sql: str
    """Canonical SQL text (:func:`canonical_sql`)."""
    columns: tuple[int, ...]
    """Positions of the columns the expression reads."""


def read_expression(
    text: str, columns: Mapping[str, ColumnInfo], enums: Mapping[str, Sequence[str]]
) -> ReadExpression:
    """The whitelisted, typed tree of ``text`` over a table's ``columns``; raises
    :class:`ExpressionError`. ``enums``: the schema's enums and their labels."""
    raw = raw_expression(text)
    tree, family = _Walker(text, columns, enums).node(raw, 0)
    if family not in ("bool", "null"):
        raise ExpressionError(
            f"the expression is a {shown(family)}, not a condition (true or false), "
            f"{fragment(text, None)}"
        )
    return ReadExpression(tree, canonical_sql(tree), columns_of(tree))


def _names(raw: Sequence[dict[str, Any]]) -> list[str]:
    return [str(part.get("String", {}).get("sval", "?")) for part in raw]


class _Walker:
    def __init__(
        self, text: str, columns: Mapping[str, ColumnInfo], enums: Mapping[str, Sequence[str]]
    ) -> None:
        self.text = text
        self.columns = columns
        self.enums = enums

    def refuse(self, what: str, body: dict[str, Any]) -> ExpressionError:
        return ExpressionError(f"{what}, {fragment(self.text, body.get('location'))}")

    def node(self, raw: dict[str, Any], depth: int) -> tuple[Node, str]:
        """The typed node of one raw node and its family."""
        ((kind, body),) = raw.items()
        if depth > MAX_DEPTH:
            raise self.refuse(f"the expression nests deeper than {MAX_DEPTH} levels", body)
        method = getattr(self, f"_{kind}", None)
        if kind == "SQLValueFunction":
            name = str(body.get("op", "")).removeprefix("SVFOP_").lower()
            raise self.refuse(f"{name} is not allowed: its value is not fixed", body)
        if method is None:
            what = REFUSED.get(kind, f"{kind} is not allowed in an expression")
            raise self.refuse(what, body)
        result: tuple[Node, str] = method(body, depth + 1)
        return result

    def _ColumnRef(self, body: dict[str, Any], depth: int) -> tuple[Node, str]:
        fields = body["fields"]
        if any("A_Star" in f for f in fields):
            raise self.refuse("* is not allowed", body)
        names = _names(fields)
        if len(names) > 1:
            raise self.refuse(
                f"{'.'.join(names)} names another table's column; a CHECK reads the columns "
                "of its own table only (write the column name alone)",
                body,
            )
        info = self.columns.get(names[0])
        if info is None:
            raise self.refuse(f"unknown column {names[0]!r}", body)
        parsed = info.type
        if parsed.is_array or parsed.kind in ("jsonb", "bytea", "interval"):
            raise self.refuse(
                f"column {names[0]!r} is {parsed.ddl}; expressions read scalar columns of "
                "text, number, boolean, date and time, uuid and enum types only",
                body,
            )
        family = KIND_FAMILY.get(parsed.kind, parsed.kind)
        if parsed.kind == "enum":
            family = f"enum:{parsed.enum}"
        return ColumnRef(names[0], info.position), family

    def _A_Const(self, body: dict[str, Any], depth: int) -> tuple[Node, str]:
        if body.get("isnull"):
            return Const(None, "null"), "null"
        if "ival" in body:
            return Const(int(body["ival"].get("ival", 0)), "int"), "number"
        if "fval" in body:
            return Const(str(body["fval"]["fval"]), "numeric"), "number"
        if "boolval" in body:
            return Const(bool(body["boolval"].get("boolval", False)), "bool"), "bool"
        if "sval" in body:
            return Const(str(body["sval"].get("sval", "")), "text"), "unknown"
        raise self.refuse("this literal is not allowed (bit strings and the like)", body)

    def _BoolExpr(self, body: dict[str, Any], depth: int) -> tuple[Node, str]:
        operands = []
        for argument in body["args"]:
            operand, family = self.node(argument, depth)
            self.expect_condition(family, argument, body["boolop"].split("_")[0])
            operands.append(operand)
        if body["boolop"] == "NOT_EXPR":
            return Not(operands[0]), "bool"
        return BoolOp("AND" if body["boolop"] == "AND_EXPR" else "OR", tuple(operands)), "bool"

    def expect_condition(self, family: str, raw: dict[str, Any], where: str) -> None:
        if family not in ("bool", "null"):
            ((_kind, body),) = raw.items()
            raise self.refuse(
                f"{where} needs conditions (true or false), not a {shown(family)}", body
            )

    def _NullTest(self, body: dict[str, Any], depth: int) -> tuple[Node, str]:
        operand, _family = self.node(body["arg"], depth)
        return IsNull(operand, body["nulltesttype"] == "IS_NOT_NULL"), "bool"

    def _TypeCast(self, body: dict[str, Any], depth: int) -> tuple[Node, str]:
        type_name = body["typeName"]
        names = _names(type_name["names"])
        if type_name.get("typmods"):
            raise self.refuse(
                "casts with a length or precision are not allowed (they may truncate or round); "
                "cast to the type alone",
                body,
            )
        if names[0] == "pg_catalog" and len(names) == 2:
            names = names[1:]
        target = names[0]
        if len(names) != 1 or (target not in CAST_TYPES and target not in self.enums):
            raise self.refuse(f"cast to {'.'.join(names)} is not allowed", body)
        family = CAST_FAMILY.get(target, f"enum:{target}")
        if type_name.get("arrayBounds"):
            raise self.refuse(
                "casts to array types are allowed on the ARRAY[...] list of = ANY / <> ALL only",
                body,
            )
        operand, operand_family = self.node(body["arg"], depth)
        return self.cast(operand, operand_family, target, family, body), family

    def cast(
        self, operand: Node, family: str, target: str, wanted: str, body: dict[str, Any]
    ) -> Node:
        if target in ("text", "varchar") and self.plain_text(operand, family):
            # 'a'::varchar::text and varchar_column::text are what PostgreSQL prints for a
            # literal and a varchar column meeting text: implicit, so the canonical text omits
            # them (declared again, PostgreSQL prints them the same)
            return operand
        if family == "unknown" and wanted == "number":
            # PostgreSQL prints a negative bound as '-1'::integer: a number written as text
            return Cast(self.number_text(cast(Const, operand), body), target)
        if family == "unknown":
            self.literal(cast(Const, operand), wanted, body)
        elif family == "number" and wanted == "number":
            pass
        elif family not in (wanted, "null") and not (
            family.startswith("enum:") and wanted == "text"
        ):
            raise self.refuse(
                f"cannot cast a {shown(family)} to {target} here; casts change "
                "text to text, numbers to numbers, an enum to text, and literals",
                body,
            )
        return Cast(operand, target)

    def plain_text(self, operand: Node, family: str) -> bool:
        """A string literal, or a text or varchar column (not char(n): its cast to text drops
        trailing spaces)."""
        if isinstance(operand, Const):
            return family in ("unknown", "text")
        if isinstance(operand, ColumnRef):
            parsed = self.columns[operand.name].type
            return parsed.kind == "text" and not parsed.fixed_length
        return False

    def number_text(self, const: Const, body: dict[str, Any]) -> Const:
        number = number_const(str(const.value))
        if number is None:
            raise self.refuse(f"{const.value!r} is not a number", body)
        return number

    def literal(self, const: Const, family: str, body: dict[str, Any]) -> None:
        """Refuse a string literal PostgreSQL would refuse (or read by its own settings) as
        a value of ``family``."""
        problem = literal_problem(str(const.value), family, self.enums)
        if problem is not None:
            raise self.refuse(problem, body)

    def array(self, body: dict[str, Any], depth: int) -> list[tuple[Node, str]]:
        return [self.node(element, depth) for element in body.get("elements", [])]

    def _A_Expr(self, body: dict[str, Any], depth: int) -> tuple[Node, str]:
        kind = body["kind"]
        names = _names(body.get("name", []))
        if len(names) != 1:
            raise self.refuse(f"operator {'.'.join(names)} is not allowed", body)
        op = names[0]
        if kind == "AEXPR_OP":
            if "lexpr" not in body:
                return self.unary(op, body, depth)
            return self.binary(op, body["lexpr"], body["rexpr"], body, depth)
        if kind in ("AEXPR_IN", "AEXPR_OP_ANY", "AEXPR_OP_ALL"):
            return self.in_list(kind, op, body, depth)
        if kind in ("AEXPR_BETWEEN", "AEXPR_NOT_BETWEEN"):
            operand, family = self.node(body["lexpr"], depth)
            low_raw, high_raw = body["rexpr"]["List"]["items"]
            low, _ = self.compared(family, low_raw, body, depth)
            high, _ = self.compared(family, high_raw, body, depth)
            return Between(operand, low, high, kind == "AEXPR_NOT_BETWEEN"), "bool"
        shown = {
            "AEXPR_LIKE": "LIKE",
            "AEXPR_ILIKE": "ILIKE",
            "AEXPR_SIMILAR": "SIMILAR TO",
            "AEXPR_DISTINCT": "IS DISTINCT FROM",
            "AEXPR_NOT_DISTINCT": "IS NOT DISTINCT FROM",
            "AEXPR_NULLIF": "NULLIF",
        }.get(kind, kind)
        raise self.refuse(f"{shown} is not allowed", body)

    def unary(self, op: str, body: dict[str, Any], depth: int) -> tuple[Node, str]:
        if op not in ("-", "+"):
            raise self.refuse(f"operator {op} is not allowed", body)
        operand, family = self.node(body["rexpr"], depth)
        if family not in ("number", "null"):
            raise self.refuse(f"unary {op} needs a number, not a {shown(family)}", body)
        return (Negate(operand) if op == "-" else operand), "number"

    def binary(
        self,
        op: str,
        left_raw: dict[str, Any],
        right_raw: dict[str, Any],
        body: dict[str, Any],
        depth: int,
    ) -> tuple[Node, str]:
        if op in _COMPARISONS:
            left, family = self.node(left_raw, depth)
            right, right_family = self.compared(family, right_raw, body, depth)
            if family == "unknown" and right_family not in ("unknown", "null"):
                self.literal(cast(Const, left), right_family, body)
                left = typed(left, right_family)
            compare_op = cast(CompareOp, "<>" if op == "!=" else op)
            return Compare(compare_op, left, right), "bool"
        if op in _ARITHMETIC:
            left, left_family = self.node(left_raw, depth)
            right, right_family = self.node(right_raw, depth)
            for family in (left_family, right_family):
                if family not in ("number", "null"):
                    raise self.refuse(
                        f"arithmetic ({op}) on numbers only, not on a {shown(family)}", body
                    )
            return Arithmetic(cast(ArithmeticOp, op), left, right), "number"
        raise self.refuse(f"operator {op} is not allowed", body)

    def compared(
        self, family: str, raw: dict[str, Any], body: dict[str, Any], depth: int
    ) -> tuple[Node, str]:
        """The right side of a comparison with a left side of ``family``, type-checked."""
        node, other = self.node(raw, depth)
        if other == "unknown" and family not in ("unknown", "null"):
            self.literal(cast(Const, node), family, body)
            return typed(node, family), family
        if "null" in (family, other) or family == other or "unknown" in (family, other):
            return node, other
        if (family.startswith("enum:") and other == "text") or (
            other.startswith("enum:") and family == "text"
        ):
            raise self.refuse(
                f"compares a {shown(family)} with a {shown(other)}; cast the enum to text",
                body,
            )
        raise self.refuse(f"compares a {shown(family)} with a {shown(other)}", body)

    def in_list(self, kind: str, op: str, body: dict[str, Any], depth: int) -> tuple[Node, str]:
        negated = op == "<>"
        if (
            op not in ("=", "<>")
            or (kind == "AEXPR_OP_ANY" and negated)
            or (kind == "AEXPR_OP_ALL" and not negated)
        ):
            raise self.refuse(
                f"{op} {'ANY' if kind.endswith('ANY') else 'ALL'} is not allowed", body
            )
        operand, family = self.node(body["lexpr"], depth)
        right = body["rexpr"]
        if kind == "AEXPR_IN":
            items = right["List"]["items"]
        else:
            right = uncast_array(right)
            if "A_ArrayExpr" not in right:
                raise self.refuse(f"{op} ANY/ALL takes an ARRAY[...] list only", body)
            items = right["A_ArrayExpr"].get("elements", [])
        values = tuple(self.compared(family, item, body, depth)[0] for item in items)
        if not values:
            raise self.refuse("an empty IN list is not allowed", body)
        return InList(operand, values, negated), "bool"

    def _FuncCall(self, body: dict[str, Any], depth: int) -> tuple[Node, str]:
        names = _names(body["funcname"])
        if names[0] == "pg_catalog" and len(names) == 2:
            names = names[1:]
        name = names[0].lower()
        known = FUNCTIONS.get(name) if len(names) == 1 else None
        if known is None:
            allowed = ", ".join(sorted({*FUNCTIONS, "trim"}))
            raise self.refuse(
                f"function {'.'.join(names)}() is not allowed; the allowed functions are {allowed}",
                body,
            )
        for flag in ("agg_star", "agg_distinct", "func_variadic", "over", "agg_filter"):
            if body.get(flag):
                raise self.refuse(f"{name}() takes plain arguments only", body)
        if body.get("agg_order"):
            raise self.refuse(f"{name}() takes plain arguments only", body)
        wanted, fewest, most, result = known
        raw_arguments = body.get("args", [])
        if not fewest <= len(raw_arguments) <= most:
            count = str(fewest) if fewest == most else f"{fewest} or {most}"
            raise self.refuse(f"{name}() takes {count} argument(s)", body)
        arguments = []
        for raw in raw_arguments:
            argument, family = self.node(raw, depth)
            if family == "unknown" and wanted == "text":
                family = "text"
            if family not in (wanted, "null"):
                hint = "; cast the enum to text" if family.startswith("enum:") else ""
                raise self.refuse(f"{name}() takes a {wanted}, not a {shown(family)}{hint}", body)
            arguments.append(argument)
        return Call(cast(Function, name), tuple(arguments)), result
