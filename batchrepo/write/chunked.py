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

``progress`` is called after each chunk with a :class:`~batchrepo.observe.ProgressEvent` (rows
done, the total when the input is a sequence, the row ranges committed and refused so far).
Each call is one operation for telemetry, its span counting rows and chunks.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from batchrepo.cache.recording import Recorder
from batchrepo.chunks import DEFAULT_CHUNK_SIZE, check_chunk_size, check_iterable, chunks_of
from batchrepo.db import executor
from batchrepo.db.executor import Connection
from batchrepo.db.failures import boundary
from batchrepo.observe.progress import ProgressCallback, ProgressReport
from batchrepo.observe.telemetry import Observed
from batchrepo.session import Session, Target, as_session
from batchrepo.spec import E, K, TableSpec, WriteMode
from batchrepo.validate.before_write import checked_columns
from batchrepo.write.apply import (
    check_versions_allowed,
    delete_batch_on,
    statement_for,
    write_batch,
)
from batchrepo.write.chunk_results import BatchResult, BatchStats, ChunkError
from batchrepo.write.chunk_runs import ChunkRunner, Learning, ObservedTally, run_alone, run_atomic
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


#: The operation a write mode is part of, as telemetry names it (``save_batch_chunked``).
_VERB = {"insert": "save", "update": "update", "upsert": "upsert"}


@dataclass(frozen=True, slots=True)
class _Call:
    """One chunked call: where it runs, its options, and its span and progress report."""

    session: Session
    spec: TableSpec[Any, Any]
    chunk_size: int
    atomic: bool
    returning: bool
    concurrency: int
    seen: Observed
    report: ProgressReport | None

    @classmethod
    def checked(
        cls,
        seen: Observed,
        session: Session,
        spec: TableSpec[Any, Any],
        values: object,
        options: tuple[int, bool, bool, int],
        progress: ProgressCallback | None,
    ) -> _Call:
        """The call, once its options are known to be valid (a ValueError or TypeError, before
        anything is sent, otherwise)."""
        chunk_size, atomic, returning, concurrency = options
        check_chunk_size(chunk_size)
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency}")
        if concurrency > 1 and atomic:
            raise ValueError(
                f"concurrency={concurrency} needs atomic=False: an atomic call is one "
                "transaction, and one transaction runs on one connection"
            )
        if concurrency > 1 and not isinstance(session.executor, asyncpg.Pool):
            where = "a unit of work's connection" if session.unit_of_work else "one connection"
            raise ValueError(
                f"concurrency={concurrency} needs an asyncpg pool to lend {concurrency} "
                f"connections, but this repository runs on {where} "
                f"({type(session.executor).__name__})"
            )
        total = len(values) if isinstance(values, Sequence) else None
        seen.rows = total
        report = None
        if progress is not None:
            report = ProgressReport(progress, seen.operation, spec.table, chunk_size, total)
        return cls(session, spec, chunk_size, atomic, returning, concurrency, seen, report)

    async def run(
        self,
        values: Iterable[Any] | AsyncIterable[Any],
        run_chunk: ChunkRunner[Any, Any],
        learning: Learning,
    ) -> BatchResult[Any]:
        """Every chunk of ``values``, as the options say; the span learns the counts."""
        tally: ObservedTally[Any] = ObservedTally(self.returning, self.seen, self.report)
        chunks = chunks_of(values, self.chunk_size)
        try:
            if self.concurrency > 1:
                pool = self.session.executor
                assert isinstance(pool, asyncpg.Pool)  # checked by checked()
                await run_parallel(pool, chunks, learning, tally, run_chunk, self.concurrency)
                learning.keep()
            else:
                async with executor.acquire(self.session.executor) as conn:
                    if self.atomic:
                        await run_atomic(conn, chunks, learning, tally, run_chunk, self.unit_log)
                    else:
                        await run_alone(conn, chunks, learning, tally, run_chunk)
                        learning.keep()
        except BaseException:
            tally.ended(None)
            raise
        result = tally.result()
        tally.ended(result.stats)
        return result

    async def unit_log(self) -> None:
        """Before the atomic chunks' savepoint opens: nothing now (kept as the hook it was).

        The unit's ``audit_log`` row used to be inserted here, outside that savepoint, because
        the unit knew only its own savepoints. A unit now hears of every ``atomic`` block on its
        connection (``executor.watching``), so the first chunk inserts the row inside the
        savepoints, and a later chunk's failure rolls it back and makes the unit forget it.
        """
        await self.session.unit_audit_log_id(self.spec)


async def _write_chunked(
    target: Target,
    spec: TableSpec[E, K],
    items: Iterable[E] | AsyncIterable[E],
    mode: WriteMode,
    options: tuple[int, bool, bool, int],
    progress: ProgressCallback | None,
) -> BatchResult[E]:
    session = as_session(target)
    name = f"{_VERB[mode]}_batch_chunked"
    with Observed(name, spec, session, writes=True, returning=options[2]) as seen:
        check_iterable(items, f"{spec.table}: the rows to write")
        statement_for(spec, mode, batch=True)
        session.require_actor(spec)
        call = _Call.checked(seen, session, spec, items, options, progress)
        if call.atomic and isinstance(items, Sequence):
            return await _prechecked(call, items, mode)
        return await _checked_per_chunk(call, items, mode)


