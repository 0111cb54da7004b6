"""Checks before writing: missing parents and existing keys, found with the key cache first.

After field validation and duplicate detection (no SQL), a write asks
:func:`reference_problems` which rows reference parents that do not exist (``missing_parent``)
and, on insert, which rows reuse a primary key that exists (``key_exists``), so a batch fails
with every culprit named, before its statement runs (``docs/units-of-work.md``, "Checks before
writing").

What costs what: a parent the cache knows, or an earlier row of the same batch (self
references), costs nothing; the parents nobody can answer for are asked in one query per foreign
key. A cached key is a hint, never a verdict against a row: a ``key_exists`` found in the cache
is confirmed by the database before it refuses anything, and a parent cached but deleted since
makes the write itself fail with 23503 (then evicted by the caller).

Known absent (``False`` from a unit of work's layer) counts as missing without asking. A layer
says False for keys its transaction deleted, or that the database refuted inside it. A deleted
row cannot come back meanwhile: another transaction inserting its key waits for this one to end
(the primary key index sees the deletion in progress). A refuted key (or one a delete did not
find) is answered as the transaction saw it, as under REPEATABLE READ: if someone else commits
that key meanwhile, a READ COMMITTED database would now accept the row and the check refuses it
(until the unit of work loads or writes the key, which records it present). Without a cache,
every answer is the database's latest.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from batchrepo import errors
from batchrepo.cache.views import CacheView
from batchrepo.db.arguments import batch_arguments, value_arrays
from batchrepo.db.error_mapping import STATEMENT_ERRORS, statement_error
from batchrepo.db.executor import Executor, guarded
from batchrepo.db.routing import keyed, routed, shard_of
from batchrepo.key_matching import keys_of_columns, keys_of_records
from batchrepo.spec import ForeignKeySpec, TableSpec, WriteMode
from batchrepo.validate.report import Problem, ValidationReport

MISSING_PARENT = "missing_parent"
KEY_EXISTS = "key_exists"
DUPLICATE_KEY = "duplicate_key"


@dataclass(frozen=True)
class Learned:
    """Parent keys the database confirmed, per parent table: the caller records them present
    (``CacheView.record_present``) once the write succeeded, never after a failure."""

    present: Mapping[str, tuple[Hashable, ...]] = field(default_factory=dict)

    def record(self, view: CacheView) -> None:
        for table, keys in self.present.items():
            view.record_present(table, keys)


async def reference_problems(
    conn: Executor,
    view: CacheView | None,
    spec: TableSpec[Any, Any],
    columns: Sequence[Sequence[Any]],
    mode: WriteMode,
    *,
    skip_rows: Collection[int] = (),
    cache_only: bool = False,
    existing_keys: bool = True,
) -> tuple[list[Problem], Learned]:
    """``key_exists`` (insert only) and ``missing_parent`` problems of a batch, rows ascending.
    ``existing_keys=False``: parents only (``validate_batch`` asks ``validate.clashes``).

    ``columns`` are the batch's ``to_columns`` lists, valid except in ``skip_rows`` (rows with
    field problems: they are not checked). ``cache_only``: no query at all; a parent the cache
    does not know is missing, a key it knows exists. Sends nothing when the cache answers
    everything or nothing needs asking.
    """
    skip = frozenset(skip_rows)
    problems: list[Problem] = []
    learned: dict[str, set[Hashable]] = {}
    # an insert that skips rows whose primary key exists (save_if_new) refuses none of them
    skips_primary_key = spec.conflict_key is not None and spec.conflict_key == spec.uniques[0].name
    if mode == "insert" and not skips_primary_key and existing_keys:
        problems += await _existing_key_problems(conn, view, spec, columns, skip, cache_only)
    for foreign_key in spec.foreign_keys:
        found, confirmed = await _missing_parent_problems(
            conn, view, spec, foreign_key, columns, mode, skip, cache_only
        )
        problems += found
        if confirmed and foreign_key.references_primary_key:
            learned.setdefault(foreign_key.parent_table, set()).update(confirmed)
    problems.sort(key=lambda p: p.row)  # stable: within a row, key first, then foreign keys
    return problems, Learned({table: tuple(keys) for table, keys in learned.items()})


def _has_null(key: Any, composite: bool) -> bool:
    return key is None or (composite and None in key)


def _shown(key: Any) -> str:
    """A key as messages show it: values plainly, a composite key as a tuple."""
    if isinstance(key, tuple):
        return "(" + ", ".join(_shown(value) for value in key) + ")"
    return str(key) if isinstance(key, uuid.UUID) else repr(key)


async def _existing_key_problems(
    conn: Executor,
    view: CacheView | None,
    spec: TableSpec[Any, Any],
    columns: Sequence[Sequence[Any]],
    skip: frozenset[int],
    cache_only: bool,
) -> list[Problem]:
    """Rows whose primary key the cache knows to exist, confirmed by the database."""
    if view is None:
        return []  # without a cache the insert itself finds clashes (23505), as it always did
    composite = spec.composite_key
    keys = keys_of_columns(spec, columns, spec.key_columns)
    rows = [r for r, k in enumerate(keys) if r not in skip and not _has_null(k, composite)]
    answers = view.lookup(spec.table, [keys[r] for r in rows])
    suspects = [r for r, answer in zip(rows, answers, strict=True) if answer is True]
    if not suspects:
        return []
    if not cache_only:
        asked = list(dict.fromkeys(keys[r] for r in suspects))
        try:
            exists, arguments = keyed(spec, spec.sql.exists_batch, asked)
            records = await _check_query(conn, exists, arguments)
        except STATEMENT_ERRORS as exc:
            raise statement_error(spec, exc, "select") from exc
        at = range(len(spec.key_columns))  # exists_batch returns the key columns only
        stored = set(keys_of_records(spec, records, spec.key_columns, at))
        refuted = [key for key in asked if key not in stored]
        if refuted:
            view.record_absent(spec.table, refuted)  # a stale entry: forget it everywhere
        suspects = [r for r in suspects if keys[r] in stored]
    primary_key = next(u for u in spec.uniques if u.columns == spec.key_columns)
    first = spec.columns[spec.key_columns[0]]
    names = ", ".join(spec.columns[p].name for p in spec.key_columns)
    return [
        Problem(
            row,
            first.attr,
            KEY_EXISTS,
            f"{spec.table}.{first.name} row {row}: a row with ({names}) = {_shown(keys[row])} "
            f"already exists (primary key {primary_key.constraint})",
        )
        for row in suspects
    ]


async def _missing_parent_problems(
    conn: Executor,
    view: CacheView | None,
    spec: TableSpec[Any, Any],
    foreign_key: ForeignKeySpec,
    columns: Sequence[Sequence[Any]],
    mode: WriteMode,
    skip: frozenset[int],
    cache_only: bool,
) -> tuple[list[Problem], set[Hashable]]:
    """Rows of one foreign key without a parent, and the parent keys the database confirmed."""
    composite = len(foreign_key.columns) > 1
    references = keys_of_columns(spec, columns, foreign_key.columns)
    rows = [r for r, k in enumerate(references) if r not in skip and not _has_null(k, composite)]
    if foreign_key.self_parent_columns is not None and mode != "update":
        rows = _without_parents_in_batch(spec, foreign_key, columns, references, rows, skip)
    if not rows:
        return [], set()
    missing: list[int] = []
    unknown = rows
    if view is not None and foreign_key.references_primary_key:
        answers = view.lookup(foreign_key.parent_table, [references[r] for r in rows])
        missing = [r for r, answer in zip(rows, answers, strict=True) if answer is False]
        unknown = [r for r, answer in zip(rows, answers, strict=True) if answer is None]
    confirmed: set[Hashable] = set()
    if cache_only:
        missing += unknown
    elif unknown:
        asked = list(dict.fromkeys(references[r] for r in unknown))
        absent = await _probe_parents(conn, spec, foreign_key, asked)
        missing += [r for r in unknown if references[r] in absent]
        confirmed = set(asked) - absent
    missing.sort()
    return [
        missing_parent_problem(spec, foreign_key, row, references[row]) for row in missing
    ], confirmed


def _without_parents_in_batch(
    spec: TableSpec[Any, Any],
    foreign_key: ForeignKeySpec,
    columns: Sequence[Sequence[Any]],
    references: Sequence[Any],
    rows: list[int],
    skip: frozenset[int],
) -> list[int]:
    """Drop rows whose parent is an earlier row of the batch, or the row itself.

    A later row does not count: saving the rows one by one would meet the child before its
    parent and fail. The row itself does: PostgreSQL checks a foreign key after inserting the
    row, so a row may reference its own key.
    """
    assert foreign_key.self_parent_columns is not None
    composite = len(foreign_key.self_parent_columns) > 1
    first_at: dict[Any, int] = {}
    for row, key in enumerate(keys_of_columns(spec, columns, foreign_key.self_parent_columns)):
        if row not in skip and not _has_null(key, composite):
            first_at.setdefault(key, row)
    return [r for r in rows if first_at.get(references[r], r + 1) > r]


async def _probe_parents(
    conn: Executor, spec: TableSpec[Any, Any], foreign_key: ForeignKeySpec, asked: list[Any]
) -> set[Any]:
    """The keys among ``asked`` (distinct) that have no parent row: one query."""
    arrays = value_arrays(len(foreign_key.columns), asked)
    # batch_arguments reads columns by table position: only the foreign key's are filled
    sparse: list[Sequence[Any]] = [[] for _ in spec.columns]
    for position, values in zip(foreign_key.columns, arrays, strict=True):
        sparse[position] = values
    arguments = batch_arguments(spec, sparse, foreign_key.columns)
    shard = shard_of(spec, foreign_key.columns, arrays)
    probe, on_shard = routed(spec, foreign_key.probe_sql, shard)
    try:
        records = await _check_query(conn, probe, [*arguments, *on_shard])
    except STATEMENT_ERRORS as exc:
        raise statement_error(spec, exc, "select") from exc
    return {asked[record[0] - 1] for record in records}


async def _check_query(conn: Executor, sql: str, arguments: Sequence[Any]) -> list[Any]:
    """The rows of one check query, guarded inside a transaction (:func:`executor.guarded`).
    Only a query actually sent pays for the savepoint; a check the cache answers sends nothing.
    """
    async with guarded(conn) as ex:
        return await ex.fetch(sql, *arguments)


def missing_parent_problem(
    spec: TableSpec[Any, Any], foreign_key: ForeignKeySpec, row: int, key: Any
) -> Problem:
    """The ``missing_parent`` problem of a row whose (comparable) reference ``key`` has no
    parent; the message shows the key and nothing else of the row."""
    first = spec.columns[foreign_key.columns[0]]
    text = (
        f"{spec.table}.{first.name} row {row}: no {foreign_key.parent_table} row with "
        f"({', '.join(foreign_key.parent_columns)}) = {_shown(key)} "
        f"(foreign key {foreign_key.constraint})"
    )
    return Problem(row, first.attr, MISSING_PARENT, text)


def error_for_report(
    spec: TableSpec[Any, Any],
    report: ValidationReport,
    keys_at: Callable[[int], Any],
    columns: Sequence[Sequence[Any]] | None = None,
) -> errors.BatchRepoError:
    """The error a failed check raises (``docs/units-of-work.md``, "Which error").

    The report always lists every problem; the class says what to fix first, and is the one a
    row-by-row loop raises at its first failing row, so both paths raise alike:

    * any field problem: ``ValidationError`` (nothing was sent; fields are checked first);
    * else any duplicate inside the batch: ``DuplicateKeyInBatchError``;
    * else what the earliest failing row has: ``MissingParentError`` (a missing parent comes
      before an existing key on the same row) or ``UniqueViolationError`` on the primary key,
      naming every row with that kind of problem.

    ``keys_at(row)`` is the primary key of a row; ``columns`` (the batch's ``to_columns``), when
    given, let a ``MissingParentError`` name the missing parent keys.
    """
    if report.ok:
        raise ValueError(f"{spec.table}: the report has no problems, there is nothing to raise")
    codes = {p.code for p in report.problems}
    if codes - {MISSING_PARENT, KEY_EXISTS, DUPLICATE_KEY}:
        return errors.ValidationError(report)
    if DUPLICATE_KEY in codes:
        duplicates = [p for p in report.problems if p.code == DUPLICATE_KEY]
        repeated = {p.field for p in duplicates}
        # the first key repeated in the table's order (primary key first), as when duplicates
        # are the only problem (validation.raise_for_found): other problems change nothing
        unique = next(
            u for u in spec.uniques if ",".join(spec.columns[c].attr for c in u.columns) in repeated
        )
        return errors.DuplicateKeyInBatchError(
            report,
            constraint=unique.constraint,
            columns=[spec.columns[c].name for c in unique.columns],
            keys=[keys_at(row) for row in sorted({p.row for p in duplicates})],
        )
    first_row = report.rows[0]
    first_codes = {p.code for p in report.problems if p.row == first_row}
    if MISSING_PARENT in first_codes:
        return _missing_parent_error(spec, report, keys_at, columns)
    rows = sorted({p.row for p in report.problems if p.code == KEY_EXISTS})
    primary_key = next(u for u in spec.uniques if u.columns == spec.key_columns)
    # the fields the database's own 23505 maps to (errormap), so a clash reads the same
    # whether the cache or the insert found it
    return errors.UniqueViolationError(
        spec.table,
        constraint=primary_key.constraint,
        columns=[spec.columns[p].name for p in spec.key_columns],
        keys=[keys_at(row) for row in rows],
        rows=rows,
        sqlstate="23505",
        reason="a row with this primary key already exists",
        rows_by_constraint={primary_key.constraint: rows},
    )


def _missing_parent_error(
    spec: TableSpec[Any, Any],
    report: ValidationReport,
    keys_at: Callable[[int], Any],
    columns: Sequence[Sequence[Any]] | None,
) -> errors.MissingParentError:
    missing = [p for p in report.problems if p.code == MISSING_PARENT]
    rows_by_constraint: dict[str, list[int]] = {}
    parents: dict[str, None] = {}
    references: dict[str, list[Any]] = {}
    for problem in missing:
        foreign_key = _foreign_key_of(spec, problem)
        rows_by_constraint.setdefault(foreign_key.constraint, []).append(problem.row)
        if columns is not None:
            if foreign_key.name not in references:
                references[foreign_key.name] = keys_of_columns(spec, columns, foreign_key.columns)
            key = references[foreign_key.name][problem.row]
            names = ", ".join(foreign_key.parent_columns)
            parents[f"{foreign_key.parent_table} ({names}) = {_shown(key)}"] = None
    first = _foreign_key_of(spec, missing[0])
    rows = sorted({p.row for p in missing})
    return errors.MissingParentError(
        spec.table,
        report=report,
        constraint=first.constraint,
        columns=[spec.columns[p].name for p in first.columns],
        keys=[keys_at(row) for row in rows],
        rows=rows,
        sqlstate="23503",  # as when the database refuses the row: one error, whoever found it
        rows_by_constraint={name: sorted(set(found)) for name, found in rows_by_constraint.items()},
        parents=list(parents),
    )


def _foreign_key_of(spec: TableSpec[Any, Any], problem: Problem) -> ForeignKeySpec:
    """The foreign key a ``missing_parent`` problem is about: by its field, and by the
    constraint its message names when two foreign keys start with the same column."""
    candidates = [f for f in spec.foreign_keys if spec.columns[f.columns[0]].attr == problem.field]
    named = [f for f in candidates if problem.message.endswith(f"(foreign key {f.constraint})")]
    return (named or candidates or list(spec.foreign_keys))[0]
