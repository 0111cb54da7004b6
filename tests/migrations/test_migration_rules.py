"""Rules of the migration planner beyond the golden cases, each proven on a real PostgreSQL where
the database decides: what applies to tables holding rows, what is refused and why."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from batchrepo_codegen.migrate.planner import MigrationRefused, canonical_ddl, plan_migration
from batchrepo_codegen.migrate.type_changes import is_widening
from batchrepo_codegen.schema.document import SchemaDef
from batchrepo_codegen.schema.parse import parse_schema
from batchrepo_codegen.schema.types import parse_type

from tests.migrations.helpers import apply_sql, initial_sql, migration_differences

HEAD = "version: 1\npackage: shop\n"


def schema(text: str) -> SchemaDef:
    return parse_schema(HEAD + text, "test.yaml")


MOOD = """\
enums:
  mood: {values: [%s]}
tables:
  person:
    columns:
      id: {type: integer, primary_key: true}
      mood: {type: mood, default: %s}
"""


def test_initial_migration_is_the_ddl() -> None:
    new = schema(MOOD % ("low, high", "low"))
    assert plan_migration(None, new).render() == "\n-- The whole schema\n".lstrip("\n") + (
        canonical_ddl(new).strip("\n") + "\n"
    )


async def test_a_new_enum_value_cannot_be_the_default_in_the_same_migration(
    schema_conn: asyncpg.Connection[Any],
) -> None:
    old, new = schema(MOOD % ("low, high", "low")), schema(MOOD % ("low, mid, high", "mid"))
    with pytest.raises(MigrationRefused) as refused:
        plan_migration(old, new)
    assert "person.mood: the default 'mid' is a value this migration adds to enum mood" in str(
        refused.value
    )
    # Why: PostgreSQL itself refuses it, in the one transaction a migration runs in.
    await apply_sql(schema_conn, initial_sql(old))
    naive = (
        "ALTER TYPE mood ADD VALUE 'mid' AFTER 'low';"
        "ALTER TABLE person ALTER COLUMN mood SET DEFAULT 'mid';"
    )
    with pytest.raises(asyncpg.UnsafeNewEnumValueUsageError):
        await apply_sql(schema_conn, naive)


def test_reordered_enum_values_are_refused_even_when_destructive_is_allowed() -> None:
    old, new = schema(MOOD % ("low, high", "low")), schema(MOOD % ("high, low", "low"))
    with pytest.raises(MigrationRefused, match=r"enum mood: existing values reordered"):
        plan_migration(old, new, allow_destructive=True)


TWO_TABLES = """\
tables:
  %s:
    %s
    columns:
      id: {type: bigint, primary_key: true, identity: true}
      name: {type: varchar(20)}
  line:
    columns:
      id: {type: integer, primary_key: true}
      owner_id: {type: bigint, references: %s}
"""


def test_a_stale_renamed_from_is_no_rename() -> None:
    renamed = schema(TWO_TABLES % ("client", "renamed_from: customer", "client"))
    assert plan_migration(renamed, renamed).empty


async def test_rename_table_with_identity_key_keeps_rows_and_children(
    schema_conn: asyncpg.Connection[Any],
) -> None:
    old = schema(TWO_TABLES % ("customer", "description: before", "customer"))
    new = schema(TWO_TABLES % ("client", "renamed_from: customer", "client"))
    seed = "INSERT INTO customer (name) VALUES ('a'); INSERT INTO line VALUES (1, 1);"
    assert await migration_differences(schema_conn, old, new, seed=seed) == []
    await schema_conn.execute("INSERT INTO client (name) VALUES ('b')")
    assert await schema_conn.fetchval("SELECT max(id) FROM client") == 2


COLUMN = """\
tables:
  item:
    columns:
      id: {type: integer, primary_key: true%s}
      value: {%s}