async def _checked_per_chunk(
    call: _Call, items: Iterable[E] | AsyncIterable[E], mode: WriteMode
) -> BatchResult[E]:
    """Any input but an atomic sequence: each chunk checked, then written."""
    session, spec, returning = call.session, call.spec, call.returning

    async def run_checked(
        conn: Connection, recorder: Recorder, _start: int, rows: list[E]
    ) -> tuple[list[E], int]:
        columns, learned = await checked_columns(session, recorder.view, spec, rows, mode, on=conn)
        call.seen.note_path(spec, session, mode, len(rows), conn, returning)
        written = await write_batch(
            conn, session, recorder, spec, rows, columns, mode, returning=returning
        )
        recorder.learned(learned)
        return written, len(rows)  # a chunk that did not raise wrote (or matched) every row

    learning = Learning(session.cache_view(), call.seen, layered=call.atomic)
    return await call.run(items, run_checked, learning)


async def _prechecked(call: _Call, items: Sequence[E], mode: WriteMode) -> BatchResult[E]:
    """An atomic call over a sequence: checked once over the whole input, so problems carry
    whole-input row indexes and duplicate keys across chunks are caught before any SQL; the
    chunks then send slices of the checked columns."""
    session, spec, returning = call.session, call.spec, call.returning
    learning = Learning(session.cache_view(), call.seen, deferred=True)
    columns: list[list[Any]] = []
    if items:
        columns, learned = await checked_columns(session, learning.recorder.view, spec, items, mode)
        learning.recorder.learned(learned)  # deferred: recorded only if every chunk succeeds

    async def run_slice(
        conn: Connection, recorder: Recorder, start: int, rows: list[E]
    ) -> tuple[list[E], int]:
        chunk = [column[start : start + len(rows)] for column in columns]
        call.seen.note_path(spec, session, mode, len(rows), conn, returning)
        written = await write_batch(
            conn, session, recorder, spec, rows, chunk, mode, returning=returning
        )
        return written, len(rows)

    return await call.run(items, run_slice, learning)


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
    progress: ProgressCallback | None = None,
) -> BatchResult[E]:
    """Insert any number of rows, ``chunk_size`` per statement."""
    options = (chunk_size, atomic, returning, concurrency)
    return await _write_chunked(target, spec, items, "insert", options, progress)


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
    progress: ProgressCallback | None = None,
) -> BatchResult[E]:
    """Update any number of rows, ``chunk_size`` per statement; missing rows fail their chunk."""
    options = (chunk_size, atomic, returning, concurrency)
    return await _write_chunked(target, spec, items, "update", options, progress)


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
    progress: ProgressCallback | None = None,
) -> BatchResult[E]:
    """Insert or update any number of rows, ``chunk_size`` per statement."""
    options = (chunk_size, atomic, returning, concurrency)
    return await _write_chunked(target, spec, items, "upsert", options, progress)


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
    progress: ProgressCallback | None = None,
) -> BatchResult[K]:
    """Delete by any number of keys. ``items`` are the keys of the chunks that succeeded;
    ``stats.affected`` counts the rows that existed and are gone.

    ``versions`` (audited tables): the version read of each key, in step with ``keys`` (None:
    any), consumed chunk by chunk like them; a chunk holding a row present with another version
    fails with ``StaleVersionError`` and deletes nothing, as ``delete_batch`` does."""
    session = as_session(target)
    with Observed("delete_batch_chunked", spec, session, writes=True) as seen:
        check_iterable(keys, f"{spec.table}: the keys to delete")
        check_versions_allowed(spec, versions is not None)
        session.require_actor(spec)
        options = (chunk_size, atomic, returning, concurrency)
        call = _Call.checked(seen, session, spec, keys, options, progress)
        if versions is not None:
            check_iterable(versions, f"{spec.table}: the versions of the keys to delete")
            learning = Learning(session.cache_view(), seen, deferred=False, layered=atomic)
            pairs = in_step(spec, keys, versions)
            return await call.run(pairs, versioned_deletes(session, spec), learning)

        async def run(
            conn: Connection, recorder: Recorder, _start: int, chunk: list[K]
        ) -> tuple[list[K], int]:
            return chunk, await delete_batch_on(conn, session, recorder, spec, chunk)

        # Deletes have no checks before their statement, so a sequence and a stream run alike;
        # the records of an atomic call wait for its end (deferred, as they always did).
        deferred = atomic and isinstance(keys, Sequence)
        layered = atomic and not deferred
        learning = Learning(session.cache_view(), seen, deferred=deferred, layered=layered)
        return await call.run(keys, run, learning)
