"""What :mod:`batchrepo.observe.telemetry` records with: the tracer, the metric instruments and
the names they use, after the OpenTelemetry database semantic conventions.

The tracer and meter come from the global providers, which are the API's no-op proxies until the
application installs an SDK (and forward to it from then on, however late it comes), or from the
providers given to :func:`use_providers`. :data:`current` is the live set: read it at call time.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from opentelemetry import metrics, trace

from batchrepo.db.failures import classified

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


_VERSION = _version()


class Instruments:
    """A tracer and the metric instruments, made once per pair of providers (None: global)."""

    def __init__(
        self,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
    ) -> None:
        self.tracer = trace.get_tracer("batchrepo", _VERSION, tracer_provider=tracer_provider)
        meter = metrics.get_meter("batchrepo", _VERSION, meter_provider)
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


#: The instruments in use (see :func:`use_providers`).
current = Instruments()


def use_providers(
    tracer_provider: trace.TracerProvider | None = None,
    meter_provider: metrics.MeterProvider | None = None,
) -> None:
    """Send batchrepo's spans and metrics to these providers instead of the global ones (None:
    the global ones, as at import). For applications that keep providers of their own, and
    tests."""
    global current
    current = Instruments(tracer_provider, meter_provider)


class Names:
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


_NAMES: dict[tuple[str, str], Names] = {}


def names(operation: str, table: str) -> Names:
    found = _NAMES.get((operation, table))
    if found is None:
        found = _NAMES[(operation, table)] = Names(operation, table)
    return found


def as_raised(error: BaseException) -> tuple[str, str | None]:
    """The class name and SQLSTATE of the error the caller gets for ``error``: an operation's
    span ends inside :func:`~batchrepo.db.failures.boundary`, which turns what asyncpg raised
    (a lost connection, a timeout) into a batchrepo error on the way out."""
    found = classified(error)
    name, sqlstate = type(error).__qualname__, getattr(error, "sqlstate", None)
    if found is not None:
        cls, fields = found
        name, sqlstate = cls.__qualname__, fields.get("sqlstate") or sqlstate
    return name, sqlstate if isinstance(sqlstate, str) and sqlstate else None


def error_attributes(error: BaseException) -> dict[str, str]:
    """``error.type`` and, when the database answered with one, ``db.response.status_code``."""
    name, sqlstate = as_raised(error)
    attributes = {ERROR_TYPE: name}
    if sqlstate is not None:
        attributes[DB_RESPONSE_STATUS_CODE] = sqlstate
    return attributes


def failure(error: BaseException) -> str:
    """``UniqueViolationError (sqlstate 23505)``: class and SQLSTATE, never row values."""
    name, sqlstate = as_raised(error)
    return name + (f" (sqlstate {sqlstate})" if sqlstate else "")


def retried(attempt: int, error: BaseException, delay: float) -> None:
    """Tell telemetry that a unit of work failed with a transient ``error`` on its ``attempt``
    (1 for the first) and runs again in ``delay`` seconds: counts ``batchrepo.unit.retries``
    (by ``error.type``) and adds a ``batchrepo.retry`` event to the current span.
    :func:`batchrepo.retry.run_unit` calls it before each retry (and logs the retry itself)."""
    attributes = error_attributes(error)
    current.retries.add(1, attributes)
    span = trace.get_current_span()
    if span.is_recording():
        event: dict[str, Any] = {"batchrepo.attempt": attempt, "batchrepo.delay_s": delay}
        span.add_event("batchrepo.retry", event | attributes)
