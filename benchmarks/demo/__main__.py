"""``make demo``: a ledger's banking day, row by row against batch, on a real PostgreSQL.

Two fresh databases get the generated DDL. The same seeded data set (persons with organisations
and duplicates, accounts, a day of postings, the geography under them) goes into one through the
single-row methods, each called in a loop, and into the other through the batch methods. Then
both run the day: lookups, children, balance updates, reversals, a CRM resync, clean-up deletes.
Every step on both sides is one unit of work (one transaction, and one ``audit_log`` row for the
audited person, account and ledger_transaction tables, whose history must come out equal too).
Every step checks that the two methods returned the same result; at the end the two databases
must hold the same rows, history included. The table shows what each step cost both ways.

    PYTHONPATH=generated .venv/bin/python -m benchmarks.demo [--scale 0.1] [--seed N]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import asyncpg
import ledger
from batchrepo_codegen import devdb

from ..timing import machine, markdown_table, ms, ratio, timed_sync
from .db_compare import assert_same_contents
from .ledger_data import LedgerData, Scale, build
from .ledger_workload import Measurement, Workload
from .sides import Side


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.demo", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply the default row counts (2,000 persons, 3,000 accounts, 20,000 "
        "transactions) by this factor (default 1)",
    )
    parser.add_argument("--seed", type=int, default=20250914, help="seed of the data set")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")
    return args


@asynccontextmanager
async def _fresh_database(
    admin_url: str, label: str
) -> AsyncIterator[asyncpg.Connection[asyncpg.Record]]:
    """A new database with the generated schema, dropped afterwards."""
    name = devdb.unique_database_name(f"ledger_demo_{label}")
    url = await devdb.create_database(admin_url, name)
    try:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(ledger.ddl())
            yield conn
        finally:
            await conn.close()
    finally:
        await devdb.drop_database(admin_url, name)


def _report(measurements: Sequence[Measurement]) -> str:
    rows = [
        [
            m.operation,
            f"{m.rows:,}",
            ms(m.single_ms),
            ms(m.batch_ms),
            ratio(m.single_ms, m.batch_ms),
        ]
        for m in measurements
    ]
    total_single = sum(m.single_ms for m in measurements)
    total_batch = sum(m.batch_ms for m in measurements)
    rows.append(
        [
            "**total**",
            f"{sum(m.rows for m in measurements):,}",
            ms(total_single),
            ms(total_batch),
            ratio(total_single, total_batch),
        ]
    )
    headers = ["operation", "rows", "single-row ms", "batch ms", "batch speed-up"]
    return markdown_table(headers, rows)


def _describe_data(data: LedgerData) -> str:
    organisations = sum(p.person_type == ledger.PersonType.LEGAL for p in data.persons)
    return (
        f"{len(data.persons):,} persons ({organisations:,} organisations), "
        f"{len(data.accounts):,} accounts, "
        f"{len(data.transactions):,} transactions, {len(data.countries)} countries, "
        f"{len(data.subdivisions)} subdivisions, {len(data.localities):,} localities, "
        f"{len(data.locations):,} locations, {len(data.entity_references):,} entity references"
    )


async def run(scale: float, seed: int) -> None:
    started = time.perf_counter()
    data, build_ms = timed_sync(lambda: build(Scale().times(scale), seed))
    print(f"data set (seed {seed}, scale {scale:g}): {_describe_data(data)}")
    print(f"built in {ms(build_ms)} ms")
    with devdb.server() as admin_url:
        async with (
            _fresh_database(admin_url, "single") as single_conn,
            _fresh_database(admin_url, "batch") as batch_conn,
        ):
            version = await single_conn.fetchval("SHOW server_version")
            print(f"PostgreSQL {version}, Python {platform.python_version()}, {machine()}")
            workload = Workload(
                Side.on("single", single_conn), Side.on("batch", batch_conn), data, seed
            )
            await workload.import_all()
            await workload.lookups()
            await workload.settle()
            await workload.resync_persons()
            await workload.audit_trail()
            await workload.clean_up()
            counts = await assert_same_contents(single_conn, batch_conn)
    print()
    print(_report(workload.measurements))
    print()
    print(
        "Both databases hold the same rows "
        f"({sum(counts.values()):,} in {len(counts)} tables; server-filled created_at and identity "
        "keys left out), and every step returned the same result both ways."
    )
    print(
        "single-row = the one-row method in a loop inside one unit of work (each audited row "
        "write in a savepoint of its own, as a failed row must not abort the unit); "
        f"finished in {time.perf_counter() - started:.1f} s"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    asyncio.run(run(args.scale, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
