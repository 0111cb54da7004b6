"""``make bench-audit``: what auditing and the checks before writing cost, measured side by side.

Two measurements on an embedded PostgreSQL (or ``DATABASE_URL``), medians of repetitions, every
variant measured in every repetition in a rotating order (the machine is shared and noisy: only
ratios of neighbouring measurements mean something):

1. Audit overhead (:mod:`benchmarks.audit.audit_ops`): ``person`` rows through the audited table and
   an identical one without audit, generated at run time (:mod:`benchmarks.audit.plain_twin`), each
   in its own database: batch insert, update (every row changed), update (no row changed) and
   delete at each size, and the same as single-row loops in a unit of work and in a plain
   transaction.
2. Checks before writing (:mod:`benchmarks.audit.check_ops`): a batch insert of accounts, each with
   its own owner, with the parents in the key cache or asked of the database in one probe.

Writes a markdown report to stdout only.

    PYTHONPATH=generated .venv/bin/python -m benchmarks.audit [--repeat 5] [--sizes 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType

import asyncpg
import ledger
from batchrepo_codegen import devdb

from ..bench.rows import Connection, RowFactory
from ..options import add_repeat, check_repeat, environment, row_counts
from ..timing import rotated
from . import audit_ops, audit_report, check_ops
from .audit_ops import (
    AUDITED,
    BATCH,
    PLAIN,
    SINGLE_IN_TRANSACTION,
    SINGLE_IN_UNIT,
    SINGLE_ROW_PATHS,
    Twin,
    Variant,
    variants,
)
from .audit_report import Results
from .plain_twin import plain_twin

DEFAULT_SIZES = (1_000, 10_000)
DEFAULT_SINGLE_ROWS = 1_000
DEFAULT_CHECK_ROWS = 10_000
#: Rows of the untimed warm-up round.
WARM_UP_ROWS = 50
SCHEMA = Path(__file__).resolve().parents[2] / "schema.yaml"


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.audit", description=__doc__.split("\n\n")[0]
    )
    add_repeat(parser, default=5)
    parser.add_argument(
        "--sizes",
        type=row_counts,
        default=list(DEFAULT_SIZES),
        help="comma-separated row counts of the batch writes (default 1000,10000)",
    )
    parser.add_argument(
        "--single-rows",
        type=int,
        default=DEFAULT_SINGLE_ROWS,
        help=f"rows of the single-row loops, 0 to skip (default {DEFAULT_SINGLE_ROWS:,})",
    )
    parser.add_argument(
        "--check-rows",
        type=int,
        default=DEFAULT_CHECK_ROWS,
        help=f"accounts of the checks measurement, 0 to skip (default {DEFAULT_CHECK_ROWS:,})",
    )
    args = parser.parse_args(argv)
    check_repeat(parser, args)
    for option in ("single_rows", "check_rows"):
        if getattr(args, option) == 1 or getattr(args, option) < 0:
            parser.error(f"--{option.replace('_', '-')} must be 0 (skip) or at least 2")
    return args


@asynccontextmanager
async def _database(admin_url: str, package: ModuleType) -> AsyncIterator[Twin]:
    """A fresh database holding ``package``'s DDL, with a connection for each path measured side
    by side (the single-row loops hold a transaction each); dropped afterwards."""
    name = devdb.unique_database_name(f"batchrepo_bench_{package.__name__}")
    url = await devdb.create_database(admin_url, name)
    connections: list[Connection] = []
    try:
        for _ in SINGLE_ROW_PATHS:
            connections.append(await asyncpg.connect(url))
        await connections[0].execute(package.ddl())
        label = AUDITED if package is ledger else PLAIN
        yield Twin(label, package, tuple(connections))
    finally:
        for conn in connections:
            await conn.close()
        await devdb.drop_database(admin_url, name)


def _report_rows(args: argparse.Namespace) -> list[tuple[str, int]]:
    """(path, rows) of the audit table, in report order."""
    rows = [(BATCH, size) for size in args.sizes]
    if args.single_rows:
        rows += [(SINGLE_IN_UNIT, args.single_rows), (SINGLE_IN_TRANSACTION, args.single_rows)]
    return rows


def _flows(twins: Sequence[Twin], args: argparse.Namespace) -> list[tuple[int, list[Variant]]]:
    """(rows, variants measured side by side) of every audit flow: the batch on both twins at
    each size; the four single-row variants together, so the savepoint and the log row per
    write are compared side by side too."""
    flows = [(size, variants(twins, BATCH)) for size in args.sizes]
    if args.single_rows:
        flows.append((args.single_rows, variants(twins, *SINGLE_ROW_PATHS)))
    return flows


async def measure(
    twins: Sequence[Twin], ledger_conn: Connection, args: argparse.Namespace, results: Results
) -> None:
    """Every repetition measures every variant, flows in a rotating order; the checks run on
    ``ledger_conn`` (a database of the audited ``ledger`` package)."""
    rows = RowFactory()
    accounts = check_ops.AccountFactory()
    flows = _flows(twins, args)
    # One untimed round on a few rows first: the first statement of each kind on a connection
    # pays for its preparation and the server's catalog lookups, which no repetition should.
    for _size, flow in flows:
        await audit_ops.measure_flow(flow, rows, WARM_UP_ROWS, 0)
    if args.check_rows:
        owners = await check_ops.store_owners(ledger_conn, rows, WARM_UP_ROWS)
        await check_ops.measure_checks(ledger_conn, owners, accounts, 0)
    for repetition in range(args.repeat):
        for size, flow in rotated(flows, repetition):
            results.add(await audit_ops.measure_flow(flow, rows, size, repetition))
        if args.check_rows:
            owners = await check_ops.store_owners(ledger_conn, rows, args.check_rows)
            results.add(await check_ops.measure_checks(ledger_conn, owners, accounts, repetition))
        print(f"bench-audit: repetition {repetition + 1} done", file=sys.stderr)


async def run(args: argparse.Namespace) -> None:
    with devdb.server() as admin_url, plain_twin(SCHEMA) as plain_package:
        async with (
            _database(admin_url, ledger) as audited,
            _database(admin_url, plain_package) as plain,
        ):
            twins = [audited, plain]
            header = await environment(audited.conn)
            results = Results()
            await measure(twins, audited.conn, args, results)
    print(f"# batchrepo audit benchmark, {datetime.date.today().isoformat()}")
    print()
    print(
        f"{header}; medians of {args.repeat}; `person` audited (version, person_history, "
        "audit_log) against the same table generated without audit, each in its own database "
        "on one server; µs/row = (audited - plain) per row; ratios, differences and shares are "
        "medians of the per-repetition comparisons of variants measured side by side"
    )
    print()
    print(audit_report.audit_table(results, _report_rows(args)))
    if args.single_rows:
        print()
        print(audit_report.single_row_table(results, args.single_rows))
    if args.check_rows:
        print()
        print(audit_report.checks_table(results, args.check_rows))
        print()
        print(audit_report.probe_share(results))


def main(argv: Sequence[str] | None = None) -> int:
    asyncio.run(run(_arguments(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
