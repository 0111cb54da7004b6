"""The runtime's column checks and the database's CHECK constraints agree on every value.

The ``ruled`` table of the ``shapes`` golden case has one column per rule: ``in`` on a
varchar, on a char(n) and on a smallint, ``min_exclusive``/``max_exclusive`` on a numeric(7,2),
a real and an integer, ``min_trimmed_length`` on a varchar and a char(n). For each column,
Hypothesis draws values (the strategies' valid and invalid values, and values drawn near the
rule: texts of letters, spaces, tabs and no-break spaces; numbers around the bounds, NaN and
infinities for the real), and each value is judged twice:

* by ``validate_batch``'s column check (``column_problems``, what every write runs first),
  alone and after valid values in a batch (which takes the whole-column checks first);
* by PostgreSQL: one INSERT of a row whose other columns are valid, rolled back.

The runtime must refuse exactly the values whose INSERT breaks that column's CHECK, and accept
exactly those it stores. Values the runtime refuses for another reason (a wrong type, too long
for the column) are not about the checks and are left out. NULL passes both (a CHECK passes on
NULL).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from batchrepo.spec import ColumnSpec, TableSpec
from batchrepo.validate.fields import WALK_AT_MOST, column_problems

from .profiles import property_settings
from .strategies.checked_values import KEPT_SPACES
from .strategies.values import invalid_values, sample_value, valid_values
from .twin import Twin, quote

Spec = TableSpec[Any, Any]
TABLE = "ruled"
#: The problem codes of the column checks (the others are about type and length).
CHECK_CODES = frozenset({"not_allowed", "minimum", "maximum", "too_short"})
COLUMNS = ["status", "grade", "level", "amount", "ratio", "spread", "code", "tag"]


def near_the_rule(col: ColumnSpec) -> st.SearchStrategy[Any]:
    """Values drawn close to the column's rule, beyond what the strategies pick on purpose."""
    if col.kind == "text":
        letters = sorted({ch for v in col.allowed_values or () for ch in str(v)}) or list("ab")
        alphabet = st.sampled_from([*letters, " ", *KEPT_SPACES[:3]])
        return st.text(alphabet, max_size=col.max_length or 8)
    if col.kind == "numeric":
        return st.decimals(Decimal(-2), Decimal("1001"), places=2).map(Decimal) | st.sampled_from(
            [Decimal("0.00"), Decimal("0.01"), Decimal("1000.49"), Decimal("1000.50")]
        )
    if col.kind == "float4":
        edges = [0.0, -0.0, 5e-324, 1e-45, 1.4e-45, 1.0, math.nextafter(1.0, 2.0), math.inf]
        return st.floats(-1.0, 2.0) | st.sampled_from([*edges, math.nan, -math.inf])
    return st.integers(-8, 8)


def _row(spec: Spec, column: ColumnSpec, value: Any) -> list[Any]:
    return [value if c is column else sample_value(c, None, 1) for c in spec.columns]


async def _stored(conn: asyncpg.Connection, spec: Spec, row: list[Any]) -> str | None:
    """None when PostgreSQL stores the row; the name of the CHECK it breaks otherwise."""
    names = ", ".join(quote(c.name) for c in spec.columns)
    params = ", ".join(f"${i}" for i in range(1, len(row) + 1))
    statement = f"INSERT INTO {quote(spec.table)} ({names}) VALUES ({params})"
    transaction = conn.transaction()
    await transaction.start()
    try:
        await conn.execute(statement, *row)
    except asyncpg.CheckViolationError as error:
        return str(error.constraint_name)
    finally:
        await transaction.rollback()
    return None


@pytest.mark.parametrize("name", COLUMNS, ids=COLUMNS)
def test_the_runtime_refuses_what_the_check_constraint_refuses(
    shapes_twin: Twin, shapes_specs: dict[str, Spec], name: str
) -> None:
    spec = shapes_specs[TABLE]
    column = next(c for c in spec.columns if c.name == name)
    invalid = [v for v in invalid_values(column, None) if v is not None]
    drawn = st.one_of(valid_values(column, None), st.sampled_from(invalid), near_the_rule(column))

    @given(drawn)
    def agree(value: Any) -> None:
        problems = column_problems(TABLE, column, [value], "insert")
        assume(all(p.code in CHECK_CODES for p in problems))
        # a batch goes through the whole-column checks first: the verdict must be the same
        batch = [sample_value(column, None, 1)] * WALK_AT_MOST + [value]
        in_batch = column_problems(TABLE, column, batch, "insert")
        assert [(p.row, p.code) for p in in_batch] == [(WALK_AT_MOST, p.code) for p in problems]
        refused = shapes_twin.run(_stored(shapes_twin.batch, spec, _row(spec, column, value)))
        if problems:
            assert refused is not None and refused.startswith(f"{TABLE}_{name}_"), (
                f"{value!r}: the runtime refuses it ({problems[0].message}), "
                f"PostgreSQL {'breaks ' + refused if refused else 'stores it'}"
            )
        else:
            assert refused is None, (
                f"{value!r}: the runtime accepts it, PostgreSQL breaks {refused}"
            )

    agree_with_settings = property_settings(scale=5.0)(agree)
    agree_with_settings()
