"""The exceptions every batchrepo operation raises: one hierarchy under ``BatchRepoError``.

Every error names its table and, where known, the constraint, its columns, the primary keys of the
rows involved and their 0-based indexes in the batch (``rows``). Callers branch on the type and read
the attributes; the message is for people. Messages show keys but never other row values, because
error messages end up in logs and rows may hold personal data. The asyncpg error, when there is
one, stays available as ``__cause__`` (its own ``detail`` may quote values: log it with care).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Self

if TYPE_CHECKING:
    from batchrepo.validate.report import ValidationReport

#: How many keys or row indexes a message lists before summarising the rest.
SHOWN_IN_MESSAGE = 10


def _listing(values: Sequence[Any]) -> str:
    shown = ", ".join(repr(v) for v in values[:SHOWN_IN_MESSAGE])
    hidden = len(values) - SHOWN_IN_MESSAGE
    return f"[{shown}{f', ... {hidden} more' if hidden > 0 else ''}]"


class BatchRepoError(Exception):
    """Base of every error raised by batchrepo operations.

    ``rows`` are 0-based indexes into the batch as the caller passed it (for chunked calls: into
    the whole input); ``keys`` the primary keys of those rows, in the same order, where known.
    """

    #: What went wrong, in a few words; subclasses set it.
    summary: ClassVar[str] = "batch operation failed"

    table: str
    constraint: str | None
    columns: tuple[str, ...]
    keys: list[Any]
    rows: list[int]
    sqlstate: str | None
    reason: str
    rows_by_constraint: dict[str, list[int]]

    def __init__(
        self,
        table: str,
        *,
        constraint: str | None = None,
        columns: Iterable[str] = (),
        keys: Iterable[Any] = (),
        rows: Iterable[int] = (),
        sqlstate: str | None = None,
        reason: str = "",
        rows_by_constraint: dict[str, list[int]] | None = None,
    ) -> None:
        self.table = table
        self.constraint = constraint
        self.columns = tuple(columns)
        self.keys = list(keys)
        self.rows = list(rows)
        self.sqlstate = sqlstate
        self.reason = reason
        self.rows_by_constraint = dict(rows_by_constraint or {})
        super().__init__(table)

    def __str__(self) -> str:
        parts = [f"{self.table}: {self.summary}"]
        if self.constraint is not None or self.columns:
            on = f" on ({', '.join(self.columns)})" if self.columns else ""
            parts.append(f"constraint {self.constraint or '?'}{on}")
        if self.rows:
            parts.append(f"rows {_listing(self.rows)}")
        if self.keys:
            parts.append(f"keys {_listing(self.keys)}")
        if self.reason:
            parts.append(self.reason)
        if self.sqlstate is not None:
            parts.append(f"sqlstate {self.sqlstate}")
        return "; ".join(parts)

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's default reduce calls cls(*args), which cannot rebuild keyword-only state;
        # copying the attributes keeps copy.copy and pickling working for every subclass.
        return (_rebuild, (type(self), dict(self.__dict__)))

    def with_row_offset(self, offset: int) -> Self:
        """A copy whose row indexes count from the start of a larger input (chunked batches)."""
        shifted = copy.copy(self)
        shifted.rows = [row + offset for row in self.rows]
        shifted.rows_by_constraint = {
            name: [row + offset for row in rows] for name, rows in self.rows_by_constraint.items()
        }
        return shifted


def _rebuild(cls: type[BatchRepoError], state: dict[str, Any]) -> BatchRepoError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, state.get("table", ""))
    return error


class ValidationError(BatchRepoError):
    """Rows broke field rules checked before any SQL; ``report`` lists every problem."""

    summary = "rows failed validation"
    report: ValidationReport

    def __init__(self, report: ValidationReport, *, keys: Iterable[Any] = ()) -> None:
        self.report = report
        super().__init__(
            report.table,
            rows=sorted({p.row for p in report.problems}),
            keys=keys,
            reason=str(report),
        )

    def with_row_offset(self, offset: int) -> Self:
        shifted = super().with_row_offset(offset)
        shifted.report = self.report.with_row_offset(offset)
        shifted.reason = str(shifted.report)
        return shifted


class DuplicateKeyInBatchError(ValidationError):
    """Two rows of one write batch share a primary key or unique key (detected before SQL)."""

    summary = "duplicate key inside the batch"

    def __init__(
        self,
        report: ValidationReport,
        *,
        constraint: str,
        columns: Iterable[str],
        keys: Iterable[Any] = (),
    ) -> None:
        super().__init__(report, keys=keys)
        self.constraint = constraint
        self.columns = tuple(columns)
        # the report may also list rows checked against the database; these are the repeats
        repeats = sorted({p.row for p in report.problems if p.code == "duplicate_key"})
        self.rows = repeats or self.rows


class UniqueViolationError(BatchRepoError):
    """A row already exists with this primary key, or a unique key value is taken (23505).

    For a batch, ``rows`` holds every row that clashes on any unique constraint and
    ``rows_by_constraint`` tells which clash on which.
    """

    summary = "key already exists"


class ForeignKeyViolationError(BatchRepoError):
    """A referenced parent row does not exist, or a deleted row is still referenced (23503, or
    23001 for ON DELETE RESTRICT)."""

    summary = "foreign key violated"


class MissingParentError(ForeignKeyViolationError):
    """Rows reference parents that do not exist (checked before writing, or refused by the
    database when a cached parent was deleted by someone else; the stale entry is evicted).

    ``report`` lists every missing parent of the batch (code ``missing_parent``), one problem per
    row and foreign key; ``constraint`` is the first one's. ``parents`` names the missing parent
    rows themselves (``person (id) = 7``), distinct, in row order, and the message leads with
    them: the parent is what is missing, the child's own key (``keys``) comes after.
    """

    summary = "referenced parent rows do not exist"
    report: ValidationReport | None
    parents: list[str]

    def __init__(
        self,
        table: str,
        *,
        report: ValidationReport | None = None,
        constraint: str | None = None,
        columns: Iterable[str] = (),
        keys: Iterable[Any] = (),
        rows: Iterable[int] = (),
        sqlstate: str | None = None,
        rows_by_constraint: dict[str, list[int]] | None = None,
        parents: Iterable[str] = (),
    ) -> None:
        self.report = report
        self.parents = list(parents)
        super().__init__(
            table,
            constraint=constraint,
            columns=columns,
            keys=keys,
            rows=rows,
            sqlstate=sqlstate,
            reason="" if report is None else str(report),
            rows_by_constraint=rows_by_constraint,
        )

    def with_row_offset(self, offset: int) -> Self:
        shifted = super().with_row_offset(offset)
        if self.report is not None:
            shifted.report = self.report.with_row_offset(offset)
            shifted.reason = str(shifted.report)
        return shifted

    def __str__(self) -> str:
        text = super().__str__()
        if not getattr(self, "parents", None):
            return text
        head, _, rest = text.partition("; ")
        missing = ", ".join(self.parents[:SHOWN_IN_MESSAGE])
        hidden = len(self.parents) - SHOWN_IN_MESSAGE
        missing += f", ... {hidden} more" if hidden > 0 else ""
        return f"{head}: {missing}" + (f"; {rest}" if rest else "")


class StaleVersionError(BatchRepoError):
    """Optimistic concurrency: rows changed since the caller read them; nothing was written.

    ``keys`` and ``rows`` name the stale rows; ``expected[i]`` is the version the caller sent for
    ``keys[i]`` and ``found[i]`` the version stored now (None only when a concurrent change left
    nothing to compare).
    """

    summary = "rows were changed by someone else (stale version)"
    expected: list[int | None]
    found: list[int | None]

    def __init__(
        self,
        table: str,
        *,
        keys: Iterable[Any],
        rows: Iterable[int],
        expected: Iterable[int | None],
        found: Iterable[int | None],
    ) -> None:
        self.expected = list(expected)
        self.found = list(found)
        shown = list(zip(self.expected, self.found, strict=True))[:SHOWN_IN_MESSAGE]
        pairs = ", ".join(f"{e}->{f}" for e, f in shown)
        super().__init__(table, keys=keys, rows=rows, reason=f"versions expected->found [{pairs}]")


class MissingRowsError(BatchRepoError):
    """An update named rows that do not exist; nothing was written."""

    summary = "rows to update do not exist"


class CheckViolationError(BatchRepoError):
    """A CHECK constraint rejected a row (23514)."""

    summary = "check constraint violated"


class NotNullViolationError(BatchRepoError):
    """A NULL reached a NOT NULL column (23502)."""

    summary = "null value in a not-null column"


class DataError(BatchRepoError):
    """A value the database cannot store: too long, out of range, malformed (class 22)."""

    summary = "invalid data"


class DatabaseError(BatchRepoError):
    """Any other database error; ``sqlstate`` tells which. Those worth running the unit of work
    again are :class:`TransientError` (40001, 40P01, 55P03, 0A000, a lost connection)."""

    summary = "database error"


class TransactionAbortedError(DatabaseError):
    """COMMIT found the transaction aborted by an earlier failed statement (one whose error the
    caller caught) and PostgreSQL rolled it back: nothing was written, no key reached the cache,
    no after-commit callback ran. asyncpg alone would report such a COMMIT as a success."""

    summary = "the transaction had been aborted and was rolled back at COMMIT"


class QueryCanceledError(DatabaseError):
    """The server cancelled a statement (57014) on request: an administrator's
    ``pg_cancel_backend``, say. Never retried. A caller's own cancellation of its task stays
    ``asyncio.CancelledError``; a cancellation by ``statement_timeout`` is the subclass below."""

    summary = "statement cancelled by the server"


class StatementTimeoutError(QueryCanceledError):
    """A statement ran longer than ``statement_timeout`` (57014), the unit's or the pool's; the
    statement wrote nothing. Never retried: the same work would time out again."""

    summary = "statement timeout"


class ResponseTimeoutError(DatabaseError):
    """No answer from the server within a client-side bound (asyncpg's ``command_timeout`` or a
    unit of work's ``wait_timeout``): a slow statement, or a connection that went silent. Never
    retried; during COMMIT it is a :class:`CommitOutcomeUnknownError` instead."""

    summary = "no answer from the server in time"


class TransientError(DatabaseError):
    """A failure that running the whole unit of work again may not meet: nothing of the unit was
    committed. :func:`batchrepo.run_unit` retries these (see :mod:`batchrepo.retry`)."""

    summary = "transient failure, worth a retry of the whole unit of work"


class SerializationFailureError(TransientError):
    """A concurrent transaction made this one's reads stale (40001, REPEATABLE READ and
    SERIALIZABLE); PostgreSQL rolled it back."""

    summary = "could not serialize access due to concurrent update"


class DeadlockDetectedError(TransientError):
    """Two transactions waited for each other's locks (40P01); PostgreSQL rolled this one back."""

    summary = "deadlock detected"


