"""The write paths of an insert side by side: statement against COPY, rows returned or counted,
and where the time of a COPY that returns entities goes (docs/design.md, "Write paths").

The ``plain`` table of the ``shapes`` golden case (9 columns: uuid, varchar, numeric(7,2),
char(3), enum, text, bool, smallint, timestamptz), on a fresh embedded PostgreSQL over a unix
socket. Every repetition runs each contender once, in alternating order; medians are printed.

    PYTHONPATH=. .venv/bin/python -m benchmarks.write_paths [--sizes 300,1000,10000] [--repeat 9]
        [--stages 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any

import asyncpg
from batchrepo_codegen import devdb

from batchrepo import operations as ops
from batchrepo.entities import built, entities
from batchrepo.session import WritePolicy, as_session
from batchrepo.validate.fields import field_problems
from batchrepo.write.copy import copy_insert, stored_rows
from tests.golden.kinds import CODEGEN
from tests.property.packages import import_from

COPY = WritePolicy(copy_from_rows=0)
STATEMENT = WritePolicy(copy_from_rows=None)


def _rows(plain: Any, n: int) -> list[Any]:
    now = datetime.datetime.now(datetime.UTC)
    return [
        plain.Plain(
            label=f"l{i}",
            amount=Decimal("12.50"),
            currency="EUR",
            mood="calm",
            active=True,
            created_at=now,
        )
        for i in range(n)
    ]


async def _timed(work: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await work()
    return (time.perf_counter() - started) * 1000


async def _paths(conn: asyncpg.Connection, plain: Any, sizes: Sequence[int], repeat: int) -> None:
    spec = plain.PLAIN_TABLE
    print("| rows | COPY | statement | COPY, returning=False | statement, returning=False |")
    print("|---|---|---|---|---|")
    for n in sizes:
        samples: dict[str, list[float]] = {}
        contenders = [
            ("copy", COPY, True),
            ("stmt", STATEMENT, True),
            ("copy_count", COPY, False),
            ("stmt_count", STATEMENT, False),
        ]
        for rep in range(repeat):
            for name, policy, returning in contenders if rep % 2 else contenders[::-1]:
                items = _rows(plain, n)
                session = as_session(conn, policy=policy)
                ms = await _timed(lambda: ops.save_batch(session, spec, items, returning=returning))  # noqa: B023
                samples.setdefault(name, []).append(ms)
                await conn.execute("TRUNCATE plain")
        m = {name: statistics.median(values) for name, values in samples.items()}
        print(
            f"| {n:,} | {m['copy']:.1f} ms | {m['stmt']:.1f} ms | {m['copy_count']:.1f} ms "
            f"| {m['stmt_count']:.1f} ms |"
        )


async def _stages(conn: asyncpg.Connection, plain: Any, n: int, repeat: int) -> None:
    """The stages of a COPY that returns entities, each timed alone, against raw COPY."""
    spec = plain.PLAIN_TABLE
    names = [column.name for column in spec.columns]
    samples: dict[str, list[float]] = {}

    def note(stage: str, started: float) -> None:
        samples.setdefault(stage, []).append((time.perf_counter() - started) * 1000)

    for _ in range(repeat):
        items = _rows(plain, n)
        started = time.perf_counter()
        columns = spec.to_columns(items)
        note("to_columns", started)
        started = time.perf_counter()
        field_problems(spec, columns, "insert")
        note("field checks", started)
        started = time.perf_counter()
        sent, _count = await copy_insert(conn, spec, columns)
        note("COPY", started)
        started = time.perf_counter()
        rows = built(lambda: stored_rows(spec, sent))  # noqa: B023
        note("rows as stored (collector paused)", started)
        started = time.perf_counter()
        entities(spec, rows)
        note("from_record (collector paused)", started)
        await conn.execute("TRUNCATE plain")
        session, fresh = as_session(conn, policy=COPY), _rows(plain, n)
        samples.setdefault("save_batch", []).append(
            await _timed(lambda: ops.save_batch(session, spec, fresh))  # noqa: B023
        )
        await conn.execute("TRUNCATE plain")
        records = list(zip(*spec.to_columns(_rows(plain, n)), strict=True))
        samples.setdefault("raw COPY", []).append(
            await _timed(
                lambda: conn.copy_records_to_table("plain", records=records, columns=names)  # noqa: B023
            )
        )
        await conn.execute("TRUNCATE plain")
    print(f"\n{n:,} rows, medians of {repeat}:")
    for stage, values in samples.items():
        print(f"- {stage}: {statistics.median(values):.1f} ms")


async def _main(sizes: Sequence[int], repeat: int, stage_rows: int) -> None:
    plain = import_from(CODEGEN.expected_dir("shapes"), "shapes").plain
    with devdb.server() as dsn:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(import_from(CODEGEN.expected_dir("shapes"), "shapes").ddl())
            await _paths(conn, plain, sizes, repeat)
            if stage_rows:
                await _stages(conn, plain, stage_rows, max(3, repeat // 2))
        finally:
            await conn.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.write_paths", description=__doc__)
    parser.add_argument("--sizes", default="300,1000,10000,30000")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--stages", type=int, default=100_000, help="rows for the stages, 0: skip")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    asyncio.run(_main(sizes, args.repeat, args.stages))


if __name__ == "__main__":
    main()
