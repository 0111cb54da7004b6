"""``make bench``: batch against single-row, per operation and size, medians of repetitions.

For insert, load, exists, update and delete of ``person`` rows (an audited table: every write
records history) at 100, 1,000 and 10,000 rows: the one-row repository method in a loop inside
one transaction against the batch method, plus asyncpg ``executemany`` and binary ``COPY`` as
reference points for insert (both bypass validation and history). Every repetition times all
methods back to back in a rotating order (the machine is shared and noisy, so methods measured
minutes apart are not comparable), and the table shows medians. A second table shows
the Python-side cost per row of the batch path's own stages at 100,000 rows.

Writes a markdown report to stdout only.

    PYTHONPATH=generated .venv/bin/python -m benchmarks.bench [--repeat 5] [--sizes 100,1000]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import sys
from collections.abc import Sequence

import asyncpg
import ledger
from batchrepo_codegen import devdb

from ..options import add_repeat, check_repeat, environment, row_counts
from ..timing import Samples, markdown_table, ms, ratio
from . import python_cost
from .bench_ops import OPERATIONS, RowFactory, Timings, measure_inserts, measure_operations

#: Row counts measured by default.
DEFAULT_SIZES = (100, 1_000, 10_000)
#: Rows for the Python-side costs: where a slow model layer would show.
PYTHON_COST_ROWS = 100_000


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench", description=__doc__.split("\n\n")[0]
    )
    add_repeat(parser, default=5)
    parser.add_argument(
        "--sizes",
        type=row_counts,
        default=list(DEFAULT_SIZES),
        help="comma-separated row counts (default 100,1000,10000)",
    )
    parser.add_argument(
        "--python-rows",
        type=int,
        default=PYTHON_COST_ROWS,
        help=f"rows for the Python-side costs, 0 to skip (default {PYTHON_COST_ROWS:,})",
    )
    args = parser.parse_args(argv)
    check_repeat(parser, args)
    return args


def _collect(samples: dict[tuple[str, int, str], Samples], size: int, timings: Timings) -> None:
    for (operation, method), elapsed in timings.items():
        samples.setdefault((operation, size, method), Samples()).add(elapsed)


def _database_table(samples: dict[tuple[str, int, str], Samples], sizes: Sequence[int]) -> str:
    def median(operation: str, size: int, method: str) -> float:
        found = samples.get((operation, size, method))
        return found.median if found else float("nan")

    rows = []
    for operation in OPERATIONS:
        for size in sizes:
            single = median(operation, size, "single")
            batch = median(operation, size, "batch")
            rows.append(
                [
                    operation,
                    f"{size:,}",
                    ms(single),
                    ms(batch),
                    ratio(single, batch),
                    ms(median(operation, size, "executemany")),
                    ms(median(operation, size, "copy")),
                ]
            )
    headers = [
        "operation",
        "rows",
        "single-row ms",
        "batch ms",
        "speed-up",
        "executemany ms",
        "COPY ms",
    ]
    return markdown_table(headers, rows)


def _python_table(costs: Sequence[python_cost.StageCost]) -> str:
    rows = [[c.stage, f"{c.rows:,}", ms(c.median_ms), f"{c.us_per_row:.2f}"] for c in costs]
    return markdown_table(["stage (Python side)", "rows", "median ms", "µs per row"], rows)


async def run(sizes: Sequence[int], repeat: int, python_rows: int) -> None:
    with devdb.server() as admin_url:
        name = devdb.unique_database_name("batchrepo_bench")
        url = await devdb.create_database(admin_url, name)
        try:
            conn = await asyncpg.connect(url)
            try:
                await conn.execute(ledger.ddl())
                print(f"# batchrepo benchmark, {datetime.date.today().isoformat()}")
                print()
                print(
                    f"{await environment(conn)}; table `person` (13 columns); "
                    f"medians of {repeat}; single-row = one-row method in a loop in one transaction"
                )
                samples: dict[tuple[str, int, str], Samples] = {}
                rows = RowFactory()
                for size in sizes:
                    for repetition in range(repeat):
                        _collect(samples, size, await measure_inserts(conn, rows, size, repetition))
                        _collect(
                            samples, size, await measure_operations(conn, rows, size, repetition)
                        )
                    print(f"bench: {size:,} rows done", file=sys.stderr)  # progress, off the report
                print()
                print(_database_table(samples, sizes))
                if python_rows > 0:
                    costs = await python_cost.measure(conn, python_rows, repeat)
                    print()
                    print(_python_table(costs))
            finally:
                await conn.close()
        finally:
            await devdb.drop_database(admin_url, name)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    asyncio.run(run(args.sizes, args.repeat, args.python_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
