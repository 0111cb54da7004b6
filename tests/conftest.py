"""Shared fixtures: one real PostgreSQL per test session (per xdist worker), a fresh database per
test module, dropped afterwards. ``DATABASE_URL`` selects an existing server instead."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
import pytest_asyncio
from batchrepo_codegen import devdb


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    with devdb.server() as url:
        yield url


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def database_url(pg_admin_url: str, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A fresh, empty database for the test module."""
    name = devdb.unique_database_name(request.module.__name__.rsplit(".", 1)[-1])
    url = await devdb.create_database(pg_admin_url, name)
    try:
        yield url
    finally:
        await devdb.drop_database(pg_admin_url, name)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A small pool on the module's database."""
    p = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    try:
        yield p
    finally:
        await p.close()
