"""Table CHECK constraints checked per row before any SQL, from the same tree the DDL declares.

Each :class:`~batchrepo.spec.CheckSpec` expression is compiled once (per spec and mode) into
Python closures and evaluated on the batch's ``to_columns`` lists with SQL's three-valued logic:
None is NULL, and a CHECK passes unless its expression is *false*. A row is refused only where
Python knows PostgreSQL's answer. Where it does not, the value is :data:`UNDECIDED` and the row
is left to the database, whose 23514 error a failure probe then attributes to its rows
(:func:`batchrepo.db.error_mapping.batch_error`):

* ``<``, ``<=``, ``>``, ``>=`` between two texts (the server's collation orders them);
* ``upper``/``lower`` of text that is not ASCII (the server's locale decides);
* division of numbers that are not both integers (numeric division's scale is PostgreSQL's),
  division by zero and integer results outside ``integer``'s range (errors there);
* real (``float4``) columns (stored rounded to single precision);
* a column the database fills or keeps: a server default given None (insert: the default;
  update: the stored value), a column a partial update does not write.

``char(n)`` values are read without trailing spaces, as PostgreSQL compares and measures them.
"""

from __future__ import annotations

import datetime
import decimal
import math
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final

from batchrepo.spec import CheckSpec, ColumnSpec, TableSpec, WriteMode
from batchrepo.validate.expression_tree import (
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
    children,
)
from batchrepo.validate.report import Problem


class _Undecided:
    def __repr__(self) -> str:
        return "UNDECIDED"


#: A value Python cannot know as PostgreSQL would: the database decides.
UNDECIDED: Final = _Undecided()

#: One row's value of a compiled expression: ``columns`` are the batch's lists.
Evaluate = Callable[[Sequence[Sequence[Any]], int], Any]

_INT4 = 2**31 - 1
#: Decimal arithmetic exact to numeric's 1,000 digits (no rounding where PostgreSQL has none).
_EXACT = decimal.Context(prec=2000, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)
_FLOAT = frozenset({"float4", "float8"})


def check_problems(
    spec: TableSpec[Any, Any],
    columns: Sequence[Sequence[Any]],
    mode: WriteMode,
    skip_rows: set[int],
) -> list[Problem]:
    """Rows (outside ``skip_rows``, which already broke field rules) whose table checks are
    false, one problem per row and check, rows ascending."""
    if not spec.checks or not columns:
        return []
    problems: list[Problem] = []
    rows = len(columns[0])
    for check in spec.checks:
        evaluate = compiled(check, spec.columns, mode, spec.update_columns)
        field = ",".join(spec.columns[c].attr for c in check.columns)
        for row in range(rows):
            if row in skip_rows:
                continue
            try:
                result = evaluate(columns, row)
            except (TypeError, ValueError, ArithmeticError, AttributeError):
                continue  # a value of a type the field rules refuse: left to them
            if result is False:
                text = f"{spec.table} row {row}: breaks check {check.constraint} ({check.sql})"
                problems.append(Problem(row, field, "check", text))
    problems.sort(key=lambda p: p.row)
    return problems


@lru_cache(maxsize=1024)
def compiled(
    check: CheckSpec,
    columns: tuple[ColumnSpec, ...],
    mode: WriteMode,
    written: tuple[bool, ...] | None,
) -> Evaluate:
    """The check's expression as a function of (batch columns, row)."""
    return _compile(check.expression, _Columns(columns, mode, written))


class _Columns:
    """How each column's value is read in a mode."""

    def __init__(
        self, columns: tuple[ColumnSpec, ...], mode: WriteMode, written: tuple[bool, ...] | None
    ) -> None:
        self.columns = columns
        self.mode = mode
        self.written = written

    def reader(self, position: int) -> Evaluate:
        column = self.columns[position]
        if self.written is not None and not self.written[position]:
            return lambda _c, _r: UNDECIDED  # the stored value stays
        # None takes the default on insert and keeps the stored value on update (key columns
        # with a default are required on update, so None never finds a row there)
        filled = column.server_default or column.identity
        if column.kind == "float4":
            return lambda c, r: None if c[position][r] is None else UNDECIDED
        padded = column.pg_type.startswith("char(") or column.pg_type.startswith("character(")

        def read(c: Sequence[Sequence[Any]], r: int) -> Any:
            value = c[position][r]
            if value is None:
                return UNDECIDED if filled else None
            if padded:
                return str(value).rstrip(" ")
            if isinstance(value, str) and type(value) is not str:
                return _text(value)  # an enum member: its label
            return value

        return read


