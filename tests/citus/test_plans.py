"""The table of docs/citus.md, "Which statements run on one shard", is what EXPLAIN says on the
cluster today: every generated statement of the distributed case, as generated and, where it
has one, its routed twin (tests/citus/plans.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import asyncpg
import pytest_asyncio

import batchrepo

from .conftest import create_schema
from .plans import explain, markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "citus.md"
BEGIN, END = "<!-- plans: begin -->", "<!-- plans: end -->"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def conn(citus_url: str, sharded: ModuleType) -> AsyncIterator[asyncpg.Connection]:
    await create_schema(citus_url, sharded)
    c = await asyncpg.connect(citus_url)
    try:
        await batchrepo.TypeCodecs(sharded)(c)
        yield c
    finally:
        await c.close()


def _documented() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text[text.index(BEGIN) + len(BEGIN) : text.index(END)].strip()


async def test_the_documented_table_is_what_explain_says(
    conn: asyncpg.Connection, sharded: ModuleType
) -> None:
    found = await explain(conn, sharded)
    assert markdown(found) == _documented(), (
        "regenerate the table: PYTHONPATH=. .venv/bin/python -m tests.citus.plans --url ..."
    )


async def test_every_routed_twin_runs_on_one_shard_where_its_statement_runs_on_every_one(
    conn: asyncpg.Connection, sharded: ModuleType
) -> None:
    twins = [
        (kind, plan, routed) for _, kind, plan, routed in await explain(conn, sharded) if routed
    ]
    # account: 6 statements, 2 probes, a unique load, 2 history reads; posting: 6, 2, children
    assert len(twins) == 20
    for kind, plan, routed in twins:
        assert routed.one_shard and routed.shards, kind
        assert max(plan.shards) > 1, kind