class LockNotAvailableError(TransientError):
    """A lock was not granted within ``lock_timeout``, or at once for ``NOWAIT`` (55P03)."""

    summary = "lock not available"


class CachedPlanInvalidError(TransientError):
    """A prepared statement's result type changed under it (0A000, after ``ALTER TABLE ...
    ALTER COLUMN TYPE`` by another session); inside a transaction asyncpg cannot prepare it
    again, so the unit failed. Its caches are dropped: the next attempt prepares afresh.
    Retried once."""

    summary = "cached plan must not change result type"


class ConnectionLostError(TransientError):
    """The connection broke (terminated backend, server restart, network) before COMMIT was
    sent, whatever was running; the original error is the ``__cause__``. Nothing of the unit
    was committed. A write outside a unit of work that commits by itself reports a break while
    its statement ran as :class:`CommitOutcomeUnknownError` instead."""

    summary = "connection lost"


class CommitOutcomeUnknownError(DatabaseError):
    """COMMIT was sent and its answer never came (the connection broke, or went silent past the
    unit's ``wait_timeout``): the transaction may have committed or not. Never retried.

    ``xid`` is the transaction id taken before COMMIT (None when the unit had written nothing
    it knew of, or for a write outside a unit of work); ask
    ``await batchrepo.commit_outcome(pool, error.xid)`` once the server is reachable. The unit's
    keys did not reach the global key cache and its after-commit callbacks did not run.
    """

    summary = "COMMIT was sent but its outcome is unknown"
    xid: int | None

    def __init__(self, table: str, *, xid: int | None, reason: str = "") -> None:
        self.xid = xid
        shown = f"transaction id {xid}" if xid is not None else "no transaction id"
        super().__init__(table, reason=f"{reason}; {shown}" if reason else shown)
