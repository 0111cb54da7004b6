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
from typing import Any, Generic, TypeVar

from batchrepo.cache.recording import Recorder
from batchrepo.db import executor
from batchrepo.db.executor import Connection
from batchrepo.errors import BatchRepoError
from batchrepo.session import Session, Target, as_session
from batchrepo.spec import E, K, TableSpec, WriteMode
from batchrepo.validate.before_write import checked_columns
from batchrepo.write.apply import delete_batch_on, statement_for, write_batch

T = TypeVar("T")

#: Rows per statement of the chunked operations; the generated ``*_chunked`` methods take it as
#: their default (the generator reads it from here).
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
    session: Session,
    recorder: Recorder,
    total: int,
    chunk_size: int,
    atomic: bool,
    run_chunk: ChunkRunner[T],
) -> BatchResult[T]:
    """Drive ``run_chunk`` over [0, total) in chunks; see the module docstring for ``atomic``.

    ``recorder`` must be deferred when ``atomic``: what the chunks teach the key cache is
    recorded once the whole call succeeded.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")
    started = time.perf_counter()
    bounds = [(start, min(start + chunk_size, total)) for start in range(0, total, chunk_size)]
    items: list[T] = []
    failures: list[ChunkError] = []
    affected = 0
    if bounds:
        async with executor.acquire(session.executor) as conn:
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
    recorder.flush()
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


async def _unit_log_before_the_chunks(session: Session, spec: TableSpec[Any, Any]) -> None:
    """Insert a unit of work's ``audit_log`` row (audited tables) before the atomic chunks'
    savepoint opens.

    Inserted inside it by the first chunk, the row would vanish when a later chunk fails and the
    savepoint rolls back, while the unit (which knows only its own savepoints) kept its id: every
    later audited write of the unit would then break its history's foreign key. Outside a unit
    of work this sends nothing; each chunk inserts its own row, rolled back with it.
    """
    await session.unit_audit_log_id(spec)


async def _write_chunked(
    target: Target,
    spec: TableSpec[E, K],
    items: Sequence[E],
    mode: WriteMode,
    chunk_size: int,
    atomic: bool,
) -> BatchResult[E]:
    session = as_session(target)
    statement_for(spec, mode, batch=True)
    session.require_actor(spec)
    recorder = Recorder(session.cache_view(), deferred=atomic)
    if atomic:
        # Checked once over the whole input, so problems carry whole-input row indexes and
        # duplicate keys across chunks are caught too; chunks then send slices of the columns.
        columns: list[list[Any]] = []
        if items:
            columns, learned = await checked_columns(session, recorder.view, spec, items, mode)
            recorder.learned(learned)  # deferred: recorded only if every chunk succeeds
            await _unit_log_before_the_chunks(session, spec)

        async def run_checked(conn: Connection, start: int, stop: int) -> tuple[list[E], int]:
            chunk = [column[start:stop] for column in columns]
            written = await write_batch(
                conn, session, recorder, spec, items[start:stop], chunk, mode
            )
            return written, len(written)

        return await run_in_chunks(session, recorder, len(items), chunk_size, atomic, run_checked)

    async def run_alone(conn: Connection, start: int, stop: int) -> tuple[list[E], int]:
        chunk_items = items[start:stop]
        chunk, learned = await checked_columns(
            session, recorder.view, spec, chunk_items, mode, on=conn
        )
        written = await write_batch(conn, session, recorder, spec, chunk_items, chunk, mode)
        recorder.learned(learned)
        return written, len(written)

    return await run_in_chunks(session, recorder, len(items), chunk_size, atomic, run_alone)


async def save_batch_chunked(
    target: Target,
    spec: TableSpec[E, K],
    items: Sequence[E],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    atomic: bool = True,
) -> BatchResult[E]:
    """Insert any number of rows, ``chunk_size`` per statement."""
    return await _write_chunked(target, spec, items, "insert", chunk_size, atomic)


async def update_batch_chunked(
    target: Target,
    spec: TableSpec[E, K],
    items: Sequence[E],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    atomic: bool = True,
) -> BatchResult[E]:
    """Update any number of rows, ``chunk_size`` per statement; missing rows fail their chunk."""
    return await _write_chunked(target, spec, items, "update", chunk_size, atomic)


async def upsert_batch_chunked(
    target: Target,
    spec: TableSpec[E, K],
    items: Sequence[E],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    atomic: bool = True,
) -> BatchResult[E]:
    """Insert or update any number of rows, ``chunk_size`` per statement."""
    return await _write_chunked(target, spec, items, "upsert", chunk_size, atomic)


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
    session = as_session(target)
    session.require_actor(spec)
    recorder = Recorder(session.cache_view(), deferred=atomic)
    if atomic and keys:
        await _unit_log_before_the_chunks(session, spec)

    async def run(conn: Connection, start: int, stop: int) -> tuple[list[K], int]:
        chunk = list(keys[start:stop])
        return chunk, await delete_batch_on(conn, session, recorder, spec, chunk)

    return await run_in_chunks(session, recorder, len(keys), chunk_size, atomic, run)
