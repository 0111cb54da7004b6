"""The database the whole suite stands on: a real server, and databases that are really separate."""

from __future__ import annotations

import asyncpg
from batchrepo_codegen import devdb


async def test_module_database_is_a_real_empty_postgresql(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        version = await conn.fetchval("SHOW server_version_num")
        tables = await conn.fetchval(
            "SELECT count(*) FROM pg_tables"
            " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
    finally:
        await conn.close()
    assert int(version) >= 130000
    assert tables == 0


async def test_databases_created_on_one_server_are_isolated(pg_admin_url: str) -> None:
    a, b = devdb.unique_database_name("iso_a"), devdb.unique_database_name("iso_b")
    url_a = await devdb.create_database(pg_admin_url, a)
    url_b = await devdb.create_database(pg_admin_url, b)
    try:
        ca = await asyncpg.connect(url_a)
        await ca.execute("CREATE TABLE only_here (id int)")
        await ca.close()
        cb = await asyncpg.connect(url_b)
        found = await cb.fetchval("SELECT to_regclass('only_here') IS NOT NULL")
        await cb.close()
        assert found is False
    finally:
        await devdb.drop_database(pg_admin_url, a)
        await devdb.drop_database(pg_admin_url, b)
