"""What the codec tests share: golden packages in schemas of their own, a query log that tells
asyncpg's type introspection apart, and every statement of a package.

asyncpg introspects types with one of two fixed queries (``asyncpg.introspection``), sent through
the connection like any other query, so a query logger (``Connection.add_query_logger``) sees
each introspection as it happens: no timing is needed to tell a cold call from a ready one.
"""

from __future__ import annotations

import asyncio
from types import ModuleType
from typing import Any

import asyncpg
from asyncpg import introspection

from batchrepo.spec import TableSpec
from tests.golden.kinds import CODEGEN
from tests.property.packages import import_from, table_specs

#: The queries asyncpg introspects types with (the second for servers before PostgreSQL 14).
INTROSPECTION_QUERIES = frozenset(
    {introspection.INTRO_LOOKUP_TYPES, introspection.INTRO_LOOKUP_TYPES_13}
)


def golden(case: str) -> ModuleType:
    """The package of golden codegen case ``case``."""
    return import_from(CODEGEN.expected_dir(case), CODEGEN.package(case))


async def create_schema(url: str, schema: str, package: ModuleType | None) -> None:
    """Schema ``schema``, fresh, with ``package``'s DDL applied in it (none: left empty)."""
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"')
        if package is not None:
            await admin.execute(f'SET search_path = "{schema}"; {package.ddl()}')
    finally:
        await admin.close()


async def connect(url: str, schema: str, **kwargs: Any) -> asyncpg.Connection:
    """A fresh connection (a new backend, no codecs learned yet) on ``schema``."""
    return await asyncpg.connect(url, server_settings={"search_path": schema}, **kwargs)


class QueryLog:
    """The queries sent on the connections it is attached to, in order."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def attach(self, conn: asyncpg.Connection) -> None:
        conn.add_query_logger(self._record)

    def _record(self, record: Any) -> None:
        self.queries.append(record.query)

    async def settled(self) -> list[str]:
        """The queries so far: asyncpg calls loggers soon after each query, not during it."""
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return list(self.queries)

    async def introspections(self) -> int:
        return sum(q in INTROSPECTION_QUERIES for q in await self.settled())

    async def clear(self) -> None:
        await self.settled()
        self.queries.clear()


def statements(package: ModuleType) -> list[str]:
    """Every statement the package's TableSpecs hold (the audit log's insert too)."""
    found: list[str] = []
    for spec in table_specs(package).values():
        found += _statements(spec)
    return found


def _statements(spec: TableSpec[Any, Any]) -> list[str]:
    found = [getattr(spec.sql, name) for name in spec.sql.__dataclass_fields__]
    found += [sql for u in spec.uniques for sql in (u.probe_sql, u.select_batch_sql)]
    found += [sql for fk in spec.foreign_keys for sql in (fk.probe_sql, fk.select_children_sql)]
    if spec.audit is not None:
        found.append(spec.audit.insert_log_sql)
    return [sql for sql in found if sql is not None]
