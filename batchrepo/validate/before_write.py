"""Everything a write checks before its statement: fields, duplicate keys, references.

The order is the contract's (``docs/units-of-work.md``, "Checks before writing"): field rules and
duplicate keys inside the batch (no SQL), then parents and existing primary keys, asked of the
key cache first and of the database for what the cache cannot answer. Rows with field problems
are not checked against the database. One report collects it all; "Which error" decides what is
raised. ``validate_batch`` returns the same report instead of raising, so validating and writing
never disagree.

When only references are refused, the rows before the first refused one are tried in a savepoint
that rolls back: a row-by-row loop would have written them first, and if the database refuses
one of them, that earlier failure is the batch's error too (the core promise: a batch fails as
the loop it replaces).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from batchrepo.cache.recording import Recorder
from batchrepo.cache.views import CacheView
from batchrepo.db.executor import Executor, acquire, atomic
from batchrepo.errors import BatchRepoError
from batchrepo.key_matching import row_key
from batchrepo.session import Session
from batchrepo.spec import TableSpec, WriteMode
from batchrepo.validate.clashes import clash_problems
from batchrepo.validate.fields import duplicate_key_problems, field_problems, raise_for_found
from batchrepo.validate.references import Learned, error_for_report, reference_problems
from batchrepo.validate.report import Problem, ValidationReport
from batchrepo.write.apply import write_batch


async def checked_columns(
    session: Session,
    view: CacheView | None,
    spec: TableSpec[Any, Any],
    items: Sequence[Any],
    mode: WriteMode,
    *,
    on: Executor | None = None,
) -> tuple[list[list[Any]], Learned]:
    """The batch's columns once every check passed, and the parents the database confirmed
    (to record once the write succeeded). Raises the error of "Which error" otherwise.

    ``on``: where the checks' queries go (a connection the caller already holds), by default
    the session's executor.
    """
    columns = spec.to_columns(items)
    fields = field_problems(spec, columns, mode)
    references, learned = await _references(
        on or session.executor, session, view, spec, columns, mode, fields
    )
    duplicates: list[Problem] = []
    if references or fields:  # else raise_for_found looks for them (the common, clean case)
        duplicates = [p for _u, found in duplicate_key_problems(spec, columns) for p in found]
    if references or (fields and duplicates):
        # one report lists every problem (what validate_batch returns)
        report = _merged(spec, fields, duplicates, references)
        if references and not fields and not duplicates:
            earlier = await _failure_before(
                session, on or session.executor, spec, items, columns, mode, report.rows[0]
            )
            if earlier is not None:
                raise earlier
        raise error_for_report(
            spec, report, lambda row: row_key(spec, items, columns, row), columns
        )
    # field problems alone, or duplicates alone, raised as they always were
    raise_for_found(spec, items, columns, fields)
    return columns, learned


async def full_report(
    session: Session,
    view: CacheView | None,
    spec: TableSpec[Any, Any],
    columns: Sequence[Sequence[Any]],
    mode: WriteMode,
) -> tuple[ValidationReport, Learned]:
    """Every problem of a batch (fields, duplicates, rows already stored under its primary or
    a unique key, missing parents), rows ascending: what ``validate_batch`` reports."""
    fields = field_problems(spec, columns, mode)
    duplicates = [p for _unique, found in duplicate_key_problems(spec, columns) for p in found]
    skip_rows = {p.row for p in fields}
    clashes = await clash_problems(
        session.executor,
        view,
        spec,
        columns,
        mode,
        skip_rows=skip_rows,
        cache_only=session.cache_only,
    )
    parents, learned = await reference_problems(
        session.executor,
        view,
        spec,
        columns,
        mode,
        skip_rows=skip_rows,
        cache_only=session.cache_only,
        existing_keys=False,
    )
    # within a row: key clashes before missing parents, as reference_problems orders them
    references = sorted([*clashes, *parents], key=lambda p: p.row)
    return _merged(spec, fields, duplicates, references), learned


async def _references(
    on: Executor,
    session: Session,
    view: CacheView | None,
    spec: TableSpec[Any, Any],
    columns: Sequence[Sequence[Any]],
    mode: WriteMode,
    fields: list[Problem],
) -> tuple[list[Problem], Learned]:
    """Reference problems of the rows whose fields passed, asked on ``on``."""
    skip_rows = {p.row for p in fields}
    return await reference_problems(
        on, view, spec, columns, mode, skip_rows=skip_rows, cache_only=session.cache_only
    )


class _RollBack(Exception):
    """Ends the trial write of :func:`_failure_before`, whatever happened."""


async def _failure_before(
    session: Session,
    ex: Executor,
    spec: TableSpec[Any, Any],
    items: Sequence[Any],
    columns: Sequence[Sequence[Any]],
    mode: WriteMode,
    stop: int,
) -> BatchRepoError | None:
    """What writing rows ``[0, stop)`` raises, written in a savepoint that always rolls back.

    The checks refuse row ``stop`` first; saving the rows one by one would write the rows
    before it, and the database may refuse one of them (a unique key taken, a row the cache did
    not know). That earlier row decides the error, as in the loop the batch replaces. Costs a
    statement only on this error path.
    """
    if stop == 0:
        return None
    async with acquire(ex) as conn:
        # a session of its own: outside a unit of work, so the audited trial inserts (and
        # rolls back) its own audit log row, and the unit's row is left alone
        trial = Session(conn, actor=session.actor)
        try:
            async with atomic(conn):
                prefix = [column[:stop] for column in columns]
                await write_batch(conn, trial, Recorder(None), spec, items[:stop], prefix, mode)
                raise _RollBack
        except _RollBack:
            return None
        except BatchRepoError as error:
            return error


def _merged(
    spec: TableSpec[Any, Any],
    fields: list[Problem],
    duplicates: list[Problem],
    references: list[Problem],
) -> ValidationReport:
    # stable: within a row, field problems first, then duplicates, then references
    problems = sorted([*fields, *duplicates, *references], key=lambda p: p.row)
    return ValidationReport(spec.table, problems)