def _compile(node: Node, columns: _Columns) -> Evaluate:
    if isinstance(node, ColumnRef):
        return columns.reader(node.position)
    if isinstance(node, Const):
        value = _const(node)
        return lambda _c, _r: value
    parts = [_compile(child, columns) for child in children(node)]
    if isinstance(node, Cast):
        return _unary(parts[0], _caster(node.type_name))
    if isinstance(node, Not):
        return _unary(parts[0], lambda v: not v)
    if isinstance(node, BoolOp):
        combine = _and if node.op == "AND" else _or
        return lambda c, r: combine([p(c, r) for p in parts])
    if isinstance(node, Compare):
        compare = _COMPARE[node.op]
        ordering = node.op not in ("=", "<>")
        return _binary(parts[0], parts[1], lambda a, b: _compared(a, b, compare, ordering))
    if isinstance(node, Arithmetic):
        operate = _ARITHMETIC[node.op]
        return _binary(parts[0], parts[1], operate)
    if isinstance(node, Negate):
        return _unary(parts[0], lambda v: -v)
    if isinstance(node, IsNull):
        negated = node.negated
        operand = parts[0]
        return lambda c, r: _is_null(operand(c, r), negated)
    if isinstance(node, InList):
        return _in_list(parts[0], parts[1:], node.negated)
    if isinstance(node, Between):
        low = _compile(Compare(">=", node.operand, node.low), columns)
        high = _compile(Compare("<=", node.operand, node.high), columns)
        negated = node.negated
        return lambda c, r: _negated(_and([low(c, r), high(c, r)]), negated)
    if isinstance(node, Call):
        return _call(node.function, parts)
    raise TypeError(f"not an expression node: {node!r}")


def _const(node: Const) -> Any:
    if node.type == "numeric":
        return Decimal(str(node.value))
    return node.value


def _unary(part: Evaluate, apply: Callable[[Any], Any]) -> Evaluate:
    def run(c: Sequence[Sequence[Any]], r: int) -> Any:
        value = part(c, r)
        if value is None or value is UNDECIDED:
            return value
        return apply(value)

    return run


def _binary(left: Evaluate, right: Evaluate, apply: Callable[[Any, Any], Any]) -> Evaluate:
    def run(c: Sequence[Sequence[Any]], r: int) -> Any:
        a, b = left(c, r), right(c, r)
        if a is None or b is None:
            return None
        if a is UNDECIDED or b is UNDECIDED:
            return UNDECIDED
        return apply(a, b)

    return run


def _is_null(value: Any, negated: bool) -> Any:
    if value is UNDECIDED:
        return UNDECIDED
    return (value is not None) if negated else (value is None)


def _negated(value: Any, negated: bool) -> Any:
    if not negated or value is None or value is UNDECIDED:
        return value
    return not value


def _and(values: list[Any]) -> Any:
    if any(v is False for v in values):
        return False
    if any(v is UNDECIDED for v in values):
        return UNDECIDED
    return None if any(v is None for v in values) else True


def _or(values: list[Any]) -> Any:
    if any(v is True for v in values):
        return True
    if any(v is UNDECIDED for v in values):
        return UNDECIDED
    return None if any(v is None for v in values) else False


def _in_list(operand: Evaluate, values: Sequence[Evaluate], negated: bool) -> Evaluate:
    equal = _COMPARE["="]

    def run(c: Sequence[Sequence[Any]], r: int) -> Any:
        value = operand(c, r)
        if value is None or value is UNDECIDED:
            return value
        found = []
        for candidate in values:
            other = candidate(c, r)
            found.append(
                other
                if other is None or other is UNDECIDED
                else _compared(value, other, equal, False)
            )
        return _negated(_or(found), negated)

    return run


def _same_kind(a: Any, b: Any) -> tuple[Any, Any]:
    """Operands as PostgreSQL compares them: numeric with double as double."""
    if isinstance(a, float) and isinstance(b, Decimal):
        return a, float(b)
    if isinstance(a, Decimal) and isinstance(b, float):
        return float(a), b
    return a, b


