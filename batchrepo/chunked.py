"""Inputs of any size, sent as a series of batches of at most ``chunk_size`` rows.

``atomic=True`` runs every chunk inside one transaction (a savepoint inside the caller's): all
rows or none, validated as a whole before the first statement, and an error re-raised with its row
indexes counted from the start of the whole input. ``atomic=False`` commits chunk by chunk, carries
on after a chunk fails and reports the failure in ``BatchResult.errors`` (row indexes likewise
counted over the whole input), so one bad row costs its own chunk only.

One runner serves the four operations; they differ only in what one chunk does.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from batchrepo import executor
from batchrepo.errors import BatchRepoError
from batchrepo.executor import Connection
from batchrepo.session import Target, as_session
from batchrepo.spec import E, K, TableSpec, WriteMode
from batchrepo.writes import delete_batch_on, prepare, statement_for, write_batch

T = TypeVar("T")

DEFAULT_CHUNK_SIZE = 1000


@dataclass(frozen=True, slots=True)
class BatchStats:
    """Counts over the whole input. ``affected`` is what the database reported: rows written,
    or for deletes the rows that existed and were deleted."""

    total: int
    succeeded: int
    failed: int
    chunks: int
    duration_ms: float
    affected: int = 0


@dataclass(frozen=True, slots=True)
class ChunkError:
    """A chunk that failed: rows ``start`` (inclusive) to ``stop`` (exclusive) of the input."""

    start: int
    stop: int
    error: BatchRepoError


@dataclass(slots=True)
class BatchResult(Generic[T]):
    """What a chunked call did: rows returned by the chunks that succeeded, in input order."""

    items: list[T]
    stats: BatchStats
    errors: list[ChunkError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


#: Runs rows [start, stop) on the connection; returns what to report and the database's count.
ChunkRunner = Callable[[Connection, int, int], Awaitable[tuple[list[T], int]]]


async def run_in_chunks(
    target: Target, total: int, chunk_size: int, atomic: bool, run_chunk: ChunkRunner[T]
) -> BatchResult[T]:
    """Drive ``run_chunk`` over [0, total) in chunks; see the module docstring for ``atomic``."""
    ex = as_session(target).executor
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")
    started = time.perf_counter()
    bounds = [(start, min(start + chunk_size, total)) for start in range(0, total, chunk_size)]
    items: list[T] = []
    failures: list[ChunkError] = []
    affected = 0
    if bounds:
        async with executor.acquire(ex) as conn:
            if atomic:
                async with executor.atomic(conn):
                    for start, stop in bounds:
                        done, count = await _shifted_on_error(run_chunk(conn, start, stop), start)
                        items += done
                        affected += count
            else:
                for start, stop in bounds:
                    try:
                        done, count = await run_chunk(conn, start, stop)
                    except BatchRepoError as error:
                        failures.append(ChunkError(start, stop, error.with_row_offset(start)))
                        continue
                    items += done
                    affected += count
    failed = sum(f.stop - f.start for f in failures)
    stats = BatchStats(
        total=total,
        succeeded=total - failed,
        failed=failed,
        chunks=len(bounds),
        duration_ms=(time.perf_counter() - started) * 1000,
        affected=affected,
    )
    return BatchResult(items, stats, failures)


async def _shifted_on_error(
    chunk: Awaitable[tuple[list[T], int]], start: int
) -> tuple[list[T], int]:
    try:
        return await chunk
    except BatchRepoError as error:
        raise error.with_row_offset(start) from error.__cause__


def _write_chunks(
    spec: TableSpec[E, K], items: Sequence[E], mode: WriteMode, atomic: bool
) -> ChunkRunner[E]:
    if atomic:
        # Validated once over the whole input, so problems carry whole-input row indexes and
        # duplicate keys across chunks are caught too; chunks then send slices of the columns.
        columns = prepare(spec, items, mode)

        async def run_prepared(conn: Connection, start: int, stop: int) -> tuple[list[E], int]:
            chunk = [column[start:stop] for column in columns]
            written = await write_batch(conn, spec, items[start:stop], chunk, mode)
            return written, len(written)

        return run_prepared

    async def run_alone(conn: Connection, start: int, stop: int) -> tuple[list[E], int]:
        chunk_items = items[start:stop]
        written = await write_batch(conn, spec, chunk_items, prepare(spec, chunk_items, mode), mode)
        return written, len(written)

    return run_alone


async def _write_chunked(
    target: Target,
    spec: TableSpec[E, K],
    items: Sequence[E],
    mode: WriteMode,
    chunk_size: int,
    atomic: bool,
) -> BatchResult[E]:
    ex = as_session(target).executor
    statement_for(spec, mode, batch=True)
    return await run_in_chunks(
        ex, len(items), chunk_size, atomic, _write_chunks(spec, items, mode, atomic)
    )


async def save_batch_chunked(
    target: Target,
    spec: TableSpec[E, K],
    items: Sequence[E],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    atomic: bool = True,
) -> BatchResult[E]:
    """Insert any number of rows, ``chunk_size`` per statement."""
    ex = as_session(target).executor
    return await _write_chunked(ex, spec, items, "insert", chunk_size, atomic)


async def update_batch_chunked(
    target: Target,
    spec: TableSpec[E, K],
    items: Sequence[E],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    atomic: bool = True,
) -> BatchResult[E]:
    """Update any number of rows, ``chunk_size`` per statement; missing rows fail their chunk."""
    ex = as_session(target).executor
    return await _write_chunked(ex, spec, items, "update", chunk_size, atomic)


async def upsert_batch_chunked(
    target: Target,
    spec: TableSpec[E, K],
    items: Sequence[E],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    atomic: bool = True,
) -> BatchResult[E]:
    """Insert or update any number of rows, ``chunk_size`` per statement."""
    ex = as_session(target).executor
    return await _write_chunked(ex, spec, items, "upsert", chunk_size, atomic)


async def delete_batch_chunked(
    target: Target,
    spec: TableSpec[E, K],
    keys: Sequence[K],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    atomic: bool = True,
) -> BatchResult[K]:
    """Delete by any number of keys. ``items`` are the keys of the chunks that succeeded;
    ``stats.affected`` counts the rows that existed and are gone."""
    ex = as_session(target).executor

    async def run(conn: Connection, start: int, stop: int) -> tuple[list[K], int]:
        chunk = list(keys[start:stop])
        return chunk, await delete_batch_on(conn, spec, chunk)

    return await run_in_chunks(ex, len(keys), chunk_size, atomic, run)
