"""Python-side cost per row of the runtime, next to the database time it sits beside, on the
runtime tests' hand-written tables (``tests/runtime/tables``), so no generated package is needed;
``python_cost`` measures the same stages on the generated ``ledger`` for ``make bench``.

Run: ``.venv/bin/python -m benchmarks.bench.costs.runtime_cost [rows]`` (embedded PostgreSQL, or
``DATABASE_URL``). Per stage, the best of three runs over ``rows`` rows (default 100,000):
``to_columns`` (generated code), validation (fields and duplicate keys), encoding into statement
arguments, ``from_record`` on real asyncpg records, and for scale the whole ``save_batch`` and
``load_batch`` round trips. The field notes set the bar: a model layer of 9 µs/row costs more than
the whole COPY; the runtime aims well under 2 µs/row.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import asyncpg
from batchrepo_codegen import devdb

from batchrepo import operations as ops
from batchrepo.db.arguments import batch_arguments, decoded_rows, key_arrays
from batchrepo.spec import TableSpec
from batchrepo.validate.fields import raise_for_problems
from batchrepo.write.apply import insert_positions
from tests.runtime.builders import account, entry, person
from tests.runtime.tables import ACCOUNT, DDL, LEDGER_ENTRY, PERSON, Person, PersonType


def _best_us_per_row(rows: int, action: Callable[[], object]) -> float:
    best = min(_timed(action) for _ in range(3))
    return best / rows * 1e6


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def python_costs(
    spec: TableSpec[Any, Any], items: Sequence[Any], records: Sequence[Any]
) -> dict[str, float]:
    """µs per row of each Python stage of a batch write and a batch load."""
    rows = len(items)
    columns = spec.to_columns(items)
    positions = insert_positions(spec)
    costs = {
        "to_columns": _best_us_per_row(rows, lambda: spec.to_columns(items)),
        "validate": _best_us_per_row(
            rows, lambda: raise_for_problems(spec, items, columns, "insert")
        ),
        "encode": _best_us_per_row(rows, lambda: batch_arguments(spec, columns, positions)),
        "from_record": _best_us_per_row(
            rows, lambda: [spec.from_record(r) for r in decoded_rows(spec, records)]
        ),
    }
    costs["write path (to_columns+validate+encode)"] = (
        costs["to_columns"] + costs["validate"] + costs["encode"]
    )
    return costs


async def _round_trip(
    pool: asyncpg.Pool, spec: TableSpec[Any, Any], items: list[Any], one_statement: int
) -> tuple[dict[str, float], list[Any]]:
    """Whole-operation µs per row, and the records of every row saved (for from_record).

    The first ``one_statement`` rows go in one save_batch; any rest through save_batch_chunked.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    saved = await ops.save_batch(pool, spec, items[:one_statement])
    timings[f"save_batch, {one_statement:,} rows (whole)"] = _per_row(started, one_statement)
    if len(items) > one_statement:
        rest = items[one_statement:]
        started = time.perf_counter()
        saved += (await ops.save_batch_chunked(pool, spec, rest, chunk_size=1000)).items
        timings[f"save_batch_chunked(1000), {len(rest):,} rows"] = _per_row(started, len(rest))
    keys = [spec.key_of(s) for s in saved]
    started = time.perf_counter()
    await ops.load_batch(pool, spec, keys)
    timings[f"load_batch, {len(keys):,} rows (whole)"] = _per_row(started, len(keys))
    records = await pool.fetch(spec.sql.select_batch, *key_arrays(spec, keys))
    return timings, records


def _per_row(started: float, rows: int) -> float:
    return (time.perf_counter() - started) / rows * 1e6


def _calibration(rows: int) -> float:
    """µs per row to build a 7-field slotted dataclass: 0.43 in the field notes' measurements,
    so the other figures can be scaled to a machine's speed and load."""
    values = list(range(rows))
    kind = PersonType.LEGAL
    return _best_us_per_row(
        rows,
        lambda: [
            Person(
                id=None,  # type: ignore[arg-type]
                person_type=kind,
                display_name="x",
                balance=v,  # type: ignore[arg-type]
                external_identifier=None,
                organization_person_id=None,
                created_at=None,
            )
            for v in values
        ],
    )


async def measure(rows: int) -> None:
    with devdb.server() as admin_url:
        name = devdb.unique_database_name("python_cost")
        url = await devdb.create_database(admin_url, name)
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
            try:
                await pool.execute(DDL)
                people = [
                    person(
                        display_name=f"person number {i}",
                        person_type=PersonType.LEGAL if i % 3 else PersonType.NATURAL,
                        external_identifier=f"EXT-{i}" if i % 2 else None,
                        balance=Decimal(i) / 100,
                    )
                    for i in range(rows)
                ]
                owner = await ops.save_one(pool, PERSON, person())
                await ops.save_one(pool, ACCOUNT, account(owner.id))
                entries = [
                    entry(tags=["t", str(i)], codes=[i % 7], payload={"n": i}) for i in range(rows)
                ]
                print(f"calibration: builder making a Person {_calibration(rows):.3f} µs/row")
                cases: list[tuple[TableSpec[Any, Any], list[Any], int]] = [
                    (PERSON, people, rows),
                    (LEDGER_ENTRY, entries, rows),
                ]
                for spec, items, limit in cases:
                    whole, records = await _round_trip(pool, spec, items, limit)
                    costs = python_costs(spec, items, records) | whole
                    print(f"\n{spec.table}: {len(spec.columns)} columns, {rows:,} rows (µs/row)")
                    for stage, cost in costs.items():
                        print(f"  {stage:<42} {cost:7.3f}")
            finally:
                await pool.close()
        finally:
            await devdb.drop_database(admin_url, name)


if __name__ == "__main__":
    asyncio.run(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
