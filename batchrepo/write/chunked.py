"""Inputs of any size, sent as a series of batches of at most ``chunk_size`` rows.

The input is a sequence, any iterable or an async iterable (:mod:`batchrepo.chunks`):

* A **sequence** with ``atomic=True`` is checked as a whole before the first statement (field
  rules, duplicate keys across chunks, references), so a problem is reported with whole-input
  row indexes and nothing is sent; then every chunk runs in one transaction (a savepoint inside
  the caller's), all rows or none.
* Any **other iterable** is consumed one chunk at a time and never held whole: checks, duplicate
  detection and results work per chunk. With ``atomic=True`` the chunks still run in one
  transaction, which stops at the first chunk that fails and writes nothing. A key repeated in a
  later chunk is not looked for in Python (that would hold every key of the stream): an insert
  meets the row of the earlier chunk and fails with ``UniqueViolationError`` at the repeat, as a
  row-by-row loop does; an update or upsert writes the row twice, as a loop does.
* ``atomic=False`` commits chunk by chunk, carries on after a chunk fails and reports it in
  ``BatchResult.errors``, so one bad row costs its own chunk only; sequences and streams behave
  alike. ``concurrency=n`` (on a pool only) runs up to n such chunks at once
  (:mod:`batchrepo.write.parallel`).

Row indexes in errors always count from the start of the whole input. ``returning=False`` keeps
no rows (``BatchResult.items`` stays empty; ``stats`` counts), so a stream of any length runs in
the memory of a few chunks.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Sequence
from typing import Any

import asyncpg

from batchrepo.cache.recording import Recorder
from batchrepo.chunks import DEFAULT_CHUNK_SIZE, check_chunk_size, check_iterable, chunks_of
from batchrepo.db import executor
from batchrepo.db.executor import Connection
from batchrepo.db.failures import boundary
from batchrepo.session import Session, Target, as_session
from batchrepo.spec import E, K, TableSpec, WriteMode
from batchrepo.validate.before_write import checked_columns
from batchrepo.write.apply import (
    check_versions_allowed,
    delete_batch_on,
    statement_for,
    write_batch,
)
from batchrepo.write.chunk_results import BatchResult, BatchStats, ChunkError, Tally
from batchrepo.write.chunk_runs import ChunkRunner, Learning, run_alone, run_atomic
from batchrepo.write.parallel import run_parallel
from batchrepo.write.versioned_deletes import in_step, versioned_deletes

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "BatchResult",
    "BatchStats",
    "ChunkError",
    "delete_batch_chunked",
    "save_batch_chunked",
    "update_batch_chunked",
    "upsert_batch_chunked",
]


def _check_options(session: Session, chunk_size: int, atomic: bool, concurrency: int) -> None:
    check_chunk_size(chunk_size)
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")
    if concurrency == 1:
        return
    if atomic:
        raise ValueError(
            f"concurrency={concurrency} needs atomic=False: an atomic call is one transaction, "
            "and one transaction runs on one connection"
        )
    if not isinstance(session.executor, asyncpg.Pool):
        where = "a unit of work's connection" if session.unit_of_work else "one connection"
        raise ValueError(
            f"concurrency={concurrency} needs an asyncpg pool to lend {concurrency} connections, "
            f"but this repository runs on {where} ({type(session.executor).__name__})"
        )


async def _run(
    session: Session,
    values: Iterable[Any] | AsyncIterable[Any],
    *,
    chunk_size: int,
    atomic: bool,
    returning: bool,
    concurrency: int,
    run_chunk: ChunkRunner[Any, Any],
    learning: Learning,
    before_first: Callable[[], Awaitable[None]],
) -> BatchResult[Any]:
    tally: Tally[Any] = Tally(returning)
    chunks = chunks_of(values, chunk_size)
    if concurrency > 1:
        assert isinstance(session.executor, asyncpg.Pool)  # checked by _check_options
        await run_parallel(session.executor, chunks, learning, tally, run_chunk, concurrency)
        learning.keep()
        return tally.result()
    async with executor.acquire(session.executor) as conn:
        if atomic:
            await run_atomic(conn, chunks, learning, tally, run_chunk, before_first)
        else:
            await run_alone(conn, chunks, learning, tally, run_chunk)
            learning.keep()
    return tally.result()


async def _write_chunked(
    target: Target,
    spec: TableSpec[E, K],
    items: Iterable[E] | AsyncIterable[E],
    mode: WriteMode,
    chunk_size: int,
    atomic: bool,
    returning: bool,
    concurrency: int,
) -> BatchResult[E]:
    session = as_session(target)
    check_iterable(items, f"{spec.table}: the rows to write")
    statement_for(spec, mode, batch=True)
    session.require_actor(spec)
    _check_options(session, chunk_size, atomic, concurrency)

    async def unit_log() -> None:
        await _unit_log_before_the_chunks(session, spec)

    if atomic and isinstance(items, Sequence):
        return await _prechecked(session, spec, items, mode, chunk_size, returning, unit_log)

    async def run_checked(
        conn: Connection, recorder: Recorder, _start: int, rows: list[E]
    ) -> tuple[list[E], int]:
        columns, learned = await checked_columns(session, recorder.view, spec, rows, mode, on=conn)
        written = await write_batch(
            conn, session, recorder, spec, rows, columns, mode, returning=returning
        )
        recorder.learned(learned)
        return written, len(rows)  # a chunk that did not raise wrote (or matched) every row

    return await _run(
        session,
        items,
        chunk_size=chunk_size,
        atomic=atomic,
        returning=returning,
        concurrency=concurrency,
        run_chunk=run_checked,
        learning=Learning(session.cache_view(), layered=atomic),
        before_first=unit_log,
    )


async def _prechecked(
    session: Session,
    spec: TableSpec[E, K],
    items: Sequence[E],
    mode: WriteMode,
    chunk_size: int,
    returning: bool,
    unit_log: Callable[[], Awaitable[None]],
) -> BatchResult[E]:
    """An atomic call over a sequence: checked once over the whole input, so problems carry
    whole-input row indexes and duplicate keys across chunks are caught before any SQL; the
    chunks then send slices of the checked columns."""
    learning = Learning(session.cache_view(), deferred=True)
    columns: list[list[Any]] = []
    if items:
        columns, learned = await checked_columns(session, learning.recorder.view, spec, items, mode)
        learning.recorder.learned(learned)  # deferred: recorded only if every chunk succeeds

    async def run_slice(
        conn: Connection, recorder: Recorder, start: int, rows: list[E]
    ) -> tuple[list[E], int]:
        chunk = [column[start : start + len(rows)] for column in columns]
        written = await write_batch(
            conn, session, recorder, spec, rows, chunk, mode, returning=returning
        )
        return written, len(rows)

    return await _run(
        session,
        items,
        chunk_size=chunk_size,
        atomic=True,
        returning=returning,
        concurrency=1,
        run_chunk=run_slice,
        learning=learning,
        before_first=unit_log,
    )


async def _unit_log_before_the_chunks(session: Session, spec: TableSpec[Any, Any]) -> None:
    """Nothing to do before the atomic chunks' savepoint opens (kept as the hook it was).

    The unit's ``audit_log`` row used to be inserted here, outside that savepoint, because the
    unit knew only its own savepoints. A unit now hears of every ``atomic`` block on its
    connection (``executor.watching``), so the first chunk inserts the row inside the
    savepoints, and a later chunk's failure rolls it back and makes the unit forget it.
    """
    await session.unit_audit_log_id(spec)


@boundary
async def save_batch_chunked(
    target: Target,
    spec: TableSpec[E, K],
    items: Iterable[E] | AsyncIterable[E],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    atomic: bool = True,
    returning: bool = True,
    concurrency: int = 1,
) -> BatchResult[E]:
    """Insert any number of rows, ``chunk_size`` per statement."""
    return await _write_chunked(
        target, spec, items, "insert", chunk_size, atomic, returning, concurrency
    )


@boundary
async def update_batch_chunked(
    target: Target,
    spec: TableSpec[E, K],
    items: Iterable[E] | AsyncIterable[E],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    atomic: bool = True,
    returning: bool = True,
    concurrency: int = 1,
) -> BatchResult[E]:
    """Update any number of rows, ``chunk_size`` per statement; missing rows fail their chunk."""
    return await _write_chunked(
        target, spec, items, "update", chunk_size, atomic, returning, concurrency
    )


@boundary
async def upsert_batch_chunked(
    target: Target,
    spec: TableSpec[E, K],
    items: Iterable[E] | AsyncIterable[E],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    atomic: bool = True,
    returning: bool = True,
    concurrency: int = 1,
) -> BatchResult[E]:
    """Insert or update any number of rows, ``chunk_size`` per statement."""
    return await _write_chunked(
        target, spec, items, "upsert", chunk_size, atomic, returning, concurrency
    )


@boundary
async def delete_batch_chunked(
    target: Target,
    spec: TableSpec[E, K],
    keys: Iterable[K] | AsyncIterable[K],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    atomic: bool = True,
    returning: bool = True,
    concurrency: int = 1,
    versions: Iterable[int | None] | AsyncIterable[int | None] | None = None,
) -> BatchResult[K]:
    """Delete by any number of keys. ``items`` are the keys of the chunks that succeeded;
    ``stats.affected`` counts the rows that existed and are gone.

    ``versions`` (audited tables): the version read of each key, in step with ``keys`` (None:
    any), consumed chunk by chunk like them; a chunk holding a row present with another version
    fails with ``StaleVersionError`` and deletes nothing, as ``delete_batch`` does."""
    session = as_session(target)
    check_iterable(keys, f"{spec.table}: the keys to delete")
    check_versions_allowed(spec, versions is not None)
    session.require_actor(spec)
    _check_options(session, chunk_size, atomic, concurrency)

    async def unit_log() -> None:
        await _unit_log_before_the_chunks(session, spec)

    async def run(
        conn: Connection, recorder: Recorder, _start: int, chunk: list[K]
    ) -> tuple[list[K], int]:
        return chunk, await delete_batch_on(conn, session, recorder, spec, chunk)

    if versions is not None:
        check_iterable(versions, f"{spec.table}: the versions of the keys to delete")
        return await _run(
            session,
            in_step(spec, keys, versions),
            chunk_size=chunk_size,
            atomic=atomic,
            returning=returning,
            concurrency=concurrency,
            run_chunk=versioned_deletes(session, spec),
            learning=Learning(session.cache_view(), deferred=False, layered=atomic),
            before_first=unit_log,
        )

    # Deletes have no checks before their statement, so a sequence and a stream run alike;
    # the records of an atomic call wait for its end (deferred, as they always did).
    deferred = atomic and isinstance(keys, Sequence)
    learning = Learning(session.cache_view(), deferred=deferred, layered=atomic and not deferred)
    return await _run(
        session,
        keys,
        chunk_size=chunk_size,
        atomic=atomic,
        returning=returning,
        concurrency=concurrency,
        run_chunk=run,
        learning=learning,
        before_first=unit_log,
    )
