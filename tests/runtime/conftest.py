"""Fixtures of the runtime tests: the hand-written tables in the module's fresh database, emptied
before each test, and a connection that counts the statements it is asked to run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import ModuleType
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from tests.golden.kinds import CODEGEN
from tests.property.packages import import_from
from tests.runtime.tables import DDL, TABLES


class CountingConnection:
    """A real asyncpg connection that records every statement sent through it.

    It satisfies ``batchrepo.db.executor.Connection`` structurally, which also shows how small the
    executor interface is.
    """

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.statements: list[str] = []

    async def execute(self, query: str, *args: object) -> str:
        self.statements.append(query)
        return await self.conn.execute(query, *args)

    async def fetch(self, query: str, *args: object) -> list[Any]:
        self.statements.append(query)
        return await self.conn.fetch(query, *args)

    async def fetchrow(self, query: str, *args: object) -> Any:
        self.statements.append(query)
        return await self.conn.fetchrow(query, *args)

    async def fetchval(self, query: str, *args: object) -> Any:
        self.statements.append(query)
        return await self.conn.fetchval(query, *args)

    async def copy_records_to_table(
        self, table_name: str, *, records: Any, columns: Any = None
    ) -> str:
        self.statements.append(f"<copy {table_name}>")
        return await self.conn.copy_records_to_table(table_name, records=records, columns=columns)

    def transaction(self) -> AbstractAsyncContextManager[Any]:
        self.statements.append("<transaction>")
        return self.conn.transaction()

    def is_in_transaction(self) -> bool:
        return self.conn.is_in_transaction()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def tables_pool(pool: asyncpg.Pool) -> asyncpg.Pool:
    """The module's pool, with the test tables created."""
    await pool.execute(DDL)
    return pool


@pytest_asyncio.fixture(loop_scope="module")
async def db(tables_pool: asyncpg.Pool) -> asyncpg.Pool:
    """The pool on empty test tables."""
    await tables_pool.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    return tables_pool


@pytest_asyncio.fixture(loop_scope="module")
async def conn(db: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """One connection of the pool, for tests that need a session (transactions, counting)."""
    async with db.acquire() as proxy:
        yield proxy  # type: ignore[misc]


@pytest_asyncio.fixture(loop_scope="module")
async def counting(conn: asyncpg.Connection) -> CountingConnection:
    return CountingConnection(conn)


@pytest.fixture(scope="module")
def audited() -> ModuleType:
    """The golden ``audited`` package (audited tables, a generated UnitOfWork)."""
    return import_from(CODEGEN.expected_dir("audited"), "audited")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def audited_pool(
    database_url: str, audited: ModuleType, request: pytest.FixtureRequest
) -> AsyncIterator[asyncpg.Pool]:
    """The audited package's tables in a schema named after the test module; lock waits give up
    after 300 ms (tests provoke lock timeouts with ``LOCK TABLE`` held by a second session)."""
    schema = request.module.__name__.rsplit(".", 1)[-1] + "_audited"
    async with audited_schema_pool(database_url, audited, schema, lock_timeout="300ms") as pool:
        yield pool


@asynccontextmanager
async def audited_schema_pool(
    database_url: str, audited: ModuleType, schema: str, **settings: str
) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the audited package's tables in ``schema`` (beside the hand-written tables of
    the same names), created fresh; ``settings`` are extra server settings."""
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"')
        await admin.execute(f'SET search_path = "{schema}"; {audited.ddl()}')
    finally:
        await admin.close()
    pool = await asyncpg.create_pool(
        database_url,
        min_size=1,
        max_size=3,
        server_settings={"search_path": schema, **settings},
    )
    try:
        yield pool
    finally:
        await pool.close()
