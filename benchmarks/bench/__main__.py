"""``make bench``: batchrepo against its peers, every operation and size, in one process.

On the same ``person`` rows and table (13 columns; generated without audit, and the audited
table of ``ledger``), per size and repetition, interleaved in a rotating order: batchrepo's
batch methods (each path the runtime offers), the one-row methods in a loop (autocommit, and in
one transaction), raw asyncpg (executemany, ``INSERT .. SELECT FROM unnest`` with and without
``RETURNING``, binary COPY, ``= ANY``) and SQLAlchemy 2 (ORM bulk insert and update, Core
executemany, ``IN`` loads); for insert, load, exists, update, delete and upsert. Then the cold
start (first call on a fresh connection against a warm one) and streamed imports with their peak
memory, each in a child process. Writes ``<out>/<name>.json`` (every sample), ``.md`` (the
tables with issue 9's targets as pass/fail; also printed) and ``.png`` (rows/s by batch size).

    PYTHONPATH=generated .venv/bin/python -m benchmarks.bench [--quick] [--proxy-delay-ms 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import platform
import shlex
import statistics
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import ledger
from batchrepo_codegen import devdb

from ..audit.plain_twin import plain_twin
from ..options import environment, row_counts
from ..timing import machine
from . import cold_start, runner, streamed
from .contenders import MISSING, PEERS
from .plot import plot
from .proxy import delay_proxy, proxied_dsn
from .registry import AUDITED, OPERATIONS, PLAIN
from .report import markdown
from .results import Results, load, save
from .rows import RowFactory
from .workload import Lane

ROOT = Path(__file__).resolve().parents[2]
FULL_SIZES = [100, 1_000, 10_000, 100_000]
QUICK_SIZES = [100, 1_000, 10_000]


def _stream_sizes(text: str) -> list[int]:
    return [] if text.strip() == "0" else row_counts(text)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="sizes up to 10,000, 3 repetitions, loops up to 100 rows, streamed imports of "
        "10,000 and 100,000 rows (about 2 minutes)",
    )
    parser.add_argument("--sizes", type=row_counts, help="batch sizes (default 100 to 100,000)")
    parser.add_argument("--repeat", type=int, help="repetitions (default 5, quick 3)")
    parser.add_argument(
        "--loop-max",
        type=int,
        help="largest batch the single-row loops run at (default 1,000, quick 100)",
    )
    parser.add_argument(
        "--operations",
        default=",".join(OPERATIONS),
        help=f"comma-separated subset of {','.join(OPERATIONS)}",
    )
    parser.add_argument(
        "--warm-up-rows",
        type=int,
        default=20,
        help="rows of the untimed round of every contender first, 0 to skip (default 20)",
    )
    parser.add_argument("--only", default="", help="comma-separated words: contenders to keep")
    parser.add_argument(
        "--proxy-delay-ms",
        type=float,
        default=0.0,
        help="run every connection through a loopback proxy adding this delay per direction",
    )
    parser.add_argument(
        "--stream-sizes",
        type=_stream_sizes,
        help="streamed import sizes, 0 to skip (default 100,000 and 1,000,000; quick 10,000 "
        "and 100,000)",
    )
    parser.add_argument("--stream-chunk", type=int, default=10_000, help="rows per chunk")
    parser.add_argument("--stream-repeat", type=int, default=1, help="runs per streamed import")
    parser.add_argument("--cold-repeat", type=int, help="cold-start repetitions (default 20)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--name", default="latest", help="file stem of the outputs")
    parser.add_argument("--no-plot", action="store_true", help="skip the PNG (no matplotlib)")
    parser.add_argument(
        "--replot", type=Path, help="redraw the markdown and PNG from this JSON; measure nothing"
    )
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.command = shlex.join(["python", "-m", "benchmarks.bench", *argv])
    args.sizes = args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    args.repeat = args.repeat or (3 if args.quick else 5)
    args.loop_max = args.loop_max or (100 if args.quick else 1_000)
    args.cold_repeat = args.cold_repeat or (10 if args.quick else 20)
    if args.stream_sizes is None:
        args.stream_sizes = [10_000, 100_000] if args.quick else [100_000, 1_000_000]
    args.operations = [op.strip() for op in args.operations.split(",") if op.strip()]
    unknown = sorted(set(args.operations) - set(OPERATIONS))
    if unknown:
        parser.error(f"--operations: unknown {', '.join(unknown)} (known: {', '.join(OPERATIONS)})")
    for name in ("repeat", "loop_max", "stream_chunk", "stream_repeat", "cold_repeat"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.proxy_delay_ms < 0:
        parser.error("--proxy-delay-ms must not be negative")
    return args


async def _round_trip_ms(conn: Any) -> float:
    """Median of 200 ``SELECT 1`` round trips: what the network (or the proxy) costs."""
    samples = []
    for _ in range(200):
        started = time.perf_counter()
        await conn.fetchval("SELECT 1")
        samples.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(samples)


@asynccontextmanager
async def _database(admin_url: str, prefix: str) -> AsyncIterator[str]:
    name = devdb.unique_database_name(prefix)
    url = await devdb.create_database(admin_url, name)
    try:
        yield url
    finally:
        await devdb.drop_database(admin_url, name)


async def _lane(
    stack: AsyncExitStack, label: str, package: ModuleType, dsn: str, start: int
) -> Lane:
    conn = await asyncpg.connect(dsn)
    stack.push_async_callback(conn.close)
    await conn.execute(package.ddl())
    return Lane(label, package, dsn, conn, RowFactory(package, start=start))


async def _run(
    args: argparse.Namespace, admin_url: str, plain: ModuleType, twin_path: Path
) -> Results:
    async with AsyncExitStack() as stack:
        plain_url = await stack.enter_async_context(_database(admin_url, "bench_plain"))
        audited_url = await stack.enter_async_context(_database(admin_url, "bench_audited"))
        with ExitStack() as proxies:
            if args.proxy_delay_ms > 0:
                plain_url = proxied_dsn(
                    plain_url, proxies.enter_context(delay_proxy(plain_url, args.proxy_delay_ms))
                )
                audited_url = proxied_dsn(
                    audited_url,
                    proxies.enter_context(delay_proxy(audited_url, args.proxy_delay_ms)),
                )
            plain_lane = await _lane(stack, PLAIN, plain, plain_url, 0)
            audited_lane = await _lane(stack, AUDITED, ledger, audited_url, 0)
            for peer in PEERS:
                await peer.attach(plain_lane)
                stack.push_async_callback(peer.detach, plain_lane)
            results = Results(
                environment={
                    "date": datetime.date.today().isoformat(),
                    "summary": await environment(plain_lane.conn),
                    "python": platform.python_version(),
                    "machine": machine(),
                    "transport": "TCP through the delay proxy"
                    if args.proxy_delay_ms
                    else "a unix socket",
                    "round_trip_ms": await _round_trip_ms(plain_lane.conn),
                    "missing": MISSING,
                },
                options={
                    "command": args.command,
                    "sizes": args.sizes,
                    "repeat": args.repeat,
                    "loop_max": args.loop_max,
                    "proxy_delay_ms": args.proxy_delay_ms,
                    "stream_sizes": args.stream_sizes,
                    "stream_chunk": args.stream_chunk,
                    "cold_repeat": args.cold_repeat,
                    "warm_up_rows": args.warm_up_rows,
                    "quick": args.quick,
                },
            )
            for line in MISSING:
                print(f"bench: {line}", file=sys.stderr)
            plan = runner.Plan(
                args.sizes,
                args.repeat,
                args.loop_max,
                [w.strip() for w in args.only.split(",") if w.strip()],
                args.operations,
            )
            if args.warm_up_rows > 0:
                await runner.warm_up([plain_lane, audited_lane], plan, args.warm_up_rows)
            await runner.measure([plain_lane, audited_lane], plan, results)
            await cold_start.measure(plain_lane, args.cold_repeat, results)
            if args.stream_sizes:
                results.streamed = await streamed.measure(
                    plain_lane.conn,
                    plain_url,
                    plain,
                    twin_path,
                    args.stream_sizes,
                    args.stream_chunk,
                    args.stream_repeat,
                )
            environment_after = machine()
            results.environment["machine_after"] = environment_after
            return results


def _write(results: Results, args: argparse.Namespace) -> None:
    report = markdown(results)
    print(report)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    save(results, out / f"{args.name}.json")
    (out / f"{args.name}.md").write_text(report, encoding="utf-8")
    if not args.no_plot:
        plot(results, out / f"{args.name}.png")


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    if args.replot:
        _write(load(args.replot), args)
        return 0
    with devdb.server() as admin_url, plain_twin(ROOT / "schema.yaml") as plain:
        twin_path = Path(str(plain.__file__)).resolve().parents[1]
        results = asyncio.run(_run(args, admin_url, plain, twin_path))
    _write(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
