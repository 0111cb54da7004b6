"""Reads of an audited table's history: what each version of a row was, who wrote it and when.

An audited table writes a snapshot of each row it inserts, updates or deletes into
``<table>_history``, in the same statement, with the operation and the ``audit_log`` row of the
unit of work (actor, time); see ``docs/units-of-work.md``, "Audit trail". These functions read it
back as :class:`HistoryEntry` values holding the entity as it was, one statement per call
whatever the number of keys (the statements are generated: ``AuditSpec.select_history_*``,
``select_as_of_*``):

* :func:`load_history` / :func:`load_history_batch`: every version of one key / of each key, in
  the order written (version order; a key deleted and inserted again starts at version 1 after
  its earlier life);
* :func:`load_as_of` / :func:`load_as_of_batch`: the entry in force at a time (the last one
  written by a unit of work that started at or before ``at``) and/or of a given version; None
  where there is none. An entry whose ``operation`` is ``"delete"`` says the row was gone then.

The single-key and the batch forms answer alike (the equivalence machine compares them). History
reads teach the key cache nothing: a history row does not say whether the row exists now.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal

from batchrepo.db.arguments import decoded_rows, key_arrays, key_values
from batchrepo.db.error_mapping import STATEMENT_ERRORS, row_error, statement_error
from batchrepo.db.routing import keyed, routed, shard_of
from batchrepo.key_matching import comparable_keys, keys_of_records
from batchrepo.session import Target, as_session
from batchrepo.spec import E, K, TableSpec

#: What a history row records.
Operation = Literal["insert", "update", "delete"]


@dataclass(frozen=True, slots=True)
class HistoryEntry(Generic[E]):
    """One version of a row, as the history table keeps it."""

    entity: E
    """The row as written by this version (for a ``delete``: the row as it was last stored; its
    ``version`` attribute is the entry's)."""
    version: int
    """1 on insert, one more per change; a delete records the last version plus one."""
    operation: Operation
    actor: str
    """Who wrote it: the actor of the unit of work (``audit_log.actor``)."""
    at: datetime.datetime
    """When: the start of the writing transaction (``audit_log.created_at``, its ``now()``)."""
    audit_log_id: int
    """The ``audit_log`` row shared by every change of that unit of work."""


def _statement(spec: TableSpec[Any, Any], statement: str) -> str:
    """The ``AuditSpec`` statement named ``statement``, or a TypeError naming the table."""
    audit = spec.audit
    if audit is None:
        raise TypeError(f"table {spec.table} is not audited: it has no history to read")
    sql: str | None = getattr(audit, statement)
    if sql is None:
        raise TypeError(
            f"table {spec.table} has no {statement} statement (AuditSpec.{statement}): "
            "regenerate its module"
        )
    return sql


def _entries(spec: TableSpec[E, Any], records: Sequence[Any]) -> list[HistoryEntry[E]]:
    n = len(spec.columns)
    rows = decoded_rows(spec, records)
    return [
        HistoryEntry(
            entity=spec.from_record(row),
            version=_version(spec, row),
            operation=row[n],
            actor=row[n + 1],
            at=row[n + 2],
            audit_log_id=row[n + 3],
        )
        for row in rows
    ]


def _version(spec: TableSpec[Any, Any], row: Any) -> int:
    assert spec.audit is not None
    return int(row[spec.audit.version_column])


def _check_at(spec: TableSpec[Any, Any], at: datetime.datetime | None) -> None:
    if at is not None and (at.tzinfo is None or at.utcoffset() is None):
        raise ValueError(
            f"{spec.table}: at={at!r} is a naive datetime; history times are timestamptz, "
            "give a timezone (e.g. datetime.UTC)"
        )


async def load_history(target: Target, spec: TableSpec[E, K], key: K) -> list[HistoryEntry[E]]:
    """Every version of the row with this key, in the order written (``[]``: never written)."""
    session = as_session(target)
    sql = _statement(spec, "select_history_one")
    try:
        records = await session.executor.fetch(sql, *key_values(spec, key))
    except STATEMENT_ERRORS as exc:
        raise row_error(spec, exc, key, "select") from exc
    return _entries(spec, records)


async def load_history_batch(
    target: Target, spec: TableSpec[E, K], keys: Sequence[K]
) -> list[list[HistoryEntry[E]]]:
    """One list per key asked, in that order, each as :func:`load_history` answers it; one
    statement for all."""
    session = as_session(target)
    sql = _statement(spec, "select_history_batch")
    if not keys:
        return []
    try:
        batch_sql, arguments = keyed(spec, sql, keys)
        records = await session.executor.fetch(batch_sql, *arguments)
    except STATEMENT_ERRORS as exc:
        raise statement_error(spec, exc, "select") from exc
    found: dict[Any, list[HistoryEntry[E]]] = {}
    owners = keys_of_records(spec, records, spec.key_columns)
    for owner, entry in zip(owners, _entries(spec, records), strict=True):
        found.setdefault(owner, []).append(entry)
    return [list(found.get(key, ())) for key in comparable_keys(spec, spec.key_columns, keys)]


async def load_as_of(
    target: Target,
    spec: TableSpec[E, K],
    key: K,
    *,
    version: int | None = None,
    at: datetime.datetime | None = None,
) -> HistoryEntry[E] | None:
    """The entry of this key in force at ``at`` (None: now) and, if given, of that ``version``;
    None when there is none (not written by then, or no such version)."""
    session = as_session(target)
    sql = _statement(spec, "select_as_of_one")
    _check_at(spec, at)
    try:
        record = await session.executor.fetchrow(sql, *key_values(spec, key), version, at)
    except STATEMENT_ERRORS as exc:
        raise row_error(spec, exc, key, "select") from exc
    return None if record is None else _entries(spec, [record])[0]


async def load_as_of_batch(
    target: Target,
    spec: TableSpec[E, K],
    keys: Sequence[K],
    *,
    versions: Sequence[int | None] | None = None,
    at: datetime.datetime | None = None,
) -> list[HistoryEntry[E] | None]:
    """One entry or None per key asked, in that order, each as :func:`load_as_of` answers it
    with ``versions[i]`` for ``keys[i]`` (None, or ``versions`` None: any version) and the same
    ``at``; one statement for all."""
    session = as_session(target)
    sql = _statement(spec, "select_as_of_batch")
    _check_at(spec, at)
    if versions is not None and len(versions) != len(keys):
        raise ValueError(f"{spec.table}: {len(keys)} keys but {len(versions)} versions")
    if not keys:
        return []
    wanted = list(versions) if versions is not None else [None] * len(keys)
    try:
        arrays = key_arrays(spec, keys)
        batch_sql, on_shard = routed(spec, sql, shard_of(spec, spec.key_columns, arrays))
        records = await session.executor.fetch(batch_sql, *arrays, wanted, at, *on_shard)
    except STATEMENT_ERRORS as exc:
        raise statement_error(spec, exc, "select") from exc
    answers: list[HistoryEntry[E] | None] = [None] * len(keys)
    ordinal = len(spec.columns) + 4
    for record, entry in zip(records, _entries(spec, records), strict=True):
        answers[record[ordinal] - 1] = entry
    return answers
