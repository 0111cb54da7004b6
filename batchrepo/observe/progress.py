"""Progress of chunked writes and streamed loads: one :class:`ProgressEvent` after each chunk.

A nightly import of a million rows runs for minutes; the caller wants a bar, a log line every so
often, or a checkpoint to resume from. The chunked and streamed operations take
``progress: Callable[[ProgressEvent], object] | None`` and call it once a chunk is finished, on
the event loop, between chunks (a slow callback slows the call; one that raises ends it, as
any exception from the caller's own code does).

* **Chunked writes** report every chunk in the order it finished (with ``concurrency=n`` that is
  not input order: ``chunk`` and ``rows`` say which one it was). ``committed`` and ``failed``
  are the row ranges so far, merged where they touch, with the meaning of the same names on
  :class:`~batchrepo.write.chunk_results.BatchResult`: with ``atomic=True`` the committed ranges
  are written and commit together when the call returns, and the chunk that fails raises
  instead of being reported (nothing is written then).
* **Streamed loads** report a chunk once its rows have been handed to the loop that reads the
  stream; ``committed`` and ``failed`` stay empty. ``total`` is known for ``load_stream`` over a
  sequence of keys and never for ``stream_all`` (counting the table would cost a query).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass

from batchrepo.errors import BatchRepoError


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """Where a chunked or streamed call stands after one more chunk."""

    operation: str
    """The operation reporting: ``save_batch_chunked``, ``load_stream``, ``stream_all``, ..."""
    table: str
    chunk: int
    """The chunk just finished: its index in the input, from 0."""
    rows: range
    """Its rows, counted from the start of the whole input."""
    error: BatchRepoError | None
    """Why it failed (chunked writes with ``atomic=False``); None: it succeeded."""
    rows_done: int
    """Rows finished so far: written, refused, or (streams) handed to the reader."""
    rows_failed: int
    """Rows of the chunks refused so far."""
    total: int | None
    """Rows (or keys) in the whole input when known (a sequence); None for a stream."""
    committed: tuple[range, ...] = ()
    """Row ranges written so far, ascending and merged."""
    failed: tuple[range, ...] = ()
    """Row ranges of the chunks refused so far, ascending and merged."""

    @property
    def fraction(self) -> float | None:
        """``rows_done / total`` (1.0 for an empty input), or None when the total is unknown."""
        if self.total is None:
            return None
        return self.rows_done / self.total if self.total else 1.0


#: What the chunked and streamed operations accept as ``progress``.
ProgressCallback = Callable[[ProgressEvent], object]


class ProgressReport:
    """Turns chunk outcomes into :class:`ProgressEvent` calls of one operation's callback."""

    __slots__ = (
        "_callback",
        "_chunk_size",
        "_committed",
        "_done",
        "_failed",
        "_failed_rows",
        "operation",
        "table",
        "total",
    )

    def __init__(
        self,
        callback: ProgressCallback,
        operation: str,
        table: str,
        chunk_size: int,
        total: int | None,
    ) -> None:
        if not callable(callback):
            raise TypeError(
                f"{table}: progress must be a callable taking a ProgressEvent, "
                f"not {type(callback).__name__}"
            )
        self._callback = callback
        self._chunk_size = chunk_size
        self.operation = operation
        self.table = table
        self.total = total
        self._done = 0
        self._failed_rows = 0
        self._committed: list[range] = []
        self._failed: list[range] = []

    def written(self, start: int, stop: int) -> None:
        """Rows ``start`` to ``stop`` (a chunk) were written."""
        _add(self._committed, start, stop)
        self._report(start, stop, None)

    def refused(self, start: int, stop: int, error: BatchRepoError) -> None:
        """Rows ``start`` to ``stop`` (a chunk) were refused with ``error``."""
        _add(self._failed, start, stop)
        self._failed_rows += stop - start
        self._report(start, stop, error)

    def read(self, start: int, stop: int) -> None:
        """Rows ``start`` to ``stop`` of a stream were handed to its reader."""
        self._report(start, stop, None)

    def _report(self, start: int, stop: int, error: BatchRepoError | None) -> None:
        self._done += stop - start
        self._callback(
            ProgressEvent(
                operation=self.operation,
                table=self.table,
                chunk=start // self._chunk_size,
                rows=range(start, stop),
                error=error,
                rows_done=self._done,
                rows_failed=self._failed_rows,
                total=self.total,
                committed=tuple(self._committed),
                failed=tuple(self._failed),
            )
        )


def _add(ranges: list[range], start: int, stop: int) -> None:
    """Put ``range(start, stop)`` into the ascending, merged ``ranges``; chunks usually finish
    in order, so this is mostly one comparison with the last range."""
    if ranges and ranges[-1].stop == start:
        ranges[-1] = range(ranges[-1].start, stop)
        return
    at = bisect.bisect_left(ranges, start, key=lambda r: r.start)
    if at > 0 and ranges[at - 1].stop == start:
        at -= 1
        start = ranges[at].start
        del ranges[at]
    if at < len(ranges) and ranges[at].start == stop:
        stop = ranges[at].stop
        del ranges[at]
    ranges.insert(at, range(start, stop))
