"""SQL string literals in the DDL read the same whatever ``standard_conforming_strings`` is: the
hostile schema of ``test_generate`` (quotes, backslashes, a description ending in a backslash)
applied with the setting on and off, and read back from the catalog."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from batchrepo_codegen import generate
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
