"""A database built from batchrepo's own DDL (generated/ledger/schema.sql: audit tables,
column checks with negative bounds, array element checks, composite keys) pulls back exactly:
the self-proof finds no difference and nothing unmodelled, on a real PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest_asyncio
from batchrepo_codegen.pull import PullRequest, PullResult, pull

LEDGER_SQL = Path(__file__).parents[2] / "generated" / "ledger" / "schema.sql"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pulled(database_url: str, pg_admin_url: str) -> AsyncIterator[PullResult]:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(LEDGER_SQL.read_text(encoding="utf-8"))
    finally:
        await conn.close()
    yield await pull(PullRequest(dsn=database_url, package="ledger", scratch=pg_admin_url))


async def test_batchrepos_own_ddl_round_trips_exactly(pulled: PullResult) -> None:
    assert pulled.proof is not None
    assert list(pulled.proof.differences) == []
    assert pulled.translation.left_out == {}
    assert pulled.translation.notes == []
    assert pulled.unmodelled == []
    assert pulled.exact
    assert len(pulled.proof.exact_tables) == len(pulled.catalog.tables)
