"""batchrepo: the runtime that generated batch repositories import (needs asyncpg, and the
OpenTelemetry API, a no-op until the application installs an SDK).

Generated modules declare a :class:`~batchrepo.spec.TableSpec` per table and delegate to
:mod:`batchrepo.operations`; applications catch the errors below and read ``BatchResult`` and
``ValidationReport`` (and, for audited tables, ``HistoryEntry`` from the history reads).

Failures are batchrepo errors only (a caller's cancellation stays ``asyncio.CancelledError``):
``TransientError`` and its kinds are worth running the unit of work again, which
:func:`run_unit` does under a :class:`RetryPolicy`; ``CommitOutcomeUnknownError`` never is, and
:func:`commit_outcome` asks the server what became of its transaction.

Connection set-up: :func:`create_pool` (``asyncpg.create_pool`` with a package's codecs ready on
every connection) and :class:`TypeCodecs` (the same as an ``init`` hook for a caller's own pool),
so the first batch call on a fresh connection skips asyncpg's type introspection.

Entity read cache (opt-in per table): :func:`cache_entities` lets ``load`` / ``load_batch`` answer
from rows read at most a TTL ago (docs/units-of-work.md, "Entity cache").

Write paths: :class:`WritePolicy` (given to :func:`as_session`) says from how many rows an insert
goes by binary COPY where the table allows it (docs/design.md, "Write paths").

Monitoring (README, "Monitoring"): every operation is an OpenTelemetry span with metrics
(:func:`use_providers` for providers other than the global ones), the logger ``batchrepo`` tells
rollbacks, evictions and refused chunks, and chunked and streamed calls take ``progress``, a
callable given a :class:`ProgressEvent` after each chunk.
"""

from batchrepo.cache.entity_cache import EntityCache, EntityCacheStats
from batchrepo.cache.entity_reads import cache_entities
from batchrepo.cache.key_cache import KeyCache
from batchrepo.db.codecs import TypeCodecs, create_pool
from batchrepo.db.commit_outcome import CommitStatus, commit_outcome
from batchrepo.db.executor import Connection, Executor, acquire, atomic
from batchrepo.errors import (
    BatchRepoError,
    CachedPlanInvalidError,
    CheckViolationError,
    CommitOutcomeUnknownError,
    ConnectionLostError,
    DatabaseError,
    DataError,
    DeadlockDetectedError,
    DuplicateKeyInBatchError,
    ForeignKeyViolationError,
    LockNotAvailableError,
    MissingParentError,
    MissingRowsError,
    NotNullViolationError,
    QueryCanceledError,
    ResponseTimeoutError,
    SerializationFailureError,
    StaleVersionError,
    StatementTimeoutError,
    TransactionAbortedError,
    TransientError,
    UniqueViolationError,
    ValidationError,
)
from batchrepo.observe import ProgressEvent, use_providers
from batchrepo.read.history import HistoryEntry
from batchrepo.retry import RetryPolicy, run_unit
from batchrepo.session import Session, WritePolicy, as_session
from batchrepo.spec import AuditSpec, ColumnSpec, ForeignKeySpec, TableSpec, TableSQL, UniqueSpec
from batchrepo.unit_of_work import UnitOfWork
from batchrepo.validate.report import Problem, ValidationReport
from batchrepo.write.chunked import BatchResult, BatchStats, ChunkError

__all__ = [
    "AuditSpec",
    "BatchRepoError",
    "BatchResult",
    "BatchStats",
    "CachedPlanInvalidError",
    "CheckViolationError",
    "ChunkError",
    "ColumnSpec",
    "CommitOutcomeUnknownError",
    "CommitStatus",
    "Connection",
    "ConnectionLostError",
    "DataError",
    "DatabaseError",
    "DeadlockDetectedError",
    "DuplicateKeyInBatchError",
    "EntityCache",
    "EntityCacheStats",
    "Executor",
    "ForeignKeySpec",
    "ForeignKeyViolationError",
    "HistoryEntry",
    "KeyCache",
    "LockNotAvailableError",
    "MissingParentError",
    "MissingRowsError",
    "NotNullViolationError",
    "Problem",
    "ProgressEvent",
    "QueryCanceledError",
    "ResponseTimeoutError",
    "RetryPolicy",
    "SerializationFailureError",
    "Session",
    "StaleVersionError",
    "StatementTimeoutError",
    "TableSQL",
    "TableSpec",
    "TransactionAbortedError",
    "TransientError",
    "TypeCodecs",
    "UniqueSpec",
    "UniqueViolationError",
    "UnitOfWork",
    "ValidationError",
    "ValidationReport",
    "WritePolicy",
    "acquire",
    "as_session",
    "atomic",
    "cache_entities",
    "commit_outcome",
    "create_pool",
    "run_unit",
    "use_providers",
]
