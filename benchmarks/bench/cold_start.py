"""Cold start: the first batch call on a fresh connection against the same call on a warm one.

asyncpg learns the codecs of a statement's types on first use per connection (introspection
queries for ``_uuid``, ``_int2``, the enum arrays, ...) and prepares each statement once per
connection, so the first ``save_batch`` on a new connection costs more than every later one
(issue 9: 10-20 ms of introspection). Each repetition opens a fresh connection (untimed), times
one ``save_batch`` of ``ROWS`` new rows on the plain table, then a second one on the same
connection, and does the same on a connection set up by the runtime's ``init`` hook,
``batchrepo.TypeCodecs`` (what ``batchrepo.create_pool`` installs): one instance for the whole
run, as in a pool, so the catalog is read once and each later connection gets the codecs handed
over. The hook's own time per connection is its own row. Samples go into the results as
operation ``cold start``.
"""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

import batchrepo

from ..timing import rotated, timed
from .results import Results, Sample
from .workload import Lane

OPERATION = "cold start"
ROWS = 100
FIRST = "first save_batch, fresh connection"
WARM = "second save_batch, same connection"
HOOKED = "first save_batch, fresh connection, TypeCodecs hook"
HOOK = "the TypeCodecs hook itself, per connection"


async def _record(results: Results, lane: Lane, name: str, repetition: int, ms: float) -> None:
    results.samples.append(Sample(OPERATION, name, "batchrepo", lane.label, ROWS, repetition, ms))


async def _first_calls(
    lane: Lane, hook: Callable[[Any], Awaitable[None]] | None, repetition: int, results: Results
) -> None:
    """Open a connection (untimed, but for the hook), time the first ``save_batch``, and on a
    plain connection a second one."""
    connection = await asyncpg.connect(lane.dsn)
    try:
        if hook is not None:
            _, elapsed = await timed(lambda: hook(connection))
            await _record(results, lane, HOOK, repetition, elapsed)
        repo = lane.repository(connection)
        for name in (FIRST, WARM) if hook is None else (HOOKED,):
            items = lane.rows.make(ROWS)
            gc.collect()
            _, elapsed = await timed(lambda: repo.save_batch(items))  # noqa: B023
            await _record(results, lane, name, repetition, elapsed)
    finally:
        await connection.close()


async def measure(lane: Lane, repeat: int, results: Results) -> None:
    hooks: list[Any] = [None, batchrepo.TypeCodecs(lane.package)]
    for repetition in range(repeat):
        await lane.truncate()
        for each in rotated(hooks, repetition):
            await _first_calls(lane, each, repetition, results)
