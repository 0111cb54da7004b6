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

import asyncpg
import pytest
from batchrepo_codegen import devdb

from batchrepo.spec import TableSpec
from tests.golden.kinds import CODEGEN

from .packages import ddl, generate, import_from, table_specs
from .twin import Twin


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
    names = [devdb.unique_database_name(f"{stem}_{side}") for side in ("b", "s")]
    run = property_loop.run_until_complete

    urls = [run(devdb.create_database(pg_admin_url, name)) for name in names]
    batch, single = run(asyncpg.connect(urls[0])), run(asyncpg.connect(urls[1]))
    try:
        yield Twin(property_loop, batch, single, (urls[0], urls[1]))
    finally:
        run(batch.close())
        run(single.close())
        for name in names:
            run(devdb.drop_database(pg_admin_url, name))


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
