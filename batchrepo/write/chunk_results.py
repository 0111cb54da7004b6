"""What a chunked call reports: rows back, counts, and which chunks were written or failed.

A job that writes millions of rows in chunks must be able to resume after a partial failure, so
the result names row ranges, not just counts: ``committed`` (the chunks written) and ``errors``
(the chunks refused, each with its cause). Rows in neither were never tried (the input ended, or
an unexpected error stopped the call: its exception then carries a note listing ``committed``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from batchrepo.errors import BatchRepoError

T = TypeVar("T")


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
    """What a chunked call did: rows returned by the chunks that succeeded, in input order
    (none with ``returning=False``), counts, and the row ranges written or refused."""

    items: list[T]
    stats: BatchStats
    errors: list[ChunkError] = field(default_factory=list)
    committed: list[range] = field(default_factory=list)
    """Row ranges of the chunks written, ascending. Without ``atomic`` each was committed on its
    own; with it they were committed together when the call returned."""

    @property
    def ok(self) -> bool:
        return not self.errors


class Tally(Generic[T]):
    """Collects chunk outcomes in any order (parallel chunks finish out of order) and makes the
    :class:`BatchResult`, in input order."""

    __slots__ = ("_affected", "_done", "_errors", "_returning", "_started", "_total")

    def __init__(self, returning: bool) -> None:
        self._returning = returning
        self._started = time.perf_counter()
        self._done: list[tuple[int, int, list[T]]] = []
        self._errors: list[ChunkError] = []
        self._total = 0
        self._affected = 0

    def read(self, rows: int) -> None:
        """``rows`` more rows were taken from the input."""
        self._total += rows

    def done(self, start: int, stop: int, items: list[T], affected: int) -> None:
        self._done.append((start, stop, items if self._returning else []))
        self._affected += affected

    def failed(self, start: int, stop: int, error: BatchRepoError) -> None:
        self._errors.append(ChunkError(start, stop, error))

    def committed(self) -> list[range]:
        return [
            range(start, stop) for start, stop, _items in sorted(self._done, key=lambda d: d[0])
        ]

    def result(self) -> BatchResult[T]:
        self._done.sort(key=lambda done: done[0])  # parallel chunks finish in any order
        errors = sorted(self._errors, key=lambda failure: failure.start)
        items = [item for _start, _stop, chunk in self._done for item in chunk]
        failed = sum(f.stop - f.start for f in errors)
        stats = BatchStats(
            total=self._total,
            succeeded=self._total - failed,
            failed=failed,
            chunks=len(self._done) + len(errors),
            duration_ms=(time.perf_counter() - self._started) * 1000,
            affected=self._affected,
        )
        committed = [range(start, stop) for start, stop, _items in self._done]
        return BatchResult(items, stats, errors, committed)

    def note_progress(self, failure: BaseException) -> None:
        """Tell, on an exception that ends the call, which chunks were written before it (so a
        job can resume) and which were refused."""
        written = ", ".join(f"{r.start}-{r.stop}" for r in self.committed()) or "none"
        failure.add_note(f"batchrepo: row ranges written before this error: {written}")
        if self._errors:
            refused = ", ".join(f"{e.start}-{e.stop}" for e in self._errors)
            failure.add_note(f"batchrepo: row ranges refused before this error: {refused}")
