"""Replaying committed migrations on an empty database yields what the DDL of the schema yields
(compared by introspection, :mod:`batchrepo_codegen.migrate.verify`):

* the repository's own ``migrations/*.sql``, in order, against ``schema.yaml`` — the check
  ``python -m batchrepo_codegen.migrate.verify verify`` runs, so this fails when a schema change
  comes without its migration;
* each migration golden case (``tests/golden/migrations``): the old schema's DDL, then the
  committed ``expected.sql``, against the new schema's DDL (as files, through the same entry point).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from batchrepo_codegen.migrate.files import migration_files
from batchrepo_codegen.migrate.planner import canonical_ddl
from batchrepo_codegen.migrate.verify import current_ddl, verify_migrations, verify_scripts

from tests.golden.kinds import EXPECTED_SQL, MIGRATIONS
from tests.migrations.helpers import initial_sql

ROOT = Path(__file__).resolve().parents[2]
APPLIED = MIGRATIONS.applied()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection[Any]]:
    connection = await asyncpg.connect(database_url)
    try:
        yield connection
    finally:
        await connection.close()


async def test_repository_migrations_yield_the_schema(pg_admin_url: str) -> None:
    files = migration_files(ROOT / "migrations")
    assert files, "migrations/ holds no NNNN_slug.sql file"
    assert files[0].name.startswith("0001_")
    # a database per side, as the command line does
    differences = await verify_migrations(pg_admin_url, files, current_ddl(ROOT / "schema.yaml"))
    assert differences == [], (
        "migrations/ applied in order differ from the DDL of schema.yaml; write the missing "
        "migration with `batchrepo migrate`:\n  " + "\n  ".join(differences)
    )


async def test_a_missing_migration_is_caught(conn: asyncpg.Connection[Any]) -> None:
    # the newest migration left out: what it changes must show (all of it, when it is the only one)
    files = migration_files(ROOT / "migrations")
    schema_ddl = current_ddl(ROOT / "schema.yaml")
    assert await verify_migrations(conn, files[:-1], schema_ddl) != []


@pytest.mark.parametrize("name", APPLIED)
async def test_golden_migration_yields_the_new_schema(
    conn: asyncpg.Connection[Any], name: str
) -> None:
    case = MIGRATIONS.load(name)
    expected = case.folder / EXPECTED_SQL
    scripts = [("old DDL", initial_sql(case.old)), (str(expected), expected.read_text())]
    assert await verify_scripts(conn, scripts, canonical_ddl(case.new)) == []
    # and the comparison can fail here: without the migration the old DDL is not the new
    assert await verify_scripts(conn, scripts[:1], canonical_ddl(case.new)) != []
