"""The mirror of table checks decides each expression as PostgreSQL does, or leaves it to it.

Each case is an expression over a few typed columns and one row of values: the mirror's
verdict (True, False, None for NULL, or UNDECIDED) is compared with what the server answers for
``SELECT <canonical text> FROM (VALUES (...))`` on the same values. Where the mirror decides,
the server agrees; where it leaves the row to the database, that is the documented rule (text
ordering, non-ASCII case mapping, numeric division, integer overflow)."""

from __future__ import annotations

import datetime
import enum
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from batchrepo_codegen.schema.expressions import ColumnInfo, read_expression
from batchrepo_codegen.schema.types import parse_type

from batchrepo.spec import CheckSpec, ColumnKind, ColumnSpec
from batchrepo.validate.table_checks import UNDECIDED, compiled

#: name -> (schema type, runtime kind)
_COLUMNS: dict[str, tuple[str, ColumnKind]] = {
    "a": ("integer", "int4"),
    "b": ("integer", "int4"),
    "n": ("numeric(9,2)", "numeric"),
    "f": ("double precision", "float8"),
    "t": ("text", "text"),
    "c": ("char(4)", "text"),
    "d": ("date", "date"),
    "e": ("tone", "enum"),
    "r": ("real", "float4"),
    "s": ("integer", "int4"),  # a column with a server default
}
_SQL_TYPES = {"tone": "tone", "char(4)": "char(4)"}


class Tone(enum.StrEnum):
    LOW = "low"
    HIGH = "high"


def _spec(text: str) -> tuple[CheckSpec, tuple[ColumnSpec, ...]]:
    infos = {
        name: ColumnInfo(i, parse_type(schema_type, frozenset({"tone"})))
        for i, (name, (schema_type, _kind)) in enumerate(_COLUMNS.items())
    }
    read = read_expression(text, infos, {"tone": ("low", "high")})
    columns = tuple(
        ColumnSpec(name=name, attr=name, pg_type=schema_type, kind=kind, server_default=name == "s")
        for name, (schema_type, kind) in _COLUMNS.items()
    )
    return CheckSpec("c", read.sql, read.tree, read.columns, ""), columns


CASES: list[tuple[str, str, dict[str, Any], Any]] = [
    ("null-passes-comparison", "a > b", {"a": 1, "b": None}, None),
    ("or-true-beats-null", "a > 0 OR b > 0", {"a": 1, "b": None}, True),
    ("and-false-beats-null", "a > 5 AND b > 0", {"a": 1, "b": None}, False),
    ("not-null-is-null", "NOT (a > b)", {"a": None, "b": 1}, None),
    ("in-list-with-null-miss", "a IN (1, NULL)", {"a": 2}, None),
    ("not-in-list-with-null", "a NOT IN (1, NULL)", {"a": 2}, None),
    ("not-in-list-hit", "a NOT IN (1, 2)", {"a": 2}, False),
    ("between-null-bound", "a BETWEEN b AND 10", {"a": 3, "b": None}, None),
    ("between-false-side", "a BETWEEN b AND 10", {"a": 11, "b": None}, False),
    ("not-between", "a NOT BETWEEN 1 AND 3", {"a": 4}, True),
    ("int-division-toward-zero", "a / b = -2", {"a": -7, "b": 3}, True),
    ("int-modulo-sign-of-dividend", "a % b = -1", {"a": -7, "b": 3}, True),
    ("arithmetic-identity", "a = b - 3 * 2", {"a": 4, "b": 10}, True),
    ("numeric-with-integer", "n = a + 0.50", {"n": Decimal("2.50"), "a": 2}, True),
    ("numeric-modulo", "n % 1 = 0.25", {"n": Decimal("-3.25")}, False),
    ("numeric-with-double", "f > n", {"f": 1.1, "n": Decimal("1.10")}, False),
    ("negation", "-a < 0", {"a": 5}, True),
    ("abs", "abs(a) = 5", {"a": -5}, True),
    ("char-padding-length", "length(c) = 2", {"c": "ab"}, True),
    ("char-padding-equality", "c = 'ab'", {"c": "ab"}, True),
    ("btrim-default", "length(btrim(t)) = 2", {"t": "  ab "}, True),
    ("btrim-characters", "btrim(t, 'x') = 'ab'", {"t": "xxabx"}, True),
    ("ltrim-rtrim", "ltrim(t) = 'a ' AND rtrim(t) = ' a'", {"t": " a "}, True),
    ("upper-ascii", "t = upper(t)", {"t": "AB1"}, True),
    ("lower-ascii", "t = lower(t)", {"t": "Ab"}, False),
    ("text-equality-trailing-space", "t = 'ab'", {"t": "ab "}, False),
    ("date-literal", "d >= '2024-02-29'", {"d": datetime.date(2024, 3, 1)}, True),
    ("enum-label", "e <> 'high' OR a IS NOT NULL", {"e": Tone.HIGH, "a": None}, False),
    ("enum-cast-to-text", "length(e::text) = 3", {"e": Tone.LOW}, True),
    ("is-null", "a IS NULL AND b IS NOT NULL", {"a": None, "b": 0}, True),
    ("any-array-form", "t = ANY (ARRAY['x'::text, 'y'::text])", {"t": "y"}, True),
    ("text-ordering-left-to-server", "t < 'b'", {"t": "a"}, UNDECIDED),
    ("non-ascii-case-left-to-server", "t = upper(t)", {"t": "É"}, UNDECIDED),
    ("numeric-division-left-to-server", "n / 3 > 0", {"n": Decimal("1.00")}, UNDECIDED),
    ("division-by-zero-left-to-server", "a / b > 0", {"a": 1, "b": 0}, UNDECIDED),
    ("overflow-left-to-server", "a * b > 0", {"a": 2**30, "b": 4}, UNDECIDED),
    ("real-left-to-server", "r > 0.1", {"r": 0.1}, UNDECIDED),
    ("server-default-none-left-to-server", "s > 0", {"s": None}, UNDECIDED),
    ("undecided-or-true", "t < 'b' OR a = 1", {"t": "a", "a": 1}, True),
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection[Any]]:
    connection = await asyncpg.connect(database_url)
    await connection.execute("CREATE TYPE tone AS ENUM ('low', 'high')")
    try:
        yield connection
    finally:
        await connection.close()


async def _server_verdict(conn: asyncpg.Connection[Any], sql: str, row: dict[str, Any]) -> Any:
    names = list(_COLUMNS)
    casts = ", ".join(
        f"${i + 1}::{_SQL_TYPES.get(_COLUMNS[n][0], _COLUMNS[n][0])}" for i, n in enumerate(names)
    )
    values = [row.get(n) for n in names]
    query = f"SELECT {sql} FROM (VALUES ({casts})) AS v({', '.join(names)})"
    try:
        return await conn.fetchval(query, *values)
    except asyncpg.DataError:
        return "error"


@pytest.mark.parametrize(
    ("text", "row", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_the_mirror_decides_as_the_server_or_leaves_it(
    conn: asyncpg.Connection[Any], text: str, row: dict[str, Any], expected: Any
) -> None:
    check, columns = _spec(text)
    values = [[row.get(name)] for name in _COLUMNS]
    mirrored = compiled(check, columns, "insert", None)(values, 0)
    assert mirrored is expected
    if expected is not UNDECIDED and "s" not in row:
        assert await _server_verdict(conn, check.sql, row) is expected
