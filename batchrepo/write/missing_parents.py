"""A write the database refused for a missing parent (23503), after the checks let it through.

Reference checks run before every write, so the database refuses a parent only when the key
cache vouched for one that someone else deleted since (or a concurrent transaction did so between
check and write). The write then fails as if the check had found it: ``MissingParentError`` with
a report of every row concerned, and the refuted parent keys are forgotten so the next check asks
the database (``docs/units-of-work.md``, "Checks before writing").
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from batchrepo import errors
from batchrepo.cache.recording import Recorder
from batchrepo.key_matching import keys_of_columns
from batchrepo.spec import ForeignKeySpec, TableSpec
from batchrepo.validate.references import missing_parent_problem
from batchrepo.validate.report import ValidationReport


def _own_foreign_key(spec: TableSpec[Any, Any], constraint: str | None) -> ForeignKeySpec | None:
    return next((f for f in spec.foreign_keys if f.constraint == constraint), None)


def as_missing_parent(
    spec: TableSpec[Any, Any],
    error: errors.BatchRepoError,
    columns: Sequence[Sequence[Any]],
    key_at: Callable[[int], Any],
    recorder: Recorder,
) -> errors.BatchRepoError:
    """``error`` as a ``MissingParentError`` when it is a refused parent of this table's rows
    (the refuted parents are forgotten); any other error unchanged.

    ``error`` is what :mod:`batchrepo.db.error_mapping` made of the write's failure, its rows
    located.
    """
    if not isinstance(error, errors.ForeignKeyViolationError) or not error.columns:
        return error  # not about this table's own references (e.g. children of a deleted row)
    first = _own_foreign_key(spec, error.constraint)
    if first is None:
        return error
    located = {
        foreign_key: error.rows_by_constraint.get(foreign_key.constraint, [])
        for foreign_key in spec.foreign_keys
    }
    located = {foreign_key: rows for foreign_key, rows in located.items() if rows}
    if not located and error.rows:
        located = {first: list(error.rows)}
    refused: dict[ForeignKeySpec, list[int] | None] = dict(located) if located else {first: None}
    _forget_refuted(spec, columns, refused, recorder)
    if not located:
        # the probes found nothing (a concurrent change): the constraint is all that is known
        return errors.MissingParentError(
            spec.table,
            constraint=first.constraint,
            columns=error.columns,
            sqlstate="23503",
        )
    references = {f: keys_of_columns(spec, columns, f.columns) for f in located}
    problems = [
        missing_parent_problem(spec, foreign_key, row, references[foreign_key][row])
        for foreign_key, rows in located.items()
        for row in rows
    ]
    problems.sort(key=lambda p: p.row)
    rows = sorted({p.row for p in problems})
    by_constraint = {f.constraint: sorted(found) for f, found in located.items()}
    return errors.MissingParentError(
        spec.table,
        report=ValidationReport(spec.table, problems),
        constraint=first.constraint,
        columns=[spec.columns[p].name for p in first.columns],
        keys=[key_at(row) for row in rows],
        rows=rows,
        sqlstate="23503",
        rows_by_constraint=by_constraint,
    )


def _forget_refuted(
    spec: TableSpec[Any, Any],
    columns: Sequence[Sequence[Any]],
    located: dict[ForeignKeySpec, list[int] | None],
    recorder: Recorder,
) -> None:
    """Evict the parent keys of the refused rows (``None``: rows unknown, every row's parent)."""
    for foreign_key, rows in located.items():
        if not foreign_key.references_primary_key:
            continue  # the cache holds primary keys only
        references = keys_of_columns(spec, columns, foreign_key.columns)
        chosen = range(len(references)) if rows is None else rows
        parents: list[Hashable] = [
            references[r] for r in chosen if references[r] is not None and _complete(references[r])
        ]
        recorder.refuted(foreign_key.parent_table, list(dict.fromkeys(parents)))


def _complete(key: Any) -> bool:
    return not (isinstance(key, tuple) and None in key)
