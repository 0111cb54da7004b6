"""SQL string literals in the DDL read the same whatever ``standard_conforming_strings`` is: the
hostile schema of ``test_generate`` (quotes, backslashes, a description ending in a backslash)
applied with the setting on and off, and read back from the catalog. And the Python literals
that hold statements hold exactly their text, whatever it is."""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from batchrepo_codegen import generate
from batchrepo_codegen.emit.pycode import triple_quoted
from batchrepo_codegen.pipeline import read_schema_text as parse_schema
from batchrepo_codegen.schema.names import sql_literal

from tests.generator.test_generate import HOSTILE, hostile_schema


@pytest.mark.parametrize(
    ("text", "literal"),
    [
        ("plain", "'plain'"),
        ("it's", "'it''s'"),
        ("back\\slash", "E'back\\\\slash'"),
        ("ends \\", "E'ends \\\\'"),
        ("\\'; DROP TABLE x; --", "E'\\\\''; DROP TABLE x; --'"),
        ("", "''"),
    ],
    ids=["plain", "quote", "backslash", "trailing-backslash", "injection", "empty"],
)
def test_a_literal_is_escaped_only_when_it_holds_a_backslash(text: str, literal: str) -> None:
    assert sql_literal(text) == literal


@pytest.mark.parametrize(
    "lines",
    [
        ('SELECT "id"', 'FROM "person"'),
        ('SELECT 1 FROM "a""""b"', 'WHERE """ = 1'),  # a name holding """ (and quotes doubled)
        ('ORDER BY "id"',),  # a quote just before the closing quotes
        ('ORDER BY "a"""',),
        ("SELECT 'C:\\dir\\'", "FROM x\\"),  # backslashes, one ending a line
        ("VALUES ('one\ntwo\r\tthree')",),  # line breaks and a tab inside a value
        ('SELECT "\u202eevil\u2066" FROM "t\u00a0"',),  # bidi overrides, a no-break space
        ('SELECT "\x00\x1b[2J\x7f\ud800"',),  # NUL, an escape sequence, DEL, a lone surrogate
        ('"""); import os; os.system("x") #',),
        ("", "", '"'),
        ("",),
    ],
    ids=[
        "plain",
        "triple quote in a name",
        "quote before the end",
        "quotes at the end",
        "backslashes",
        "line breaks in a value",
        "bidi overrides",
        "control characters",
        "breaking out",
        "a lone quote",
        "empty",
    ],
)
def test_a_statement_literal_holds_exactly_its_text(lines: tuple[str, ...]) -> None:
    literal = triple_quoted(lines)
    assert ast.literal_eval(literal) == "\n".join(lines)
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(literal).readline)
        if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)
    ]
    assert [t.type for t in tokens] == [tokenize.STRING]  # one literal, never closed early
    assert literal.startswith('"""\\\n') and literal.count("\n") == len(lines)  # a line each
    assert all(ch.isprintable() or ch == "\n" for ch in literal)


def test_a_statement_literal_reads_as_the_statement() -> None:
    literal = triple_quoted(('SELECT "id", "name"', 'FROM "person"', 'WHERE "id" = $1::uuid'))
    assert literal == '"""\\\nSELECT "id", "name"\nFROM "person"\nWHERE "id" = $1::uuid"""'


@pytest.fixture(scope="module")
def hostile_ddl(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("literals") / "schema.yaml"
    path.write_text(hostile_schema(), encoding="utf-8")
    return generate(path)["hostile/schema.sql"]


@pytest_asyncio.fixture(loop_scope="module")
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.mark.parametrize("setting", ["on", "off"])
async def test_hostile_texts_survive_either_string_setting(
    conn: asyncpg.Connection, hostile_ddl: str, setting: str
) -> None:
    schema = f"literals_{setting}"
    await conn.execute(f'CREATE SCHEMA "{schema}"')
    await conn.execute(f'SET search_path TO "{schema}"')
    await conn.execute(f"SET standard_conforming_strings = {setting}")
    # A plain literal with a backslash would fail here (or run what follows) when it is off.
    await conn.execute(hostile_ddl)
    await conn.execute("SET standard_conforming_strings = on")
    described = parse_schema(hostile_schema(), "schema.yaml")
    assert described.tables["note"].description == HOSTILE
    assert await conn.fetchval("SELECT obj_description('note'::regclass, 'pg_class')") == HOSTILE
    assert await conn.fetchval("SELECT obj_description('mood'::regtype, 'pg_type')") == HOSTILE
    columns = await conn.fetch(
        "SELECT a.attname, col_description(a.attrelid, a.attnum) AS text FROM pg_attribute a "
        "WHERE a.attrelid = 'note'::regclass AND a.attnum > 0 ORDER BY a.attnum"
    )
    assert [(c["attname"], c["text"]) for c in columns] == [
        ("id", HOSTILE),
        ("body", "ends with a backslash \\"),
        ("mood", None),
    ]
    labels = await conn.fetchval("SELECT enum_range(NULL::mood)::text[]")
    assert labels == ["it's", 'say "hi"', "back\\slash"]
    row = await conn.fetchrow('INSERT INTO "note" ("id") VALUES (1) RETURNING "body", "mood"')
    assert row is not None and (row["body"], row["mood"]) == (HOSTILE, 'say "hi"')
