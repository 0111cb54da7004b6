"""Fixtures of the property suite: an event loop of its own and two databases per test module.

Hypothesis' stateful machines are synchronous, so the tests here are plain functions and drive
asyncpg through :class:`Twin` on a loop the module owns (pytest-asyncio's loop is not running
while a synchronous test runs). The two databases are created on the session's server
(``pg_admin_url``) and dropped afterwards, like the ``database_url`` fixture does for one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from batchrepo_codegen import devdb

from batchrepo.spec import TableSpec
from tests.golden.kinds import CODEGEN

from .packages import ddl, generate, import_from, table_specs
from .twin import Twin, open_twin


@pytest.fixture(scope="module")
def property_loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    try:
        yield loop
    finally:
        loop.close()


@pytest.fixture(scope="module")
def twin(
    pg_admin_url: str, property_loop: asyncio.AbstractEventLoop, request: pytest.FixtureRequest
) -> Iterator[Twin]:
    """Two fresh, empty databases: ``batch`` and ``single``."""
    stem = request.module.__name__.rsplit(".", 1)[-1][:24]
    names: dict[str, str] = {}  # URL -> database name

    async def create(side: str) -> str:
        name = devdb.unique_database_name(f"{stem}_{side}")
        url = await devdb.create_database(pg_admin_url, name)
        names[url] = name
        return url

    async def drop(url: str) -> None:
        await devdb.drop_database(pg_admin_url, names[url])

    with open_twin(property_loop, create, drop) as made:
        yield made


@pytest.fixture(scope="session")
def shapes_package(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The ``shapes`` golden case, generated now from its schema by the CLI."""
    out: Path = tmp_path_factory.mktemp("generated")
    generate(CODEGEN.schema_path("shapes"), out)
    return import_from(out, "shapes")


@pytest.fixture(scope="session")
def audited_package(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The ``audited`` golden case (audited tables, a generated UnitOfWork), generated now."""
    out: Path = tmp_path_factory.mktemp("generated")
    generate(CODEGEN.schema_path("audited"), out)
    return import_from(out, "audited")


@pytest.fixture(scope="module")
def shapes_specs(shapes_package: ModuleType) -> dict[str, TableSpec[Any, Any]]:
    return table_specs(shapes_package)


@pytest.fixture(scope="module")
def shapes_twin(twin: Twin, shapes_package: ModuleType) -> Twin:
    """The twin databases with the shapes DDL."""
    twin.run(twin.execute(ddl(shapes_package)))
    return twin
