"""Time of one batch insert and one batch update of rows with array columns, by batch size.

Run: ``.venv/bin/python -m benchmarks.bench.costs.array_cost [rows ...]`` (embedded PostgreSQL, or
``DATABASE_URL``; default sizes 10,000 and 40,000). The rows go to the hand-written
``ledger_entry`` table (``tags text[]`` with one to four short texts, ``codes int4[]``), each size
as one ``save_batch`` statement into an empty table, then one ``update_batch`` of every row.
Variable-width elements (text, numeric) are where a statement's way of rebuilding each row's
array shows: slicing one flat array per row walks it from the start, so it grows quadratically.
"""

from __future__ import annotations

import asyncio
import sys
import time

from batchrepo_codegen import devdb

from batchrepo import operations as ops
from tests.runtime.builders import account, entry, person
from tests.runtime.tables import ACCOUNT, DDL, LEDGER_ENTRY, PERSON, LedgerEntry

DEFAULT_SIZES = (10_000, 40_000)


def entries(rows: int) -> list[LedgerEntry]:
    return [
        entry(
            tags=[f"tag {i}", "ünïcødé", None, str(i * 7)][: 1 + i % 4],
            codes=[i % 7, i % 11],
        )
        for i in range(rows)
    ]


async def measure(sizes: list[int]) -> None:
    import asyncpg

    with devdb.server() as admin_url:
        name = devdb.unique_database_name("array_cost")
        url = await devdb.create_database(admin_url, name)
        try:
            conn = await asyncpg.connect(url)
            try:
                await conn.execute(DDL)
                owner = await ops.save_one(conn, PERSON, person())
                await ops.save_one(conn, ACCOUNT, account(owner.id))
                await ops.save_batch(conn, LEDGER_ENTRY, entries(10))  # prepare once
                print("| rows | save_batch s | update_batch s |")
                print("|-----:|-------------:|---------------:|")
                for rows in sizes:
                    await conn.execute('TRUNCATE "ledger_entry"')
                    items = entries(rows)
                    started = time.perf_counter()
                    saved = await ops.save_batch(conn, LEDGER_ENTRY, items)
                    insert = time.perf_counter() - started
                    assert [s.tags for s in saved] == [i.tags for i in items]
                    for item in saved:
                        item.tags = None if item.tags is None else [*item.tags, "more"]
                    started = time.perf_counter()
                    updated = await ops.update_batch(conn, LEDGER_ENTRY, saved)
                    update = time.perf_counter() - started
                    assert len(updated) == rows
                    print(f"| {rows:,} | {insert:.2f} | {update:.2f} |", flush=True)
            finally:
                await conn.close()
        finally:
            await devdb.drop_database(admin_url, name)


if __name__ == "__main__":
    asyncio.run(measure([int(a) for a in sys.argv[1:]] or list(DEFAULT_SIZES)))
