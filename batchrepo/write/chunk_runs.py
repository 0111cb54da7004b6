"""Running chunks one after another on one connection: all in one transaction, or each alone.

``atomic=True`` wraps every chunk in one transaction (a savepoint inside the caller's) and stops
at the first failing chunk, re-raising its error with row indexes counted from the start of the
input; nothing is written. ``atomic=False`` commits chunk by chunk, carries on after a chunk
fails and records it in the result, so one bad row costs its own chunk only.

What the chunks teach the key cache is kept apart until it is known to hold (:class:`Learning`):
within an atomic call in a layer of its own, so later chunks' checks already see the rows of
earlier ones (a parent written two chunks ago, a key inserted twice), while the layer stays as
small as the cache's limit however long the input; a stream of a million rows keeps at most
that many keys, never one per row.

Each chunk's outcome goes to an :class:`ObservedTally`, which also tells the call's progress
callback (:mod:`batchrepo.observe.progress`) and logs a chunk refused in a call that goes on
(the call does not raise then, so the log is where an operator sees it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from batchrepo.cache.recording import Recorder
from batchrepo.cache.views import CacheLayer, CacheView, DirectView
from batchrepo.chunks import Chunk
from batchrepo.db import executor
from batchrepo.db.executor import Connection
from batchrepo.errors import BatchRepoError
from batchrepo.observe.progress import ProgressReport
from batchrepo.observe.telemetry import Observed, logger
from batchrepo.write.chunk_results import BatchStats, Tally

R = TypeVar("R")  # a row of the input
T = TypeVar("T")  # what a chunk gives back (entities, or keys for deletes)

#: Runs one chunk (its first row's index in the input, its rows) on the connection with the
#: recorder of the call; returns what to report and the database's count.
ChunkRunner = Callable[[Connection, Recorder, int, list[R]], Awaitable[tuple[list[T], int]]]


class Learning:
    """Where the chunks of one call record what they learn, and when it reaches the cache.

    * ``deferred``: a recorder that holds every record until :meth:`keep` (the atomic call
      over a sequence, whose checks ran over the whole input before the first chunk);
    * ``layered``: a cache layer of the call's own over the session's view, merged by
      :meth:`keep` and dropped by :meth:`drop` (an atomic call over a stream); inside a caller's
      own transaction, where nothing is learned anyway, the view itself;
    * neither: straight into the view (chunks committed one by one).
    """

    __slots__ = ("_layer", "recorder")

    def __init__(
        self,
        view: CacheView | None,
        observed: Observed,
        *,
        deferred: bool = False,
        layered: bool = False,
    ):
        self._layer: CacheLayer | None = None
        if layered and isinstance(view, CacheLayer):
            self._layer = view.child()
        elif layered and type(view) is DirectView:
            self._layer = CacheLayer(view.cache)
        self.recorder: Recorder = observed.recorder(self._layer or view, deferred=deferred)

    def keep(self) -> None:
        """The call's writes are committed (or part of the caller's unit): record them."""
        self.recorder.flush()
        if self._layer is None:
            return
        if self._layer.parent is None:
            self._layer.commit()
        else:
            self._layer.merge_into_parent()

    def drop(self) -> None:
        """The call's writes were rolled back: forget what they taught."""
        if self._layer is not None:
            self._layer.discard()


class ObservedTally(Tally[T]):
    """A :class:`Tally` that also reports each chunk to the call's progress callback, logs the
    chunks refused, and gives the call's telemetry its counts."""

    __slots__ = ("_observed", "_report")

    def __init__(self, returning: bool, observed: Observed, report: ProgressReport | None) -> None:
        super().__init__(returning)
        self._observed = observed
        self._report = report

    def done(self, start: int, stop: int, items: list[T], affected: int) -> None:
        super().done(start, stop, items, affected)
        if self._report is not None:
            self._report.written(start, stop)

    def failed(self, start: int, stop: int, error: BatchRepoError) -> None:
        super().failed(start, stop, error)
        sqlstate = f", sqlstate {error.sqlstate}" if error.sqlstate else ""
        logger.warning(
            "%s %s: rows %d-%d refused (%s%s); the other chunks go on",
            self._observed.operation,
            self._observed.table,
            start,
            stop,
            type(error).__qualname__,
            sqlstate,
        )
        if self._report is not None:
            self._report.refused(start, stop, error)

    def ended(self, stats: BatchStats | None) -> None:
        """Give the call's telemetry its counts: ``stats`` of the result, or None when the call
        raised (then only the rows read are known)."""
        seen = self._observed
        if stats is None:
            seen.rows = self._total
            return
        seen.rows, seen.chunks, seen.affected = stats.total, stats.chunks, stats.affected
        seen.failed_rows, seen.failed_chunks = stats.failed, len(self._errors)


async def run_atomic(
    conn: Connection,
    chunks: AsyncIterator[Chunk[R]],
    learning: Learning,
    tally: Tally[T],
    run_chunk: ChunkRunner[R, T],
    before_first: Callable[[], Awaitable[None]],
) -> None:
    """Every chunk in one transaction or savepoint on ``conn``; the first failure is raised with
    its rows counted over the whole input, and nothing is written. ``before_first`` runs once
    the input is known not to be empty, before the transaction opens."""
    first = await anext(chunks, None)
    if first is None:
        return
    await before_first()
    try:
        async with executor.atomic(conn):
            chunk: Chunk[R] | None = first
            while chunk is not None:
                start, rows = chunk
                tally.read(len(rows))
                try:
                    done, count = await run_chunk(conn, learning.recorder, start, rows)
                except BatchRepoError as error:
                    raise error.with_row_offset(start) from error.__cause__
                tally.done(start, start + len(rows), done, count)
                chunk = await anext(chunks, None)
    except BaseException:
        learning.drop()
        raise
    learning.keep()


async def run_alone(
    conn: Connection,
    chunks: AsyncIterator[Chunk[R]],
    learning: Learning,
    tally: Tally[T],
    run_chunk: ChunkRunner[R, T],
) -> None:
    """Each chunk in a transaction of its own on ``conn``; a chunk that fails is recorded with
    its rows counted over the whole input, and the next one runs."""
    try:
        async for start, rows in chunks:
            tally.read(len(rows))
            await run_recorded(conn, learning.recorder, tally, run_chunk, start, rows)
    except Exception as failure:
        tally.note_progress(failure)
        raise


async def run_recorded(
    conn: Connection,
    recorder: Recorder,
    tally: Tally[T],
    run_chunk: ChunkRunner[R, T],
    start: int,
    rows: list[R],
) -> None:
    """Run one chunk that commits on its own; its outcome goes to ``tally``."""
    stop = start + len(rows)
    try:
        done, count = await run_chunk(conn, recorder, start, rows)
    except BatchRepoError as error:
        tally.failed(start, stop, error.with_row_offset(start))
        return
    tally.done(start, stop, done, count)
