"""Expressions read back as PostgreSQL prints them, and canonical whatever the spelling.

``batchrepo pull`` writes a live database's CHECK constraints as ``pg_get_constraintdef``
prints them (``(status)::text = ANY ((ARRAY[...])::text[])``, ``'-1'::integer``,
``'...+00'::timestamp with time zone``). Each expression here is declared from its canonical
text on a real server, printed back by PostgreSQL, read again by the whitelist and declared
again: the server's catalog text of both declarations is the same. Spellings of one expression
give one canonical text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from batchrepo_codegen.schema.expressions import ColumnInfo, ExpressionError, read_expression
from batchrepo_codegen.schema.types import parse_type

_COLUMNS = {
    "status": "varchar(20)",
    "code": "char(3)",
    "amount": "numeric(15,2)",
    "qty": "integer",
    "start_date": "date",
    "end_date": "date",
    "due_at": "timestamptz",
    "kind": "loan_kind",
    "active": "boolean",
}
_INFOS = {
    name: ColumnInfo(i, parse_type(t, frozenset({"loan_kind"})))
    for i, (name, t) in enumerate(_COLUMNS.items())
}
_ENUMS = {"loan_kind": ("Retail", "Term")}

EXPRESSIONS = [
    "status <> 'Released' OR end_date IS NOT NULL",
    "status IN ('Pending', 'Released')",
    "status NOT IN ('Closed')",
    "end_date >= start_date",
    "amount BETWEEN 0 AND 1000000",
    "amount > 0 AND amount < 1000000",
    "qty > -1",
    "qty % 2 = 0 AND abs(qty) < 100",
    "length(code) = 3 AND code = upper(code)",
    "length(trim(code)) >= 2",
    "kind <> 'Term' OR end_date IS NOT NULL",
    "due_at > '2024-01-01 00:00:00+00'",
    "start_date >= '2000-01-01'",
    "NOT active OR qty = 0",
    "lower(status) = status",
]


def _canonical(text: str) -> str:
    return read_expression(text, _INFOS, _ENUMS).sql


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection[Any]]:
    connection = await asyncpg.connect(database_url)
    await connection.execute("CREATE TYPE loan_kind AS ENUM ('Retail', 'Term')")
    try:
        yield connection
    finally:
        await connection.close()


async def _printed(conn: asyncpg.Connection[Any], table: str, expression: str) -> str:
    columns = ", ".join(f'"{name}" {t}' for name, t in _COLUMNS.items())
    await conn.execute(f'CREATE TABLE "{table}" ({columns}, CONSTRAINT c CHECK ({expression}))')
    printed: str = await conn.fetchval(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = $1::regclass",
        f'"{table}"',
    )
    assert printed.startswith("CHECK (") and printed.endswith(")")
    return printed[len("CHECK (") : -1]


@pytest.mark.parametrize("text", EXPRESSIONS, ids=[f"e{i}" for i in range(len(EXPRESSIONS))])
async def test_what_postgresql_prints_reads_back_to_the_same_constraint(
    conn: asyncpg.Connection[Any], text: str
) -> None:
    number = EXPRESSIONS.index(text)
    first = await _printed(conn, f"first_{number}", _canonical(text))
    again = await _printed(conn, f"again_{number}", _canonical(first))
    assert again == first


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("end_date>=start_date", "(END_DATE >= Start_Date)"),
        ("status in ('a','b')", "status = ANY (ARRAY['a', 'b'])"),
        ("qty>0 and qty<9", "(qty > 0) AND (qty < 9)"),
        ("trim(code) = 'ab'", "btrim(code) = 'ab'"),
    ],
    ids=["spacing-and-case", "in-list-forms", "parentheses", "trim-is-btrim"],
)
def test_spellings_of_one_expression_have_one_canonical_text(one: str, other: str) -> None:
    assert _canonical(one) == _canonical(other)


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("NOT " * 900 + "qty > 1", "the expression nests too deeply"),
        ("NOT " * 101 + "qty > 1", "nests deeper than 100 levels"),
        (" OR ".join(["qty = 1"] * 700), "at most 4,000 are allowed"),
        ("-" * 30 + "qty > 1", "comments are not allowed"),
        ("qty > 1\x00", "NUL character"),
    ],
    ids=["deep-not", "not-past-the-limit", "too-long", "minus-run-is-a-comment", "nul"],
)
def test_hostile_texts_are_refused_quickly_with_a_reason(text: str, refused: str) -> None:
    with pytest.raises(ExpressionError, match=refused):
        _canonical(text)


def test_a_long_flat_expression_is_fine() -> None:
    text = " + ".join(["qty"] * 60) + " > 0 AND " + " AND ".join(["qty > 0"] * 100)
    assert _canonical(text).count('"qty"') == 160
