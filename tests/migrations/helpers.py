"""Helpers for migration tests on a real PostgreSQL (shared with the replay and catalog tests).

    await apply_sql(conn, sql)          # a script of many statements, in one transaction
    async with empty_schema(conn) as name: ...   # unqualified names land in a new schema
    await migration_differences(conn, old, new, seed=...)  # [] when the migration is right

The fixtures built on them (``schema_conn``: a connection whose search path is a fresh, empty
schema) are in ``tests/migrations/conftest.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from batchrepo_codegen.migrate.planner import canonical_ddl, plan_migration
from batchrepo_codegen.migrate.verify import catalog_differences, read_catalog
from batchrepo_codegen.schema.document import SchemaDef


async def apply_sql(conn: asyncpg.Connection[Any], sql: str) -> None:
    """Run ``sql`` (any number of statements) in one transaction, as ``psql
    --single-transaction`` would: it applies whole or not at all. A script without statements
    (empty, or comments only: a migration that only moves the schema fingerprint) applies too:
    asyncpg fails on one, so a trailing ``SELECT 1`` (after a newline, which ends a trailing
    ``--`` comment) gives it a statement, as ``catalog.verify_scripts`` does."""
    async with conn.transaction():
        await conn.execute(f"{sql}\n;SELECT 1")


@asynccontextmanager
async def empty_schema(conn: asyncpg.Connection[Any]) -> AsyncIterator[str]:
    """A new schema first on ``conn``'s search path (types and tables land there), dropped with
    everything in it afterwards."""
    name = f"migration_{uuid.uuid4().hex[:12]}"
    saved = await conn.fetchval("SELECT current_setting('search_path')")
    await conn.execute(f'CREATE SCHEMA "{name}"')
    await conn.execute("SELECT set_config('search_path', $1, false)", f'"{name}"')
    try:
        yield name
    finally:
        await conn.execute("SELECT set_config('search_path', $1, false)", saved)
        await conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def initial_sql(schema: SchemaDef) -> str:
    """The initial migration of ``schema`` (its whole DDL), as ``batchrepo migrate`` writes it."""
    return plan_migration(None, schema).render()


async def migration_differences(
    conn: asyncpg.Connection[Any],
    old: SchemaDef,
    new: SchemaDef,
    *,
    seed: str | None = None,
    allow_destructive: bool = False,
) -> list[str]:
    """Build ``old`` in a new schema, write ``seed``, apply the planned migration to ``new``
    (each in one transaction; a failure raises), and return how the result's catalog differs
    from ``new``'s DDL applied to an empty schema. The migrated schema is left on the search
    path of ``conn`` (inside the caller's :func:`empty_schema`), so its data can be queried."""
    await apply_sql(conn, initial_sql(old))
    if seed is not None:
        await apply_sql(conn, seed)
    await apply_sql(conn, plan_migration(old, new, allow_destructive=allow_destructive).render())
    migrated = await read_catalog(conn, await conn.fetchval("SELECT current_schema()"))
    async with empty_schema(conn) as fresh_schema:
        await apply_sql(conn, canonical_ddl(new))
        fresh = await read_catalog(conn, fresh_schema)
    return catalog_differences(migrated, fresh)


__all__ = ["apply_sql", "canonical_ddl", "empty_schema", "initial_sql", "migration_differences"]
