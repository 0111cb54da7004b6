"""Cold start: the first batch call on a fresh connection against the same call on a warm one.

asyncpg learns the codecs of a statement's types on first use per connection (introspection
queries for ``_uuid``, ``_int2``, the enum arrays, ...) and prepares each statement once per
connection, so the first ``save_batch`` on a new connection costs more than every later one
(issue 9: 10-20 ms of introspection). Each repetition opens a fresh connection (untimed), times
one ``save_batch`` of ``ROWS`` new rows on the plain table, then a second one on the same
connection, and, where the runtime offers a connection set-up hook, does the same on a
connection set up by it. Samples go into the results as operation ``cold start``.
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
HOOKED = "first save_batch, fresh connection set up by batchrepo"

#: How a fresh connection is opened: plain asyncpg, or with the runtime's set-up hook.
Opener = Callable[[str, Any], Awaitable[Any]]


async def _plain(dsn: str, package: Any) -> Any:
    return await asyncpg.connect(dsn)


async def _hooked(dsn: str, package: Any) -> Any:
    connection = await asyncpg.connect(dsn)
    await batchrepo.init_connection(connection, package)  # type: ignore[attr-defined]
    return connection


#: (label of the first call, opener); the warm call is measured after the plain opener only.
OPENERS: list[tuple[str, Opener]] = [(FIRST, _plain)]
if hasattr(batchrepo, "init_connection"):
    OPENERS.append((HOOKED, _hooked))


async def measure(lane: Lane, repeat: int, results: Results) -> None:
    for repetition in range(repeat):
        await lane.truncate()
        for label, opener in rotated(OPENERS, repetition):
            connection = await opener(lane.dsn, lane.package)
            try:
                repo = lane.repository(connection)
                for name in (label, WARM) if opener is _plain else (label,):
                    items = lane.rows.make(ROWS)
                    gc.collect()
                    _, elapsed = await timed(lambda: repo.save_batch(items))  # noqa: B023
                    results.samples.append(
                        Sample(OPERATION, name, "batchrepo", lane.label, ROWS, repetition, elapsed)
                    )
            finally:
                await connection.close()
