"""batchrepo: the runtime that generated batch repositories import (needs asyncpg only).

Generated modules declare a :class:`~batchrepo.spec.TableSpec` per table and delegate to
:mod:`batchrepo.operations`; applications catch the errors below and read ``BatchResult`` and
``ValidationReport``.
"""

from batchrepo.chunked import BatchResult, BatchStats, ChunkError
from batchrepo.errors import (
    BatchRepoError,
    CheckViolationError,
    DatabaseError,
    DataError,
    DuplicateKeyInBatchError,
    ForeignKeyViolationError,
    MissingRowsError,
    NotNullViolationError,
    UniqueViolationError,
    ValidationError,
)
from batchrepo.executor import Connection, Executor, acquire, atomic
from batchrepo.spec import ColumnSpec, ForeignKeySpec, TableSpec, TableSQL, UniqueSpec
from batchrepo.validation import Problem, ValidationReport

__all__ = [
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
    "MissingRowsError",
    "NotNullViolationError",
    "Problem",
    "TableSQL",
    "TableSpec",
    "UniqueSpec",
    "UniqueViolationError",
    "ValidationError",
    "ValidationReport",
    "acquire",
    "atomic",
]
