"""batchrepo: the runtime that generated batch repositories import (needs asyncpg, and the
OpenTelemetry API, a no-op until the application installs an SDK).

Generated modules declare a :class:`~batchrepo.spec.TableSpec` per table and delegate to
:mod:`batchrepo.operations`; applications catch the errors below and read ``BatchResult`` and
``ValidationReport``.

Connection set-up: :func:`create_pool` (``asyncpg.create_pool`` with a package's codecs ready on
every connection) and :class:`TypeCodecs` (the same as an ``init`` hook for a caller's own pool),
so the first batch call on a fresh connection skips asyncpg's type introspection.

Write paths: :class:`WritePolicy` (given to :func:`as_session`) says from how many rows an insert
goes by binary COPY where the table allows it (docs/design.md, "Write paths").

Monitoring (README, "Monitoring"): every operation is an OpenTelemetry span with metrics
(:func:`use_providers` for providers other than the global ones), the logger ``batchrepo`` tells
rollbacks, evictions and refused chunks, and chunked and streamed calls take ``progress``, a
callable given a :class:`ProgressEvent` after each chunk.
"""

from batchrepo.cache.key_cache import KeyCache
from batchrepo.db.codecs import TypeCodecs, create_pool
from batchrepo.db.executor import Connection, Executor, acquire, atomic
from batchrepo.errors import (
    BatchRepoError,
    CheckViolationError,
    DatabaseError,
    DataError,
    DuplicateKeyInBatchError,
    ForeignKeyViolationError,
    MissingParentError,
    MissingRowsError,
    NotNullViolationError,
    StaleVersionError,
    TransactionAbortedError,
    UniqueViolationError,
    ValidationError,
)
from batchrepo.observe import ProgressEvent, use_providers
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
    "CheckViolationError",
    "ChunkError",
    "ColumnSpec",
    "Connection",
    "DataError",
    "DatabaseError",
    "DuplicateKeyInBatchError",
    "Executor",
    "ForeignKeySpec",
    "ForeignKeyViolationError",
    "KeyCache",
    "MissingParentError",
    "MissingRowsError",
    "NotNullViolationError",
    "Problem",
    "ProgressEvent",
    "Session",
    "StaleVersionError",
    "TableSQL",
    "TableSpec",
    "TransactionAbortedError",
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
    "create_pool",
    "use_providers",
]
