"""Python-side cost per row: what the repository layer adds before and after the database.

Run: ``PYTHONPATH=generated .venv/bin/python -m benchmarks.bench.costs.python_cost [rows]``
(default 100,000 rows, median of 5).

At 100,000 rows binary COPY takes about 0.44 s on this machine (field notes part 3), ~4.4 µs a
row; a model layer costing 9 µs a row would dominate it. This measures each stage the batch path
runs in Python, on ``person`` rows, so the report shows whether that happened:

* entity creation: ``Person(...)`` from ready values (what a caller pays to have rows at all);
* ``to_columns``: entities to one list per column (the generated ``_to_columns``);
* validation: the column-wise checks run before any SQL (``validate_columns``);
* batch arguments: column lists to the statement's arguments (``encoding.batch_arguments``);
* ``from_record``: asyncpg records back to entities (the generated ``_from_record``), on real
  records fetched from PostgreSQL, not tuples, since record indexing has its own cost.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import sys
from collections.abc import Callable
from typing import Any

import asyncpg
import ledger
from batchrepo_codegen import devdb
from ledger import Person
from ledger.person import PERSON_TABLE

from batchrepo.db.arguments import batch_arguments
from batchrepo.validate.fields import validate_columns

from ...timing import Samples, markdown_table, ms, timed_sync
from ..rows import RowFactory


@dataclasses.dataclass(frozen=True, slots=True)
class StageCost:
    stage: str
    rows: int
    median_ms: float

    @property
    def us_per_row(self) -> float:
        return self.median_ms * 1000.0 / self.rows


def _median_ms(work: Callable[[], object], repeat: int) -> float:
    samples = Samples()
    for _ in range(repeat):
        # A collection triggered by the previous repetition's garbage is not this stage's cost.
        gc.collect()
        samples.add(timed_sync(work)[1])
    return float(samples.median)


def _field_values(items: list[Person]) -> list[dict[str, Any]]:
    """Keyword arguments that rebuild each entity: creation is then timed on its own."""
    names = [f.name for f in dataclasses.fields(Person)]
    return [{name: getattr(p, name) for name in names} for p in items]


async def measure(
    conn: asyncpg.Connection[asyncpg.Record], rows: int, repeat: int
) -> list[StageCost]:
    """Median cost of each stage over ``repeat`` runs on ``rows`` person rows.

    Leaves ``rows`` persons in the table (written by COPY to fetch real records back).
    """
    items = RowFactory().make(rows)
    kwargs = _field_values(items)
    columns = PERSON_TABLE.to_columns(items)
    await conn.execute('TRUNCATE "person" CASCADE')
    sent = [c for c in PERSON_TABLE.columns if c.name not in ("created_at", "version")]
    await conn.copy_records_to_table(
        PERSON_TABLE.table,
        records=[tuple(getattr(p, c.attr) for c in sent) for p in items],
        columns=[c.name for c in sent],
    )
    # The statement the repository itself uses to read rows, so the column order is its own.
    records = await conn.fetch(PERSON_TABLE.sql.select_batch, [p.id for p in items])
    if len(records) != rows:
        raise AssertionError(f"fetched {len(records)} of {rows} person rows")
    stages: list[tuple[str, Callable[[], object]]] = [
        ("entity creation", lambda: [Person(**kw) for kw in kwargs]),
        ("to_columns", lambda: PERSON_TABLE.to_columns(items)),
        ("validation (insert)", lambda: validate_columns(PERSON_TABLE, columns, "insert")),
        (
            "batch arguments",
            lambda: batch_arguments(PERSON_TABLE, columns, PERSON_TABLE.insert_columns),
        ),
        ("from_record", lambda: [PERSON_TABLE.from_record(r) for r in records]),
    ]
    return [StageCost(name, rows, _median_ms(work, repeat)) for name, work in stages]


async def _main(rows: int, repeat: int) -> None:
    with devdb.server() as admin_url:
        name = devdb.unique_database_name("python_cost")
        url = await devdb.create_database(admin_url, name)
        try:
            conn = await asyncpg.connect(url)
            try:
                await conn.execute(ledger.ddl())
                costs = await measure(conn, rows, repeat)
            finally:
                await conn.close()
        finally:
            await devdb.drop_database(admin_url, name)
    table = [[c.stage, f"{c.rows:,}", ms(c.median_ms), f"{c.us_per_row:.2f}"] for c in costs]
    print(markdown_table(["stage (Python side)", "rows", "median ms", "µs per row"], table))


if __name__ == "__main__":
    asyncio.run(_main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, 5))
