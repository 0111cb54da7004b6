"""OpenTelemetry spans and metrics for every operation, and the ``batchrepo`` logger.

batchrepo depends on ``opentelemetry-api`` only: until the application installs an SDK (a
``TracerProvider`` and ``MeterProvider``), the tracer and meter are the API's no-op proxies and
an operation pays 2-3 µs for them (``benchmarks/telemetry_overhead.py``). Once an SDK is
installed, globally or through :func:`~.instruments.use_providers`, each call is one span and a
few metric points, named after the database semantic conventions (:mod:`.instruments`):

* a CLIENT span ``"<operation> <table>"`` (``save_batch person``) with ``db.system.name`` =
  ``postgresql``, ``db.operation.name`` (the operation: ``save_batch``, ``load_stream``...),
  ``db.collection.name`` (the table), ``db.response.returned_rows`` (reads), on failure
  ``error.type`` (the exception class), ``db.response.status_code`` (its SQLSTATE, when the
  database refused) and an ERROR status with the exception recorded; plus ``batchrepo.*``
  attributes: ``rows``, ``rows.affected``, ``chunks``, ``chunks.failed``, ``rows.failed``,
  ``write.path`` (``statement``, ``counting statement``, ``copy``), ``returning``,
  ``unit_of_work``, ``key_cache.hits`` and ``key_cache.misses``;
* ``db.client.operation.duration`` (histogram, seconds; ``error.type`` on failures, so errors
  by class are its counts) and ``db.client.response.returned_rows`` (histogram, reads);
* ``batchrepo.rows`` and ``batchrepo.chunks`` (counters, by ``batchrepo.outcome``: ``ok`` or
  ``failed``), ``batchrepo.key_cache.lookups`` (by ``batchrepo.key_cache.result``: ``hit``, the
  cache answered, or ``miss``, the database was asked), ``batchrepo.key_cache.evictions``
  (parents the database refuted), ``batchrepo.unit.retries`` (:func:`~.instruments.retried`).

One UNNEST statement over many rows is one operation, not a batch in the conventions' sense,
so ``db.operation.batch.size`` is not set. ``db.namespace`` and ``server.*`` are left to a
driver instrumentation (asyncpg's), whose statement spans nest under these.

The logger ``batchrepo`` (with a ``NullHandler``: silent until the application configures
logging) tells what a caller might not see: a failed write rolled back (INFO), the key cache
forgetting parents the database refuted (INFO), a chunk refused in a call that goes on
(WARNING, from :mod:`batchrepo.write.chunk_runs`); :mod:`batchrepo.retry` logs a unit of work
tried again there too (WARNING). The success path logs nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable, Sequence
from contextvars import Token
from types import TracebackType
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind, Status, StatusCode

from batchrepo.cache.recording import Recorder
from batchrepo.cache.views import CacheView
from batchrepo.db.executor import Connection, CopyTarget
from batchrepo.observe import instruments
from batchrepo.observe.instruments import (
    CACHE_RESULT,
    DB_COLLECTION_NAME,
    DB_RESPONSE_RETURNED_ROWS,
    Names,
    as_raised,
    error_attributes,
    failure,
    names,
)
from batchrepo.session import Session
from batchrepo.spec import TableSpec, WriteMode

logger = logging.getLogger("batchrepo")
logger.addHandler(logging.NullHandler())


class Observed:
    """One operation call as telemetry sees it: a span from :meth:`start` to :meth:`finish`
    (or ``with``), and what the call learns in between, set by the operation."""

    __slots__ = (
        "_attached",
        "_hits",
        "_misses",
        "_names",
        "_span",
        "_started",
        "_writes",
        "affected",
        "chunks",
        "failed_chunks",
        "failed_rows",
        "operation",
        "paths",
        "returned",
        "returning",
        "rows",
        "table",
        "unit_of_work",
    )

    def __init__(
        self,
        operation: str,
        spec: TableSpec[Any, Any],
        session: Session,
        rows: int | None = None,
        *,
        writes: bool = False,
        returning: bool | None = None,
    ) -> None:
        self.operation = operation
        self.table = spec.table
        self._names = names(operation, spec.table)
        self.rows = rows
        self.unit_of_work = session.unit_of_work is not None
        self.returning = returning
        self._writes = writes
        self.returned: int | None = None
        """Rows the database sent back (reads)."""
        self.affected: int | None = None
        """Rows written or deleted."""
        self.chunks: int | None = None
        self.failed_chunks = 0
        self.failed_rows = 0
        self.paths: set[str] = set()
        self._hits = self._misses = 0
        self._span: trace.Span = trace.INVALID_SPAN
        self._attached: Token[Context] | None = None
        self._started = 0.0

    def __enter__(self) -> Observed:
        self.start(attach=True)
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.finish(error)

    def start(self, *, attach: bool) -> None:
        """Open the span; ``attach``: make it the current span, so spans opened inside the call
        (a driver's statement spans) are its children. A stream does not attach: the loop that
        reads it runs between its chunks, and its spans are not the stream's."""
        self._span = instruments.current.tracer.start_span(
            self._names.span, kind=SpanKind.CLIENT, attributes=self._names.base
        )
        if attach and self._span.get_span_context().is_valid:  # no SDK: nothing to attach
            self._attached = otel_context.attach(trace.set_span_in_context(self._span))
        self._started = time.perf_counter()

    def finish(self, error: BaseException | None) -> None:
        """Close the span and record the call's metrics; ``error``: what it raised (a stream
        closed early by its reader, ``GeneratorExit``, is no failure)."""
        seconds = time.perf_counter() - self._started
        if isinstance(error, GeneratorExit):
            error = None
        named, now = self._names, instruments.current
        if error is None:
            now.duration.record(seconds, named.base)
            if self.returned is not None:
                now.returned_rows.record(self.returned, named.base)
        else:
            now.duration.record(seconds, named.base | error_attributes(error))
        self._count_rows(named, error)
        span = self._span
        if span.is_recording():
            self._describe(span, error)
        span.end()
        if self._attached is not None:
            otel_context.detach(self._attached)
        if error is not None and self._writes:
            self._log_rollback(error)

    def _count_rows(self, named: Names, error: BaseException | None) -> None:
        ok, failed = named.ok, named.failed
        rows = self.rows or 0
        failed_rows = rows if error is not None else self.failed_rows
        if rows - failed_rows:
            instruments.current.rows.add(rows - failed_rows, ok)
        if failed_rows:
            instruments.current.rows.add(failed_rows, failed)
        if self.chunks is not None:
            if self.chunks - self.failed_chunks:
                instruments.current.chunks.add(self.chunks - self.failed_chunks, ok)
            if self.failed_chunks:
                instruments.current.chunks.add(self.failed_chunks, failed)

    def _describe(self, span: trace.Span, error: BaseException | None) -> None:
        values: dict[str, Any] = {
            "batchrepo.rows": self.rows,
            "batchrepo.rows.affected": self.affected,
            DB_RESPONSE_RETURNED_ROWS: self.returned,
            "batchrepo.chunks": self.chunks,
            "batchrepo.returning": self.returning,
            "batchrepo.unit_of_work": self.unit_of_work,
            "batchrepo.write.path": ",".join(sorted(self.paths)) or None,
        }
        if self.chunks is not None:
            values["batchrepo.chunks.failed"] = self.failed_chunks
            values["batchrepo.rows.failed"] = self.failed_rows
        if self._hits or self._misses:
            values["batchrepo.key_cache.hits"] = self._hits
            values["batchrepo.key_cache.misses"] = self._misses
        span.set_attributes({name: value for name, value in values.items() if value is not None})
        if error is not None:
            span.set_attributes(error_attributes(error))
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, as_raised(error)[0]))

    def _log_rollback(self, error: BaseException) -> None:
        """A failed write: the database refused its statement, which was rolled back (with
        the rest of its transaction or savepoint), or the checks refused it before."""
        rows = "its rows" if self.rows is None else f"{self.rows} row{'s' * (self.rows != 1)}"
        if as_raised(error)[1] is not None:
            done = "rolled back, nothing written"
        else:
            done = "refused before any statement, nothing written"
        logger.info("%s %s: %s %s (%s)", self.operation, self.table, rows, done, failure(error))

    def note_path(
        self,
        spec: TableSpec[Any, Any],
        session: Session,
        mode: WriteMode,
        rows: int,
        conn: Connection,
        returning: bool,
    ) -> None:
        """Note the path a batch write of ``rows`` rows takes on ``conn``.

        This mirrors the choice :func:`batchrepo.write.apply.write_batch` makes (COPY for large
        inserts where the table and the session's policy allow it; the counting statement
        when nobody reads the rows; else the statement returning them); the telemetry tests
        hold the two to the same answer by the statements a counting connection saw.
        """
        if (
            mode == "insert"
            and spec.copy is not None
            and session.policy.copies(rows)
            and isinstance(conn, CopyTarget)
        ):
            self.paths.add("copy")
        elif not returning and getattr(spec.sql, f"{mode}_batch_count", None) is not None:
            self.paths.add("counting statement")
        else:
            self.paths.add("statement")

    def recorder(self, view: CacheView | None, *, deferred: bool = False) -> Recorder:
        """A :class:`Recorder` for the call whose cache lookups and evictions are counted."""
        if view is None:
            return Recorder(None, deferred=deferred)
        return _ObservedRecorder(_CountingView(view, self), self, deferred=deferred)

    def cache_answers(self, table: str, hits: int, misses: int) -> None:
        self._hits += hits
        self._misses += misses
        if hits:
            instruments.current.lookups.add(hits, {DB_COLLECTION_NAME: table, CACHE_RESULT: "hit"})
        if misses:
            instruments.current.lookups.add(
                misses, {DB_COLLECTION_NAME: table, CACHE_RESULT: "miss"}
            )


