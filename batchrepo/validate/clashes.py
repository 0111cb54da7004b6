"""Which rows of a batch clash with rows already in the database, on the primary key (inserts)
and on every unique key (every mode): what ``validate_batch`` reports row by row, so a caller
can fix or drop those rows before writing.

A write does not ask this before its statement: the statement finds such a clash itself
(23505), and the error names every clashing row (``db/error_mapping``). ``validate_batch``
promises every problem without writing, so it asks: one probe per key, the key's generated
``probe_sql`` (``UniqueSpec``), sent only for the rows the key cache cannot answer:

* primary key, on insert: a key the unit of work knows absent (deleted or refuted in it) is not
  asked; a key the cache holds is asked all the same (a cached key is a hint, never a verdict),
  and one the database refutes is forgotten; the key cache knows nothing of unique keys, so
  their rows are always asked;
* unique keys, on insert, update and upsert: a row does not clash with the row of its own
  primary key (an update keeping its value), as the probe says;
* rows with field problems, or with a NULL in the key (never equal, so never a clash), are not
  asked; ``cache_only`` sessions ask nothing and report the cached primary keys.

Problems carry the code ``key_exists`` and, as field, the key's attributes joined by ``,`` (the
field of a ``duplicate_key`` problem on the same key); messages name row, values and constraint.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any

from batchrepo.cache.views import CacheView
from batchrepo.db.arguments import batch_arguments
from batchrepo.db.error_mapping import STATEMENT_ERRORS, statement_error
from batchrepo.db.executor import Executor, guarded
from batchrepo.db.routing import routed, shard_of
from batchrepo.key_matching import keys_of_columns
from batchrepo.spec import TableSpec, UniqueSpec, WriteMode
from batchrepo.validate.report import Problem

KEY_EXISTS = "key_exists"


async def clash_problems(
    conn: Executor,
    view: CacheView | None,
    spec: TableSpec[Any, Any],
    columns: Sequence[Sequence[Any]],
    mode: WriteMode,
    *,
    skip_rows: Collection[int] = (),
    cache_only: bool = False,
) -> list[Problem]:
    """``key_exists`` problems of every row clashing with a stored row, rows ascending (within
    a row, keys in the table's order: primary key first)."""
    skip = frozenset(skip_rows)
    problems: list[Problem] = []
    for unique in spec.uniques:
        if unique.name == spec.conflict_key:
            continue  # a clash on it is skipped or updated (save_if_new, upsert on it), no error
        primary = unique.columns == spec.key_columns
        if primary and mode != "insert":
            continue  # an update or upsert addresses its own row by the primary key
        keys = keys_of_columns(spec, columns, unique.columns)
        composite = len(unique.columns) > 1
        rows = [r for r, k in enumerate(keys) if r not in skip and not _has_null(k, composite)]
        if primary and view is not None:
            answers = view.lookup(spec.table, [keys[r] for r in rows])
            if cache_only:
                clashing = [r for r, a in zip(rows, answers, strict=True) if a is True]
                problems += [_problem(spec, unique, r, keys[r]) for r in clashing]
                continue
            rows = [r for r, answer in zip(rows, answers, strict=True) if answer is not False]
        if not rows or cache_only:
            continue
        found = await _probe(conn, spec, unique, columns, rows)
        if primary and view is not None:
            # a cached key the database refutes is stale: forget it everywhere
            refuted = [keys[r] for r in rows if r not in found]
            cached = view.lookup(spec.table, refuted)
            view.record_absent(spec.table, [k for k, a in zip(refuted, cached, strict=True) if a])
        problems += [_problem(spec, unique, r, keys[r]) for r in sorted(found)]
    problems.sort(key=lambda p: p.row)  # stable: within a row, keys in the table's order
    return problems


def _has_null(key: Any, composite: bool) -> bool:
    return key is None or (composite and None in key)


async def _probe(
    conn: Executor,
    spec: TableSpec[Any, Any],
    unique: UniqueSpec,
    columns: Sequence[Sequence[Any]],
    rows: list[int],
) -> set[int]:
    """The rows among ``rows`` whose key ``unique`` clashes with a stored row: one query."""
    positions = list(unique.columns)
    if unique.columns != spec.key_columns:
        positions += spec.key_columns  # a row does not clash with its own stored row
    needed = set(positions)
    # batch_arguments reads columns by table position: only the probe's are filled
    subset = [[column[r] for r in rows] if p in needed else [] for p, column in enumerate(columns)]
    arguments = batch_arguments(spec, subset, positions)
    shard = shard_of(spec, range(len(subset)), subset)  # the rows' distribution values
    probe, on_shard = routed(spec, unique.probe_sql, shard)
    try:
        async with guarded(conn) as ex:
            records = await ex.fetch(probe, *arguments, *on_shard)
    except STATEMENT_ERRORS as exc:
        raise statement_error(spec, exc, "select") from exc
    return {rows[record[0] - 1] for record in records}


def _shown(key: Any) -> str:
    """A key as the messages of ``validate.references`` show it."""
    if isinstance(key, tuple):
        return "(" + ", ".join(_shown(value) for value in key) + ")"
    return str(key) if isinstance(key, uuid.UUID) else repr(key)


def _problem(spec: TableSpec[Any, Any], unique: UniqueSpec, row: int, key: Any) -> Problem:
    first = spec.columns[unique.columns[0]]
    names = ", ".join(spec.columns[p].name for p in unique.columns)
    kind = "primary key" if unique.columns == spec.key_columns else "unique key"
    field = ",".join(spec.columns[p].attr for p in unique.columns)
    if unique.columns == spec.key_columns:
        field = first.attr  # as the check before an insert names it (validate.references)
    text = (
        f"{spec.table}.{first.name} row {row}: a row with ({names}) = {_shown(key)} "
        f"already exists ({kind} {unique.constraint})"
    )
    return Problem(row, field, KEY_EXISTS, text)