"""


@pytest.mark.parametrize(
    ("old_column", "new_column", "allow", "seed", "after"),
    [
        # NOT NULL with a default: NULLs take the default first.
        (
            "type: integer, nullable: true",
            "type: integer, default: 7",
            False,
            "INSERT INTO item VALUES (1, NULL), (2, 3)",
            [7, 3],
        ),
        # A conversion to another kind (destructive: values may not convert).
        (
            "type: text",
            "type: integer, check: {min: 0}",
            True,
            "INSERT INTO item VALUES (1, '42'), (2, '5')",
            [42, 5],
        ),
        # A nullable column made NOT NULL without a default, allowed, on rows without NULLs.
        (
            "type: varchar(10), nullable: true",
            "type: varchar(5)",
            True,
            "INSERT INTO item VALUES (1, 'ab'), (2, 'cd')",
            ["ab", "cd"],
        ),
        # Scalar to array: one value becomes a one-element array, and back to its first element.
        (
            "type: integer, nullable: true",
            "type: 'bigint[]', nullable: true",
            True,
            "INSERT INTO item VALUES (1, 4), (2, NULL)",
            [[4], None],
        ),
        ("type: 'text[]'", "type: text", True, "INSERT INTO item VALUES (1, '{x,y}')", ["x"]),
    ],
    ids=[
        "not-null-with-default",
        "text-to-integer",
        "not-null-without-default",
        "scalar-to-array",
        "array-to-scalar",
    ],
)
async def test_column_changes_apply_to_rows(
    schema_conn: asyncpg.Connection[Any],
    old_column: str,
    new_column: str,
    allow: bool,
    seed: str | None,
    after: list[Any],
) -> None:
    old, new = schema(COLUMN % ("", old_column)), schema(COLUMN % ("", new_column))
    differences = await migration_differences(
        schema_conn, old, new, seed=seed, allow_destructive=allow
    )
    assert differences == []
    rows = await schema_conn.fetch("SELECT value FROM item ORDER BY id")
    assert [r["value"] for r in rows] == after


async def test_identity_added_to_a_key_continues_after_existing_values(
    schema_conn: asyncpg.Connection[Any],
) -> None:
    old = schema(COLUMN % ("", "type: text"))
    new = schema(COLUMN % (", identity: true", "type: text"))
    seed = "INSERT INTO item VALUES (5, 'a')"
    assert await migration_differences(schema_conn, old, new, seed=seed) == []
    assert await schema_conn.fetchval("INSERT INTO item (value) VALUES ('b') RETURNING id") == 6


async def test_dropping_tables_that_refer_to_each_other(
    schema_conn: asyncpg.Connection[Any],
) -> None:
    old = schema(
        """\
tables:
  keep:
    columns:
      id: {type: integer, primary_key: true}
  a:
    columns:
      id: {type: integer, primary_key: true}
      b_id: {type: integer, nullable: true, references: b}
  b:
    columns:
      id: {type: integer, primary_key: true}
      a_id: {type: integer, nullable: true, references: a}
      keep_id: {type: integer, nullable: true, references: keep}
"""
    )
    new = schema("tables:\n  keep:\n    columns:\n      id: {type: integer, primary_key: true}\n")
    with pytest.raises(MigrationRefused, match=r"drop table a: its rows are lost"):
        plan_migration(old, new)
    assert await migration_differences(schema_conn, old, new, allow_destructive=True) == []


@pytest.mark.parametrize(
    ("old", "new", "widening"),
    [
        ("varchar(50)", "varchar(100)", True),
        ("varchar(50)", "text", True),
        ("varchar(100)", "varchar(50)", False),
        ("text", "varchar(10)", False),
        ("char(2)", "varchar(2)", False),
        ("char(2)", "char(3)", True),
        ("smallint", "bigint", True),
        ("bigint", "integer", False),
        ("integer", "numeric(10,0)", True),
        ("integer", "numeric(9,0)", False),
        ("numeric(10,2)", "numeric(12,3)", True),
        ("numeric(10,2)", "numeric(10,3)", False),
        ("numeric(10,2)", "numeric", True),
        ("numeric", "numeric(30,2)", False),
        ("real", "double precision", True),
        ("timestamp", "timestamptz", False),
        ("varchar(5)[]", "varchar(9)[]", True),
        ("integer", "integer[]", False),
    ],
)
def test_widening(old: str, new: str, widening: bool) -> None:
    assert is_widening(parse_type(old, ()), parse_type(new, ())) is widening


AUDITED_ITEM = """\
tables:
  item:
    audit: true
    %s
    columns:
      id: {type: integer%s}
      label: {type: text}
      %s
"""


async def test_history_rows_of_an_audited_table_keep_null_but_a_new_key_takes_the_default(
    schema_conn: asyncpg.Connection[Any],
) -> None:
    # Snapshot columns are nullable, but for the key: older snapshots hold NULL in a column added
    # later, while a new key column takes the audited table's default, as the table's rows do.
    old = schema(AUDITED_ITEM % ("", ", primary_key: true", ""))
    new = schema(
        AUDITED_ITEM
        % (
            "primary_key: [id, region]",
            "",
            "region: {type: text, default: eu}\n      size: {type: integer, default: 3}",
        )
    )
    seed = """\
INSERT INTO item (id, label) VALUES (1, 'a');
INSERT INTO audit_log (actor) VALUES ('test');
INSERT INTO item_history (id, label, version, operation, audit_log_id)
SELECT id, label, 1, 'insert', (SELECT max(id) FROM audit_log) FROM item;
"""
    assert await migration_differences(schema_conn, old, new, seed=seed) == []
    history = await schema_conn.fetchrow("SELECT region, size FROM item_history")
    assert history is not None and (history["region"], history["size"]) == ("eu", None)
    item = await schema_conn.fetchrow("SELECT region, size FROM item")
    assert item is not None and (item["region"], item["size"]) == ("eu", 3)
