"""Fixtures of the migration tests: a connection on the module's database (see
``tests/conftest.py``) whose search path is a fresh, empty schema for each test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest_asyncio

from tests.migrations.helpers import empty_schema


@pytest_asyncio.fixture
async def schema_conn(database_url: str) -> AsyncIterator[asyncpg.Connection[Any]]:
    """A connection whose unqualified names land in a new schema, dropped after the test."""
    conn = await asyncpg.connect(database_url)
    try:
        async with empty_schema(conn):
            yield conn
    finally:
        await conn.close()