def _compared(a: Any, b: Any, compare: Callable[[Any, Any], bool], ordering: bool) -> Any:
    if ordering and isinstance(a, str) and isinstance(b, str):
        return UNDECIDED  # the server's collation orders text
    a, b = _same_kind(a, b)
    return compare(a, b)


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: bool(a == b),
    "<>": lambda a, b: bool(a != b),
    "<": lambda a, b: bool(a < b),
    "<=": lambda a, b: bool(a <= b),
    ">": lambda a, b: bool(a > b),
    ">=": lambda a, b: bool(a >= b),
}


def _integers(a: Any, b: Any) -> bool:
    return type(a) is int and type(b) is int


def _arithmetic(op: str) -> Callable[[Any, Any], Any]:
    def run(a: Any, b: Any) -> Any:
        if isinstance(a, bool) or isinstance(b, bool):
            raise TypeError("arithmetic on booleans")
        a, b = _same_kind(a, b)
        if _integers(a, b):
            result = _integer_operation(op, a, b)
        elif op == "/" or op == "%":
            if not b or op == "/":
                return UNDECIDED  # numeric division's scale, division by zero
            result = _EXACT.remainder(Decimal(a), Decimal(b))
        elif isinstance(a, float) or isinstance(b, float):
            result = {"+": a + b, "-": a - b, "*": a * b}[op]
            return result if math.isfinite(result) else UNDECIDED
        else:
            x, y = Decimal(a), Decimal(b)
            result = {"+": _EXACT.add, "-": _EXACT.subtract, "*": _EXACT.multiply}[op](x, y)
        return result

    return run


def _integer_operation(op: str, a: int, b: int) -> Any:
    if op in ("/", "%"):
        if b == 0:
            return UNDECIDED  # PostgreSQL raises division_by_zero
        quotient = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)  # toward zero
        result = quotient if op == "/" else a - b * quotient
    else:
        result = a + b if op == "+" else a - b if op == "-" else a * b
    # integer, bigint or a smaller type's result may be out of range there: the database decides
    return result if -_INT4 - 1 <= result <= _INT4 else UNDECIDED


_ARITHMETIC = {op: _arithmetic(op) for op in ("+", "-", "*", "/", "%")}


def _call(function: str, parts: list[Evaluate]) -> Evaluate:
    if function in ("length", "char_length"):
        return _unary(parts[0], len)
    if function == "abs":
        return _unary(parts[0], abs)
    if function in ("upper", "lower"):
        case = str.upper if function == "upper" else str.lower
        return _unary(parts[0], lambda v: case(v) if v.isascii() else UNDECIDED)
    strip = {"btrim": str.strip, "ltrim": str.lstrip, "rtrim": str.rstrip}[function]
    if len(parts) == 1:
        return _unary(parts[0], lambda v: strip(v, " "))
    return _binary(parts[0], parts[1], lambda v, chars: strip(v, chars))


def _caster(type_name: str) -> Callable[[Any], Any]:
    if type_name in ("text", "varchar"):
        return lambda v: v if type(v) is str else _text(v)
    if type_name == "bpchar":
        return lambda v: _text(v).rstrip(" ")
    if type_name in ("int2", "int4", "int8"):
        return _to_integer
    if type_name == "numeric":
        return lambda v: UNDECIDED if isinstance(v, float) else Decimal(v)
    if type_name in _FLOAT:
        return lambda v: float(v) if type_name == "float8" else UNDECIDED
    if type_name == "date":
        return lambda v: datetime.date.fromisoformat(v) if isinstance(v, str) else v
    if type_name == "time":
        return lambda v: datetime.time.fromisoformat(v) if isinstance(v, str) else v
    if type_name in ("timestamp", "timestamptz"):
        return lambda v: datetime.datetime.fromisoformat(v) if isinstance(v, str) else v
    if type_name == "uuid":
        return lambda v: uuid.UUID(v) if isinstance(v, str) else v
    if type_name == "bool":
        return lambda v: v.lower() == "true" if isinstance(v, str) else v
    return _text  # an enum: its label


def _text(value: Any) -> str:
    return str(value.value) if hasattr(value, "value") else str(value)


def _to_integer(value: Any) -> Any:
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return int(value.to_integral_value(rounding=decimal.ROUND_HALF_UP))
    return UNDECIDED  # float to integer: rounding and range are PostgreSQL's
