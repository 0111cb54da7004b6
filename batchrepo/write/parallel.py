"""Chunks in flight on several pool connections at once (``concurrency=n``, opt-in).

Only for chunks that commit on their own (``atomic=False``) on a pool: one transaction cannot
span connections, and a single connection runs one statement at a time. Up to ``n`` chunks run
at once, each on a connection the pool lends (a pool smaller than ``n`` makes the rest wait), and
the input is read only as fast as slots free up, so memory stays at about ``n + 1`` chunks.

The client does the checks and builds the arguments of one chunk while the server runs another's
statement, and several server backends work at once: the gain is what the server has in spare
cores and what the client spends per chunk (see docs/generated-api.md for measurements).

Chunks finish in any order; the result puts them back in input order. Chunks that depend on each
other (a parent in one, its child in another; one key in two chunks) see each other only once
committed, so which of them fails follows commit order, not input order: give ``concurrency``
only to chunks that stand alone. A failing chunk is recorded and the others go on, as without
concurrency; an unexpected error (a lost connection, one from the input) stops reading the input,
lets the chunks in flight finish so their outcome is known, and is raised with a note naming the
row ranges written (cancelling the call cancels the chunks in flight instead).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TypeVar

import asyncpg

from batchrepo.chunks import Chunk
from batchrepo.db import executor
from batchrepo.write.chunk_results import Tally
from batchrepo.write.chunk_runs import ChunkRunner, Learning, run_recorded

R = TypeVar("R")
T = TypeVar("T")


async def run_parallel(
    pool: asyncpg.Pool,
    chunks: AsyncIterator[Chunk[R]],
    learning: Learning,
    tally: Tally[T],
    run_chunk: ChunkRunner[R, T],
    concurrency: int,
) -> None:
    """Run every chunk, up to ``concurrency`` at once, each on a connection of ``pool``."""
    in_flight: set[asyncio.Task[None]] = set()

    async def one(start: int, rows: list[R]) -> None:
        async with executor.acquire(pool) as conn:
            await run_recorded(conn, learning.recorder, tally, run_chunk, start, rows)

    try:
        async for start, rows in chunks:
            tally.read(len(rows))
            while len(in_flight) >= concurrency:
                finished, in_flight = await asyncio.wait(
                    in_flight, return_when=asyncio.FIRST_COMPLETED
                )
                _raise_first_failure(finished)
            in_flight.add(asyncio.create_task(one(start, rows)))
        while in_flight:
            finished, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            _raise_first_failure(finished)
    except BaseException as failure:
        if not isinstance(failure, Exception):  # cancelled or interrupted: stop them all
            for task in in_flight:
                task.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)
        if isinstance(failure, Exception):
            tally.note_progress(failure)
        raise


def _raise_first_failure(finished: set[asyncio.Task[None]]) -> None:
    """Re-raise what a chunk raised beyond its own refusal (a ``BatchRepoError`` is recorded,
    not raised); every exception is retrieved so none is reported as lost."""
    failures = [task.exception() for task in finished if not task.cancelled()]
    for failure in failures:
        if failure is not None:
            raise failure
