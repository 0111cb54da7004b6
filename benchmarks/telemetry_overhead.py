"""What telemetry costs an operation, with no OpenTelemetry SDK installed and with one.

batchrepo opens one span and records a few metric points per operation through the
OpenTelemetry API (batchrepo/observe/telemetry.py). Without an SDK the API's proxies do nothing,
and that is the case this must keep negligible. Two measurements:

* **per call**: the operation's telemetry alone (``Observed``: span, attributes, metric points,
  on success), ``--calls`` times in a loop, against the same loop around an empty context
  manager; medians over ``--repeat`` rounds, in microseconds per call;
* **per operation**: ``person.load_batch`` of 10 keys and ``person.exists_batch`` of 10 keys on
  one warm connection (the ledger package, embedded PostgreSQL), ``--ops`` calls per variant and
  round, variants in a rotating order; medians in microseconds.

The SDK variant is what an application would run: a ``TracerProvider`` with a
``BatchSpanProcessor`` (its exporter drops the spans: exporting is the exporter's cost, not
batchrepo's) and a ``MeterProvider`` whose reader aggregates every point.

    PYTHONPATH=generated .venv/bin/python -m benchmarks.telemetry_overhead [--repeat 7]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext

import asyncpg
import ledger
from batchrepo_codegen import devdb
from ledger import PersonRepository
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from batchrepo import as_session, use_providers
from batchrepo.observe import Observed

from .options import add_repeat, check_repeat, environment
from .timing import markdown_table, rotated

VARIANTS = ("no SDK", "SDK")
#: The per-call loop also takes the SDK apart: its tracing and its metrics alone.
PARTS = ("no SDK", "SDK, metrics only", "SDK, spans only", "SDK")


class _Dropped(SpanExporter):
    """An exporter that drops what it is given: the cost measured is batchrepo's and the
    SDK's, not a collector's."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


@contextmanager
def _sdk(spans: bool = True, metrics: bool = True) -> Iterator[None]:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(_Dropped()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    use_providers(tracer_provider if spans else None, meter_provider if metrics else None)
    try:
        yield
    finally:
        use_providers()
        tracer_provider.shutdown()
        meter_provider.shutdown()


def _variant(name: str) -> AbstractContextManager[None]:
    if name == "no SDK":
        return nullcontext()
    return _sdk(spans="metrics only" not in name, metrics="spans only" not in name)


def _per_call(calls: int, repeat: int) -> dict[str, float]:
    """Microseconds per call of an operation's telemetry, the empty loop subtracted."""
    session = as_session(_NoConnection())  # type: ignore[arg-type]
    spec = ledger.person.PERSON_TABLE

    def loop(observed: bool) -> float:
        started = time.perf_counter()
        for _ in range(calls):
            if observed:
                with Observed("load_batch", spec, session, 10) as seen:
                    seen.returned = 10
            else:
                with nullcontext():
                    pass
        return (time.perf_counter() - started) / calls * 1e6

    samples: dict[str, list[float]] = {name: [] for name in PARTS}
    for repetition in range(repeat):
        for name in rotated(PARTS, repetition):
            with _variant(name):
                samples[name].append(loop(True) - loop(False))
    return {name: statistics.median(values) for name, values in samples.items()}


class _NoConnection:
    """A session's executor that is never used: the per-call loop sends nothing."""

    def is_in_transaction(self) -> bool:
        return False


async def _per_operation(conn: asyncpg.Connection, ops: int, repeat: int) -> list[list[str]]:
    people = PersonRepository(conn)
    rows = await conn.fetch('SELECT "id" FROM "person" LIMIT 10')
    keys = [row[0] for row in rows]
    calls = {"load_batch(10)": people.load_batch, "exists_batch(10)": people.exists_batch}
    samples: dict[tuple[str, str], list[float]] = {}
    for repetition in range(repeat):
        for name in rotated(VARIANTS, repetition):
            with _variant(name):
                for operation, call in calls.items():
                    await call(keys)  # warm: statement prepared, SDK instruments made
                    started = time.perf_counter()
                    for _ in range(ops):
                        await call(keys)
                    each = (time.perf_counter() - started) / ops * 1e6
                    samples.setdefault((operation, name), []).append(each)
    table = []
    for operation in calls:
        bare, sdk = (statistics.median(samples[(operation, v)]) for v in VARIANTS)
        table.append([operation, f"{bare:.0f}", f"{sdk:.0f}", f"{sdk - bare:+.0f}"])
    return table


async def run(calls: int, ops: int, repeat: int) -> None:
    per_call = _per_call(calls, repeat)
    with devdb.server() as admin_url:
        name = devdb.unique_database_name("telemetry_overhead")
        url = await devdb.create_database(admin_url, name)
        try:
            conn = await asyncpg.connect(url)
            try:
                await conn.execute(ledger.ddl())
                await conn.execute(
                    'INSERT INTO "person" ("person_type", "display_name", "external_identifier") '
                    "SELECT 'natural', 'person ' || n, 'X' || n FROM generate_series(1, 100) AS n"
                )
                print(await environment(conn))
                table = await _per_operation(conn, ops, repeat)
            finally:
                await conn.close()
        finally:
            await devdb.drop_database(admin_url, name)
    print()
    print(f"Telemetry of one operation alone (medians of {repeat} rounds of {calls:,} calls):")
    print()
    rows = [[name, f"{per_call[name]:.1f}"] for name in PARTS]
    print(markdown_table(["variant", "µs per call"], rows))
    print()
    print(f"Whole operations on a warm connection (medians of {repeat} rounds of {ops} calls):")
    print()
    print(markdown_table(["operation", "no SDK µs", "SDK µs", "difference µs"], table))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.telemetry_overhead", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--calls", type=int, default=100_000, help="calls per round, per call")
    parser.add_argument("--ops", type=int, default=500, help="operations per round and variant")
    add_repeat(parser, 7)
    args = parser.parse_args(argv)
    check_repeat(parser, args)
    asyncio.run(run(args.calls, args.ops, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
