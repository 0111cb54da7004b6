"""Migration golden cases (``tests/golden/migrations``): each committed expectation is what the
planner writes today, and each expected migration, applied for real to a database built from the
old schema's DDL and holding rows, succeeds, keeps the data (``verify.sql``) and yields the catalog
that the new schema's DDL yields on an empty database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from batchrepo_codegen.migrate.planner import canonical_ddl
from batchrepo_codegen.migrate.verify import catalog_differences, read_catalog

from tests.golden.harness import assert_current
from tests.golden.kinds import EXPECTED_ERROR, EXPECTED_SQL, MIGRATIONS
from tests.migrations.helpers import apply_sql, empty_schema, initial_sql

CASES = MIGRATIONS.cases()
APPLIED = MIGRATIONS.applied()
REFUSED = [name for name in CASES if name not in APPLIED]


@pytest_asyncio.fixture
async def schema_conn(database_url: str) -> AsyncIterator[asyncpg.Connection[Any]]:
    """A connection whose unqualified names land in a new schema, dropped after the test."""
    conn = await asyncpg.connect(database_url)
    try:
        async with empty_schema(conn):
            yield conn
    finally:
        await conn.close()


def test_every_kind_of_change_has_a_case() -> None:
    assert {
        "add_table",
        "add_nullable_column",
        "add_not_null_column_with_default",
        "rename_column",
        "rename_table",
        "widen_varchar",
        "add_enum_value",
        "add_foreign_key",
        "drop_column_allowed",
        "drop_column_refused",
        "audited_table_change",
    } <= set(CASES)
    assert {"drop_column_refused", "enum_value_removed_refused"} <= set(REFUSED)


@pytest.mark.parametrize("name", CASES)
def test_expectation_is_current(name: str) -> None:
    assert_current(MIGRATIONS, name)


@pytest.mark.parametrize("name", REFUSED)
def test_refusal_names_table_and_column(name: str) -> None:
    text = (MIGRATIONS.folder(name) / EXPECTED_ERROR).read_text(encoding="utf-8")
    assert text.startswith("migration refused, nothing written:")
    assert "customer.note" in text or "order_state" in text


@pytest.mark.parametrize("name", APPLIED)
async def test_migration_applies_to_data_and_yields_the_new_catalog(
    name: str, schema_conn: asyncpg.Connection[Any]
) -> None:
    case = MIGRATIONS.load(name)
    conn = schema_conn
    await apply_sql(conn, initial_sql(case.old))
    if (seed := case.optional("seed.sql")) is not None:
        await apply_sql(conn, seed)
    await apply_sql(conn, case.optional(EXPECTED_SQL) or "")
    if (verify := case.optional("verify.sql")) is not None:
        assert await conn.fetchval(verify) is True, f"{name}: data did not survive: {verify}"
    migrated_schema = await conn.fetchval("SELECT current_schema()")
    migrated = await read_catalog(conn, migrated_schema)
    async with empty_schema(conn) as fresh_schema:
        await apply_sql(conn, canonical_ddl(case.new))
        fresh = await read_catalog(conn, fresh_schema)
    assert catalog_differences(migrated, fresh) == []
