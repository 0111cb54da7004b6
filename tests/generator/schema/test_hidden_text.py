"""No character that hides or reorders text ("Trojan Source") lands raw in a generated file.

A schema whose descriptions (document, enum, table, column) and a string default hold a corpus
of such characters is generated, and a migration to it written; the bytes of every file are
read back and none of the corpus is there raw. The escapes still mean the text: applied to
PostgreSQL, the comments and the default read back as written, and the Python literals
evaluate to it. NUL and lone surrogates, which no file or PostgreSQL text can hold, are refused
where they are.
"""

from __future__ import annotations

import ast
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio
from batchrepo_codegen import generate
from batchrepo_codegen.migrate.planner import plan_migration
from batchrepo_codegen.pipeline import read_schema
from batchrepo_codegen.schema.characters import hidden_characters
from batchrepo_codegen.schema.document import ColumnDef, EnumDef, SchemaDef, TableDef
from batchrepo_codegen.schema.issues import SchemaError
from batchrepo_codegen.schema.names import sql_literal
from batchrepo_codegen.schema.parse import parse_schema

#: Characters that reorder, hide or control what a reader sees, by what they are.
CORPUS = {
    "right-to-left override": "\u202e",
    "first strong isolate": "\u2068",
    "left-to-right isolate": "\u2066",
    "pop directional isolate": "\u2069",
    "arabic letter mark": "\u061c",
    "zero width space": "\u200b",
    "zero width joiner": "\u200d",
    "byte order mark": "\ufeff",
    "line separator": "\u2028",
    "paragraph separator": "\u2029",
    "carriage return": "\r",
    "escape": "\x1b",
    "tab": "\t",
    "delete": "\x7f",
    "next line": "\x85",
    "no-break space": "\xa0",
    "hangul filler": "\u3164",
    "variation selector 16": "\ufe0f",
    "tag latin small a": "\U000e0061",
    "mongolian vowel separator": "\u180e",
}

TEXT = "visible " + "".join(f"<{ch}>" for ch in CORPUS.values()) + " end"


def hostile(description: str = TEXT) -> SchemaDef:
    return SchemaDef(
        version=1,
        package="hidden",
        description=description,
        enums={"mood": EnumDef(values=["calm", "upset"], description=description)},
        tables={
            "note": TableDef(
                description=description,
                columns={
                    "id": ColumnDef(type="integer", primary_key=True, description=description),
                    "body": ColumnDef(type="text", default=description),
                    "mood": ColumnDef(type="mood", nullable=True, description=description),
                },
            )
        },
    )


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return generate(hostile(), source="hidden.yaml")


@pytest.fixture(scope="module")
def migration() -> str:
    plain = read_schema(hostile("plain").model_dump(exclude_unset=True))
    return plan_migration(plain, read_schema(hostile()), allow_destructive=False).render("--")


def test_the_corpus_is_hidden_text() -> None:
    assert hidden_characters(TEXT) == list(CORPUS.values())


@pytest.mark.parametrize("name", sorted(CORPUS), ids=sorted(CORPUS))
def test_no_generated_file_holds_a_hidden_character_raw(
    files: dict[str, str], migration: str, name: str
) -> None:
    character = CORPUS[name]
    raw = {path: text.encode("utf-8") for path, text in files.items()}
    raw["migration.sql"] = migration.encode("utf-8")
    assert "hidden/schema.sql" in raw and "hidden/note.py" in raw and "hidden/enums.py" in raw
    holding = [path for path, data in raw.items() if character.encode("utf-8") in data]
    assert holding == []


def test_the_escapes_are_there(files: dict[str, str], migration: str) -> None:
    # the texts did reach every kind of file: escaped, not dropped
    assert sql_literal(TEXT) in files["hidden/schema.sql"]
    assert f'COMMENT ON TABLE "note" IS {sql_literal(TEXT)};' in migration
    assert "\\u202e" in files["hidden/note.py"] and "\\u3164" in files["hidden/enums.py"]


def test_python_literals_evaluate_to_the_text(files: dict[str, str]) -> None:
    module = ast.parse(files["hidden/note.py"])
    entity = next(n for n in module.body if isinstance(n, ast.ClassDef) and n.name == "Note")
    assert ast.get_docstring(entity, clean=False) == TEXT
    defaults = [
        ast.literal_eval(node.value)
        for node in entity.body
        if isinstance(node, ast.AnnAssign)
        and node.value is not None
        and isinstance(node.target, ast.Name)
        and node.target.id == "body"
    ]
    assert defaults == [TEXT]


@pytest_asyncio.fixture(loop_scope="module")
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.mark.parametrize("setting", ["on", "off"], ids=["conforming", "not-conforming"])
async def test_the_escaped_sql_reads_as_the_text(
    conn: asyncpg.Connection, files: dict[str, str], setting: str
) -> None:
    await conn.execute(f'CREATE SCHEMA "hidden_{setting}"')
    await conn.execute(f'SET search_path TO "hidden_{setting}"')
    await conn.execute(f"SET standard_conforming_strings = {setting}")
    await conn.execute(files["hidden/schema.sql"])
    await conn.execute("SET standard_conforming_strings = on")
    assert await conn.fetchval("SELECT obj_description('note'::regclass, 'pg_class')") == TEXT
    assert await conn.fetchval("SELECT obj_description('mood'::regtype, 'pg_type')") == TEXT
    assert await conn.fetchval("SELECT col_description('note'::regclass, 1)") == TEXT
    body = await conn.fetchval('INSERT INTO "note" ("id") VALUES (1) RETURNING "body"')
    assert body == TEXT


def test_a_nul_is_refused_wherever_it_is() -> None:
    with pytest.raises(SchemaError) as raised:
        read_schema(hostile("a\x00b"))
    where = [
        "schema.description: the description",
        "schema.enums['mood'].description: the description",
        "schema.tables['note'].columns['body'].default: the default",
        "schema.tables['note'].columns['id'].description: the description",
        "schema.tables['note'].columns['mood'].description: the description",
        "schema.tables['note'].description: the description",
    ]
    message = " contains U+0000 (NUL), which PostgreSQL text cannot hold; remove it (position 2)"
    assert str(raised.value).splitlines() == [f"<python>: {path}{message}" for path in where]


def test_a_lone_surrogate_is_refused_where_it_is() -> None:
    data = hostile("plain").model_dump(exclude_unset=True)
    data["tables"]["note"]["description"] = "half a pair: \ud83d"
    with pytest.raises(SchemaError) as raised:
        read_schema(data)
    assert str(raised.value) == (
        "<python>: schema['tables']['note']['description']: contains U+D83D, half of a UTF-16 "
        "surrogate pair, which is not a character UTF-8 or PostgreSQL can hold; write the "
        "character itself"
    )


def test_a_nul_in_yaml_is_refused_with_its_line() -> None:
    text = (
        'version: 1\npackage: shop\ndescription: "bad\\0"\ntables:\n  t:\n    columns:\n'
        "      id: {type: uuid, primary_key: true}\n"
    )
    with pytest.raises(SchemaError) as raised:
        parse_schema(text, "s.yaml")
    assert str(raised.value) == (
        "s.yaml:3:14: description: the description contains U+0000 (NUL), which PostgreSQL "
        "text cannot hold; remove it (position 4)"
    )
