"""The servers the cluster benchmark compares, and a database with the distributed schema on each.

Three targets, every one started by :func:`batchrepo_codegen.devcluster.cluster` from the same
binaries and settings (``fsync = off``, ``synchronous_commit = off``, 64 MB shared buffers,
4 shards per distributed table), so they differ only in placement:

* ``plain``: one server, the package's ``schema.sql`` only (Citus is preloaded there but its
  extension is not created in the database: plain PostgreSQL);
* ``citus-1w``: a coordinator and one worker, ``schema.sql`` then ``citus.sql``;
* ``citus-2w``: a coordinator and two workers, the same.

:data:`AUDIT_DISTRIBUTED` is the throwaway variant of ``citus.sql`` that item 2 of issue 12's
benchmark measures: ``audit_log`` distributed by its id (``colocate_with => 'none'``) instead of
a reference table, and no foreign key from the history table to it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager, contextmanager
from types import ModuleType
from typing import Any

import asyncpg
from batchrepo_codegen import devcluster, devdb

import batchrepo

from .cpu import Roles, postmaster_pid

PLAIN, ONE_WORKER, TWO_WORKERS = "plain", "citus-1w", "citus-2w"
#: The variant of ``citus-2w`` whose ``audit_log`` is distributed (see the module doc).
AUDIT_DISTRIBUTED = "citus-2w, audit_log distributed"
TARGETS = (PLAIN, ONE_WORKER, TWO_WORKERS)
#: What each Citus target's connections set (docs/citus.md, "Runtime changes Citus needed"):
#: ``sequential`` by default; ``--multi-shard-mode parallel`` measures what Citus would do
#: without it (one connection per shard, the shards of a statement at once).
CITUS_SETTINGS = {"citus.multi_shard_modify_mode": "sequential"}


@dataclasses.dataclass(eq=False)
class Target:
    """One database to measure on: a pool the contenders use and a connection for the untimed
    start states (seeding, truncating)."""

    label: str
    url: str
    package: ModuleType
    conn: Any
    pool: Any
    roles: Roles

    def accounts(self) -> Any:
        return self.package.AccountRepository(self.pool, actor="bench")

    def postings(self) -> Any:
        return self.package.PostingRepository(self.pool)


def distributed_audit_log(citus_sql: str) -> list[str]:
    """``citus.sql``'s statements with ``audit_log`` distributed by id and no foreign key to it."""
    reference = "SELECT create_reference_table('\"audit_log\"');"
    statements = [s for s in citus_sql.splitlines() if s and not s.startswith("--")]
    foreign_key = [s for s in statements if "ADD CONSTRAINT" in s and 'REFERENCES "audit_log"' in s]
    if reference not in statements or len(foreign_key) != 1:
        raise RuntimeError("citus.sql no longer places audit_log as this benchmark expects")
    return [
        "SELECT create_distributed_table('\"audit_log\"', 'id', colocate_with => 'none');"
        if s == reference
        else s
        for s in statements
        if s not in foreign_key
    ]


#: The statements that place a package's tables on Citus, run one at a time after schema.sql.
Placement = Callable[[ModuleType], list[str]]


def citus_statements(package: ModuleType) -> list[str]:
    return [s for s in package.citus_ddl().splitlines() if s and not s.startswith("--")]


@contextmanager
def servers(names: tuple[str, ...] = TARGETS) -> Iterator[dict[str, devcluster.Cluster]]:
    """Start the servers of ``names`` (one plain node, a 1-worker and a 2-worker cluster)."""
    workers = {PLAIN: 0, ONE_WORKER: 1, TWO_WORKERS: 2}
    with ExitStack() as stack:
        yield {name: stack.enter_context(devcluster.cluster(workers[name])) for name in names}


async def _run_schema(url: str, package: ModuleType, citus: list[str] | None) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(package.ddl())
        await conn.execute("SET client_min_messages = warning")
        for statement in citus or []:  # one at a time, as psql -f runs it (docs/citus.md)
            await conn.execute(statement)
    finally:
        await conn.close()


async def _database(stack: AsyncExitStack, nodes: devcluster.Cluster, plain: bool) -> str:
    if plain:
        name = devdb.unique_database_name("bench_citus_plain")
        url = await devdb.create_database(nodes.admin_url, name)
        stack.push_async_callback(devdb.drop_database, nodes.admin_url, name)
        return url
    url = await devcluster.create_database(nodes, "bench_citus")
    stack.push_async_callback(devcluster.drop_database, nodes, url)
    return url


async def _roles(nodes: devcluster.Cluster) -> Roles:
    workers = [await postmaster_pid(nodes.url(port)) for port in nodes.workers]
    return Roles(await postmaster_pid(nodes.admin_url), tuple(workers))


@asynccontextmanager
async def open_target(
    label: str,
    nodes: devcluster.Cluster,
    package: ModuleType,
    placement: Placement | None,
    settings: dict[str, str] = CITUS_SETTINGS,
) -> AsyncIterator[Target]:
    """A fresh database on ``nodes`` with ``package``'s schema, placed by ``placement`` (the
    ``citus.sql`` statements; ``None``: plain PostgreSQL), and a pool of one connection whose
    sessions have ``settings`` (on Citus)."""
    async with AsyncExitStack() as stack:
        plain = placement is None
        url = await _database(stack, nodes, plain)
        await _run_schema(url, package, None if placement is None else placement(package))
        settings = {} if plain else settings
        conn = await asyncpg.connect(url, server_settings=settings)
        stack.push_async_callback(conn.close)
        pool = await batchrepo.create_pool(
            url, package, min_size=1, max_size=1, server_settings=settings
        )
        stack.push_async_callback(pool.close)
        yield Target(label, url, package, conn, pool, await _roles(nodes))


async def placement(target: Target) -> dict[str, str]:
    """How Citus placed each table of ``target`` (``pg_dist_partition``): ``distributed by
    <column>`` or ``reference``; nothing on plain PostgreSQL."""
    if PLACEMENTS[target.label] is None:
        return {}
    rows = await target.conn.fetch(
        "SELECT logicalrelid::text AS name, column_to_column_name(logicalrelid, partkey) AS col"
        " FROM pg_dist_partition ORDER BY 1"
    )
    return {r["name"]: f"distributed by {r['col']}" if r["col"] else "reference" for r in rows}


def audit_distributed(package: ModuleType) -> list[str]:
    """The :data:`AUDIT_DISTRIBUTED` placement of ``package``."""
    return distributed_audit_log(package.citus_ddl())


#: How each target places the tables: ``citus.sql``, or nothing (plain PostgreSQL).
PLACEMENTS: dict[str, Placement | None] = {
    PLAIN: None,
    ONE_WORKER: citus_statements,
    TWO_WORKERS: citus_statements,
    AUDIT_DISTRIBUTED: audit_distributed,
}


__all__ = [
    "AUDIT_DISTRIBUTED",
    "CITUS_SETTINGS",
    "ONE_WORKER",
    "PLACEMENTS",
    "PLAIN",
    "TARGETS",
    "TWO_WORKERS",
    "Target",
    "audit_distributed",
    "open_target",
    "placement",
    "servers",
]
