"""Renames whose names trade places, on a real PostgreSQL holding rows: two columns or two tables
swapping names, a chain of renames, and the names derived from them (keys, foreign keys,
indexes, the history table of an audited table). Each applies, keeps every value under its new
name, and yields the catalog of the new schema's DDL; declared again in the next migration, it
renames nothing."""

from __future__ import annotations

from typing import Any

import asyncpg
from batchrepo_codegen.migrate.planner import plan_migration
from batchrepo_codegen.schema.document import SchemaDef
from batchrepo_codegen.schema.parse import parse_schema

from tests.migrations.helpers import migration_differences

HEAD = "version: 1\npackage: shop\n"


def schema(text: str) -> SchemaDef:
    return parse_schema(HEAD + text, "test.yaml")


# Both columns unique, so their keys' derived names trade places too; audited, so the history
# table's columns follow.
PERSON = """\
tables:
  person:
    audit: true
    columns:
      id: {type: integer, primary_key: true}
      %s
      %s
"""
FIRST, LAST = "first: {type: varchar(20), unique: true%s}", "last: {type: text, unique: true%s}"
SWAPPED_COLUMNS = PERSON % (
    "last: {type: varchar(20), unique: true, renamed_from: first}",
    "first: {type: text, unique: true, renamed_from: last}",
)
PERSON_ROWS = """\
INSERT INTO person (id, first, last) VALUES (1, 'Ada', 'Lovelace');
INSERT INTO audit_log (actor) VALUES ('test');
INSERT INTO person_history (id, first, last, version, operation, audit_log_id)
SELECT id, first, last, 1, 'insert', (SELECT max(id) FROM audit_log) FROM person;
"""


async def test_two_columns_swap_names(schema_conn: asyncpg.Connection[Any]) -> None:
    old = schema(PERSON % (FIRST % "", LAST % ""))
    new = schema(SWAPPED_COLUMNS)
    assert await migration_differences(schema_conn, old, new, seed=PERSON_ROWS) == []
    for table in ("person", "person_history"):
        row = await schema_conn.fetchrow(f"SELECT first, last FROM {table}")
        assert row is not None
        assert (row["first"], row["last"]) == ("Lovelace", "Ada"), table


def test_a_swap_goes_through_a_temporary_name() -> None:
    old = schema(PERSON % (FIRST % "", LAST % ""))
    sql = plan_migration(old, schema(SWAPPED_COLUMNS)).render()
    assert (
        'ALTER TABLE "person" RENAME COLUMN "first" TO "batchrepo_rename_1";\n'
        'ALTER TABLE "person" RENAME COLUMN "last" TO "batchrepo_rename_2";\n'
        'ALTER TABLE "person" RENAME COLUMN "batchrepo_rename_1" TO "last";\n'
        'ALTER TABLE "person" RENAME COLUMN "batchrepo_rename_2" TO "first";\n'
    ) in sql


def test_a_swap_declared_again_renames_nothing() -> None:
    swapped = schema(SWAPPED_COLUMNS)
    assert plan_migration(swapped, swapped).empty


async def test_a_chain_of_renames(schema_conn: asyncpg.Connection[Any]) -> None:
    old = schema(PERSON % (FIRST % "", LAST % ""))
    # first -> last, last -> surname: "last" is free only once its column has moved on
    new = schema(
        PERSON
        % (
            "last: {type: varchar(20), unique: true, renamed_from: first}",
            "surname: {type: text, unique: true, renamed_from: last}",
        )
    )
    assert await migration_differences(schema_conn, old, new, seed=PERSON_ROWS) == []
    row = await schema_conn.fetchrow("SELECT last, surname FROM person_history")
    assert row is not None and (row["last"], row["surname"]) == ("Ada", "Lovelace")


# A table swap: primary keys, the foreign key and its index all have derived names that trade
# places with the tables'.
COLOURS = """\
tables:
  red:
    columns:
      id: {type: integer, primary_key: true}
      tone: {type: text, unique: true}
  blue:
    columns:
      id: {type: integer, primary_key: true}
      red_id: {type: integer, nullable: true, references: red}
"""
SWAPPED_TABLES = """\
tables:
  blue:
    renamed_from: red
    columns:
      id: {type: integer, primary_key: true}
      tone: {type: text, unique: true}
  red:
    renamed_from: blue
    columns:
      id: {type: integer, primary_key: true}
      red_id: {type: integer, nullable: true, references: blue}
"""


async def test_two_tables_swap_names(schema_conn: asyncpg.Connection[Any]) -> None:
    old, new = schema(COLOURS), schema(SWAPPED_TABLES)
    seed = "INSERT INTO red VALUES (1, 'crimson'); INSERT INTO blue VALUES (5, 1);"
    assert await migration_differences(schema_conn, old, new, seed=seed) == []
    joined = await schema_conn.fetchrow(
        "SELECT red.id, blue.tone FROM red JOIN blue ON blue.id = red.red_id"
    )
    assert joined is not None and (joined["id"], joined["tone"]) == (5, "crimson")
    assert plan_migration(new, new).empty
