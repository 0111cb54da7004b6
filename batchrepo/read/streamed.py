"""Loads of any size as async iterators: memory for about one chunk, whatever the count.

* :func:`stream_all` yields every row of a table: a server-side cursor over ``select_all``,
  fetched ``chunk_size`` rows at a time. A spec without that statement (hand-written, or
  generated before it existed) walks the table's keys instead (``select_keys`` with no limit)
  and loads each chunk of keys with ``select_batch`` (``= ANY``), at the cost of one index
  lookup per row. A cursor lives in a transaction: on a pool or a bare
  connection the stream opens its own, ``REPEATABLE READ`` and read-only, so keys and rows come
  from one snapshot and the stream is the table as it was when it began; inside the caller's
  transaction (a unit of work's) it reuses it, and under ``READ COMMITTED`` a row deleted after
  its key was read is skipped, a row changed comes with its new values. Rows come in no
  particular order. The connection stays lent to the stream until it ends or is closed: use
  ``contextlib.aclosing`` when leaving the loop early.
* :func:`load_stream` is ``load_batch`` over an iterable or async iterable of keys: one ``= ANY``
  query per chunk, yielding one entry per key in the order asked (``None`` where missing). The
  keys come from the client, so a cursor would have nothing to save: the query per chunk is
  what ``load_batch`` sends, and as fast per row.

Both teach the key cache what ``load_batch`` teaches it: the keys (and versions) of the rows
they return, recorded chunk by chunk. Each stream is one operation for telemetry (a span from
its first chunk to its end, not made current: the reader's loop runs between the chunks) and
``progress`` is called after each chunk's rows were handed to the reader
(:mod:`batchrepo.observe.progress`).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterable, Sequence
from contextlib import aclosing, asynccontextmanager
from typing import Any

from batchrepo.cache.recording import Recorder
from batchrepo.chunks import DEFAULT_CHUNK_SIZE, check_chunk_size, check_iterable, chunks_of
from batchrepo.db.arguments import decoded_rows
from batchrepo.db.error_mapping import STATEMENT_ERRORS, statement_error
from batchrepo.db.executor import Connection, acquire
from batchrepo.db.routing import keyed
from batchrepo.observe.progress import ProgressCallback, ProgressReport
from batchrepo.observe.telemetry import Observed
from batchrepo.operations import load_keys
from batchrepo.session import Session, Target, as_session
from batchrepo.spec import E, K, TableSpec


def stream_all(
    target: Target,
    spec: TableSpec[E, K],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: ProgressCallback | None = None,
) -> AsyncIterator[E]:
    """Every row of the table, ``chunk_size`` per round trip; see the module docstring."""
    check_chunk_size(chunk_size)
    select_keys = spec.sql.select_keys
    if select_keys is None:
        raise TypeError(
            f"table {spec.table} has no select_keys statement to stream its rows by "
            "(TableSQL.select_keys): regenerate its module"
        )
    report = _report(progress, "stream_all", spec, chunk_size, None)
    session = as_session(target)
    return _observed(
        Observed("stream_all", spec, session),
        _stream_all(session, spec, select_keys, chunk_size),
        chunk_size,
        report,
    )


def load_stream(
    target: Target,
    spec: TableSpec[E, K],
    keys: Iterable[K] | AsyncIterable[K],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: ProgressCallback | None = None,
) -> AsyncIterator[E | None]:
    """One entry per key, in the order asked: the row, or None where there is none."""
    check_chunk_size(chunk_size)
    check_iterable(keys, f"{spec.table}: the keys to load")
    total = len(keys) if isinstance(keys, Sequence) else None
    report = _report(progress, "load_stream", spec, chunk_size, total)
    session = as_session(target)
    return _observed(
        Observed("load_stream", spec, session),
        _load_stream(session, spec, keys, chunk_size),
        chunk_size,
        report,
    )


def _report(
    progress: ProgressCallback | None,
    operation: str,
    spec: TableSpec[Any, Any],
    chunk_size: int,
    total: int | None,
) -> ProgressReport | None:
    if progress is None:
        return None
    return ProgressReport(progress, operation, spec.table, chunk_size, total)


async def _observed(
    seen: Observed,
    chunks: AsyncGenerator[tuple[list[Any], int | None], None],
    chunk_size: int,
    report: ProgressReport | None,
) -> AsyncIterator[Any]:
    """The entries of a stream's chunks, one by one, inside its span; ``chunks`` gives each
    chunk's entries and the rows the database returned for it (None: the entity cache answered
    every key, nothing was asked)."""
    seen.start(attach=False)
    seen.rows = seen.returned = seen.chunks = 0
    try:
        async with aclosing(chunks):  # leaving early closes it now: its connection goes back
            async for entries, returned in chunks:
                for entry in entries:
                    yield entry
                start = seen.rows
                seen.rows += len(entries)
                seen.returned += returned or 0
                seen.chunks += 1
                if report is not None:
                    report.read(start, seen.rows)
    except BaseException as error:
        seen.finish(error)
        raise
    seen.finish(None)


async def _load_stream(
    session: Session, spec: TableSpec[E, K], keys: Iterable[K] | AsyncIterable[K], size: int
) -> AsyncGenerator[tuple[list[E | None], int | None], None]:
    async for _start, chunk in chunks_of(keys, size):
        yield await load_keys(session, spec, chunk)


async def _stream_all(
    session: Session, spec: TableSpec[E, K], select_keys: str, size: int
) -> AsyncGenerator[tuple[list[E], int | None], None]:
    recorder = Recorder(session.cache_view())  # decided before the stream's own transaction
    width = len(spec.key_columns)
    async with acquire(session.executor) as conn:
        open_cursor = _cursor(conn, spec)
        async with _snapshot(conn):
            if spec.sql.select_all is not None:  # the rows themselves, one fetch per chunk
                cursor = await _run(spec, open_cursor(spec.sql.select_all))
                while records := await _run(spec, cursor.fetch(size)):
                    recorder.rows(spec, records)
                    yield (
                        [spec.from_record(row) for row in decoded_rows(spec, records)],
                        len(records),
                    )
                    if len(records) < size:
                        break
                return
            cursor = await _run(spec, open_cursor(select_keys, None))  # LIMIT NULL: every row
            while key_records := await _run(spec, cursor.fetch(size)):
                keys = _keys(key_records, width)
                select, arguments = keyed(spec, spec.sql.select_batch, keys)
                records = await _run(spec, conn.fetch(select, *arguments))
                recorder.rows(spec, records)
                yield [spec.from_record(row) for row in decoded_rows(spec, records)], len(records)
                if len(key_records) < size:
                    break


def _keys(records: Sequence[Any], width: int) -> list[Any]:
    if width == 1:
        return [record[0] for record in records]
    return [tuple(record[i] for i in range(width)) for record in records]


def _cursor(conn: Connection, spec: TableSpec[Any, Any]) -> Any:
    cursor = getattr(conn, "cursor", None)
    if cursor is None:
        raise TypeError(
            f"{spec.table}: streaming needs an asyncpg pool or connection (server-side cursors), "
            f"not {type(conn).__name__}"
        )
    return cursor


async def _run(spec: TableSpec[Any, Any], query: Any) -> Any:
    try:
        return await query
    except STATEMENT_ERRORS as exc:
        raise statement_error(spec, exc, "select") from exc


@asynccontextmanager
async def _snapshot(conn: Connection) -> AsyncIterator[None]:
    """The transaction a cursor needs: the caller's when there is one, else a read-only
    ``REPEATABLE READ`` one of the stream's own (one snapshot for keys and rows)."""
    if conn.is_in_transaction():
        yield
        return
    transaction: Any = conn.transaction
    async with transaction(isolation="repeatable_read", readonly=True):
        yield
