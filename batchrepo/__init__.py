"""batchrepo: the runtime that generated batch repositories import (needs asyncpg only).

Generated modules declare a :class:`~batchrepo.spec.TableSpec` per table and delegate to
:mod:`batchrepo.operations`; applications catch the errors below and read ``BatchResult`` and
``ValidationReport``.
"""

from batchrepo.cache import KeyCache
from batchrepo.chunked import BatchResult, BatchStats, ChunkError
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
from batchrepo.executor import Connection, Executor, acquire, atomic
from batchrepo.session import Session
from batchrepo.spec import AuditSpec, ColumnSpec, ForeignKeySpec, TableSpec, TableSQL, UniqueSpec
from batchrepo.unit_of_work import UnitOfWork
from batchrepo.validation import Problem, ValidationReport

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
    "Session",
    "StaleVersionError",
    "TableSQL",
    "TableSpec",
    "TransactionAbortedError",
    "UniqueSpec",
    "UniqueViolationError",
    "UnitOfWork",
    "ValidationError",
    "ValidationReport",
    "acquire",
    "atomic",
]
