"""A real Citus cluster for the tests of this folder: a coordinator and two workers on loopback
ports, started once per session (per xdist worker) by :func:`batchrepo_codegen.devcluster.cluster`,
a fresh database on every node per test module.

The default ``make test`` starts no cluster: these tests are skipped unless ``BATCHREPO_CITUS=1``
(``make test-citus`` sets it). Where Citus cannot be installed or started (no ``shared/citus``
folder, a server that will not start) they are skipped with the reason.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType

import asyncpg
import pytest
import pytest_asyncio
from batchrepo_codegen import devcluster

from tests.golden.kinds import CODEGEN
from tests.property.packages import import_from
from tests.property.twin import Twin, open_twin

#: The golden case whose generated package the cluster tests drive.
SHARDED = Path(__file__).resolve().parent.parent / "golden" / "codegen" / "distributed" / "expected"
#: The golden case of the example ledger distributed by person, which the machines drive.
SHARDED_LEDGER = CODEGEN.expected_dir("sharded_ledger")


#: Session settings of every connection to the coordinator (docs/citus.md): a transaction that
#: read several shards of a table over parallel connections cannot then write a table with a
#: foreign key to a reference table; one connection per node keeps both possible.
CITUS_SETTINGS = {"citus.multi_shard_modify_mode": "sequential"}


@pytest.fixture(scope="session")
def citus_cluster() -> Iterator[devcluster.Cluster]:
    if os.environ.get("BATCHREPO_CITUS") != "1":
        pytest.skip(
            "Citus tests run with `make test-citus` (BATCHREPO_CITUS=1); "
            "`make test` starts no cluster"
        )
    try:
        with devcluster.cluster(workers=2) as nodes:
            yield nodes
    except devcluster.CitusUnavailable as error:
        pytest.skip(f"Citus is not available here: {error}")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def citus_url(
    citus_cluster: devcluster.Cluster, request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """A fresh database on every node of the cluster; the coordinator's URL of it."""
    url = await devcluster.create_database(
        citus_cluster, request.module.__name__.rsplit(".", 1)[-1]
    )
    try:
        yield url
    finally:
        await devcluster.drop_database(citus_cluster, url)


@pytest.fixture(scope="session")
def citus_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """The event loop of the synchronous property machines (as ``property_loop``)."""
    loop = asyncio.new_event_loop()
    try:
        yield loop
    finally:
        loop.close()


@pytest.fixture(scope="session")
def ledger_twin(
    citus_cluster: devcluster.Cluster,
    citus_loop: asyncio.AbstractEventLoop,
    sharded_ledger: ModuleType,
) -> Iterator[Twin]:
    """The property machines' twin (``tests/property/twin.py``) on the cluster: two Citus
    databases, each on every node with the workers registered, holding the sharded ledger
    (``schema.sql`` then ``citus.sql``). Every session on them runs multi-shard writes
    sequentially (:data:`CITUS_SETTINGS`, set on the database, so the machines' own connections
    get it too). One for the session: making it takes ~30 s on two cores, and every machine
    empties the tables it uses before each example."""

    async def create(side: str) -> str:
        url = await devcluster.create_database(citus_cluster, f"sharded_ledger_{side}")
        name = url.rsplit("/", 1)[1]
        conn = await asyncpg.connect(url)
        try:
            for setting, value in CITUS_SETTINGS.items():
                await conn.execute(f'ALTER DATABASE "{name}" SET {setting} = {value!r}')
        finally:
            await conn.close()
        await create_schema(url, sharded_ledger)
        return url

    async def drop(url: str) -> None:
        await devcluster.drop_database(citus_cluster, url)

    with open_twin(citus_loop, create, drop) as twin:
        yield twin


@pytest.fixture(scope="session")
def sharded_ledger() -> ModuleType:
    """The generated package of the ``sharded_ledger`` golden case."""
    return import_from(SHARDED_LEDGER, "sharded_ledger")


@pytest.fixture(scope="session")
def sharded() -> ModuleType:
    """The generated package of the ``distributed`` golden case."""
    return import_from(SHARDED, "sharded")


async def create_schema(url: str, package: ModuleType) -> None:
    """``schema.sql`` then ``citus.sql`` of ``package``, on the coordinator."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(package.ddl())
        await conn.execute("SET client_min_messages = warning")
        # one statement at a time, as psql -f runs it: Citus refuses some of these calls in a
        # multi-statement query
        for line in package.citus_ddl().splitlines():
            if line and not line.startswith("--"):
                await conn.execute(line)
    finally:
        await conn.close()


__all__ = ["CITUS_SETTINGS", "SHARDED", "SHARDED_LEDGER", "create_schema"]