class _CountingView:
    """A cache view that counts which lookups the cache answered (True or False) and which it
    left to the database (None)."""

    __slots__ = ("_observed", "_view")

    def __init__(self, view: CacheView, observed: Observed) -> None:
        self._view = view
        self._observed = observed

    def lookup(self, table: str, keys: Sequence[Hashable]) -> list[bool | None]:
        answers = self._view.lookup(table, keys)
        misses = answers.count(None)
        self._observed.cache_answers(table, len(answers) - misses, misses)
        return answers

    def version(self, table: str, key: Hashable) -> int | None:
        return self._view.version(table, key)

    def record_present(
        self,
        table: str,
        keys: Sequence[Hashable],
        versions: Sequence[int | None] | None = None,
    ) -> None:
        self._view.record_present(table, keys, versions)

    def record_absent(self, table: str, keys: Sequence[Hashable]) -> None:
        self._view.record_absent(table, keys)

    def record_unknown_rows(self, table: str) -> None:
        self._view.record_unknown_rows(table)


class _ObservedRecorder(Recorder):
    """Logs and counts the parents the database refuted, as they are evicted."""

    __slots__ = ("_observed",)

    def __init__(self, view: CacheView, observed: Observed, *, deferred: bool) -> None:
        super().__init__(view, deferred=deferred)
        self._observed = observed

    def refuted(self, table: str, keys: Sequence[Hashable]) -> None:
        if keys:
            logger.info(
                "%s %s: the database refuted %d parent keys of table %s the key cache vouched "
                "for; forgotten",
                self._observed.operation,
                self._observed.table,
                len(keys),
                table,
            )
            instruments.current.evictions.add(len(keys), {DB_COLLECTION_NAME: table})
        super().refuted(table, keys)
