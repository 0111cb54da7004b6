"""OpenTelemetry spans and metrics for every operation, and the ``batchrepo`` logger.

batchrepo depends on ``opentelemetry-api`` only: until the application installs an SDK (a
``TracerProvider`` and ``MeterProvider``), the tracer and meter are the API's no-op proxies and
an operation pays 2-3 µs for them (``benchmarks/telemetry_overhead.py``). Once an
SDK is installed, globally or through :func:`use_providers`, each call is one span and a few
metric points, named after the database semantic conventions:

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
  (parents the database refuted), ``batchrepo.unit.retries`` (see :func:`retried`).

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
from importlib import metadata
from types import TracebackType
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind, Status, StatusCode

from batchrepo.cache.recording import Recorder
from batchrepo.cache.views import CacheView
from batchrepo.db.executor import Connection, CopyTarget
from batchrepo.db.failures import classified
from batchrepo.session import Session
from batchrepo.spec import TableSpec, WriteMode

logger = logging.getLogger("batchrepo")
logger.addHandler(logging.NullHandler())

DB_SYSTEM_NAME = "db.system.name"
DB_OPERATION_NAME = "db.operation.name"
DB_COLLECTION_NAME = "db.collection.name"
DB_RESPONSE_STATUS_CODE = "db.response.status_code"
DB_RESPONSE_RETURNED_ROWS = "db.response.returned_rows"
ERROR_TYPE = "error.type"
POSTGRESQL = "postgresql"
OUTCOME = "batchrepo.outcome"
CACHE_RESULT = "batchrepo.key_cache.result"

#: The conventions' advice for ``db.client.operation.duration``, in seconds.
DURATION_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0)
ROW_BUCKETS = (1, 2, 5, 10, 100, 1000, 10_000, 100_000, 1_000_000)


def _version() -> str:
    try:
        return metadata.version("batchrepo")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return ""


class _Instruments:
    """The metric instruments, made once per meter."""

    def __init__(self, meter: metrics.Meter) -> None:
        self.duration = meter.create_histogram(
            "db.client.operation.duration",
            unit="s",
            description="Duration of database client operations.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self.returned_rows = meter.create_histogram(
            "db.client.response.returned_rows",
            unit="{row}",
            description="The actual number of records returned by the database operation.",
            explicit_bucket_boundaries_advisory=ROW_BUCKETS,
        )
        self.rows = meter.create_counter(
            "batchrepo.rows", unit="{row}", description="Rows (or keys) an operation handled."
        )
        self.chunks = meter.create_counter(
            "batchrepo.chunks", unit="{chunk}", description="Chunks of chunked operations."
        )
        self.lookups = meter.create_counter(
            "batchrepo.key_cache.lookups",
            unit="{key}",
            description="Keys the checks before writing asked of the key cache.",
        )
        self.evictions = meter.create_counter(
            "batchrepo.key_cache.evictions",
            unit="{key}",
            description="Cached parent keys forgotten because the database refuted them.",
        )
        self.retries = meter.create_counter(
            "batchrepo.unit.retries",
            unit="{retry}",
            description="Units of work tried again after a transient error.",
        )


_VERSION = _version()
_tracer: trace.Tracer = trace.get_tracer("batchrepo", _VERSION)
_instruments = _Instruments(metrics.get_meter("batchrepo", _VERSION))


def use_providers(
    tracer_provider: trace.TracerProvider | None = None,
    meter_provider: metrics.MeterProvider | None = None,
) -> None:
    """Send batchrepo's spans and metrics to these providers instead of the global ones (None:
    the global ones, as at import). For applications that keep providers of their own, and
    tests."""
    global _tracer, _instruments
    _tracer = trace.get_tracer("batchrepo", _VERSION, tracer_provider=tracer_provider)
    _instruments = _Instruments(metrics.get_meter("batchrepo", _VERSION, meter_provider))


class _Names:
    """The span name and metric attributes of one operation on one table, alone and with each
    outcome: made once and shared (OpenTelemetry copies what it keeps), so a call allocates
    none of them."""

    __slots__ = ("base", "failed", "ok", "span")

    def __init__(self, operation: str, table: str) -> None:
        self.span = f"{operation} {table}"
        self.base = {
            DB_SYSTEM_NAME: POSTGRESQL,
            DB_OPERATION_NAME: operation,
            DB_COLLECTION_NAME: table,
        }
        self.ok = self.base | {OUTCOME: "ok"}
        self.failed = self.base | {OUTCOME: "failed"}


_NAMES: dict[tuple[str, str], _Names] = {}


def _names(operation: str, table: str) -> _Names:
    found = _NAMES.get((operation, table))
    if found is None:
        found = _NAMES[(operation, table)] = _Names(operation, table)
    return found


def _as_raised(error: BaseException) -> tuple[str, str | None]:
    """The class name and SQLSTATE of the error the caller gets for ``error``: an operation's
    span ends inside :func:`~batchrepo.db.failures.boundary`, which turns what asyncpg raised
    (a lost connection, a timeout) into a batchrepo error on the way out."""
    found = classified(error)
    if found is not None:
        cls, fields = found
        sqlstate = fields.get("sqlstate") or getattr(error, "sqlstate", None)
        return cls.__qualname__, sqlstate if isinstance(sqlstate, str) and sqlstate else None
    sqlstate = getattr(error, "sqlstate", None)
    return type(error).__qualname__, sqlstate if isinstance(sqlstate, str) and sqlstate else None


def _error_attributes(error: BaseException) -> dict[str, str]:
    name, sqlstate = _as_raised(error)
    attributes = {ERROR_TYPE: name}
    if sqlstate is not None:
        attributes[DB_RESPONSE_STATUS_CODE] = sqlstate
    return attributes


def _failure(error: BaseException) -> str:
    """``UniqueViolationError (sqlstate 23505)``: class and SQLSTATE, never row values."""
    name, sqlstate = _as_raised(error)
    return name + (f" (sqlstate {sqlstate})" if sqlstate else "")


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
        self._names = _names(operation, spec.table)
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
        self._span = _tracer.start_span(
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
        names = self._names
        if error is None:
            _instruments.duration.record(seconds, names.base)
            if self.returned is not None:
                _instruments.returned_rows.record(self.returned, names.base)
        else:
            _instruments.duration.record(seconds, names.base | _error_attributes(error))
        self._count_rows(names, error)
        span = self._span
        if span.is_recording():
            self._describe(span, error)
        span.end()
        if self._attached is not None:
            otel_context.detach(self._attached)
        if error is not None and self._writes:
            self._log_rollback(error)

    def _count_rows(self, names: _Names, error: BaseException | None) -> None:
        ok, failed = names.ok, names.failed
        rows = self.rows or 0
        failed_rows = rows if error is not None else self.failed_rows
        if rows - failed_rows:
            _instruments.rows.add(rows - failed_rows, ok)
        if failed_rows:
            _instruments.rows.add(failed_rows, failed)
        if self.chunks is not None:
            if self.chunks - self.failed_chunks:
                _instruments.chunks.add(self.chunks - self.failed_chunks, ok)
            if self.failed_chunks:
                _instruments.chunks.add(self.failed_chunks, failed)

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
            span.set_attributes(_error_attributes(error))
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, _as_raised(error)[0]))

    def _log_rollback(self, error: BaseException) -> None:
        """A failed write: the database refused its statement, which was rolled back (with
        the rest of its transaction or savepoint), or the checks refused it before."""
        rows = "its rows" if self.rows is None else f"{self.rows} row{'s' * (self.rows != 1)}"
        if _as_raised(error)[1] is not None:
            done = "rolled back, nothing written"
        else:
            done = "refused before any statement, nothing written"
        logger.info("%s %s: %s %s (%s)", self.operation, self.table, rows, done, _failure(error))

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
            _instruments.lookups.add(hits, {DB_COLLECTION_NAME: table, CACHE_RESULT: "hit"})
        if misses:
            _instruments.lookups.add(misses, {DB_COLLECTION_NAME: table, CACHE_RESULT: "miss"})


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
            _instruments.evictions.add(len(keys), {DB_COLLECTION_NAME: table})
        super().refuted(table, keys)


def retried(attempt: int, error: BaseException, delay: float) -> None:
    """Tell telemetry that a unit of work failed with a transient ``error`` on its ``attempt``
    (1 for the first) and runs again in ``delay`` seconds: counts ``batchrepo.unit.retries``
    (by ``error.type``) and adds a ``batchrepo.retry`` event to the current span.
    :func:`batchrepo.retry.run_unit` calls it before each retry (and logs the retry itself)."""
    attributes = _error_attributes(error)
    _instruments.retries.add(1, attributes)
    span = trace.get_current_span()
    if span.is_recording():
        event: dict[str, Any] = {"batchrepo.attempt": attempt, "batchrepo.delay_s": delay}
        span.add_event("batchrepo.retry", event | attributes)
