"""The write path shared by single-row, batch and chunked operations.

Every write goes: ``to_columns`` → checks (fields, duplicate keys, references: see
:mod:`batchrepo.validate.before_write`) → one statement → rows back in input order → the key cache
learns what
the write proved. A batch runs inside :func:`batchrepo.db.executor.atomic`, so a failure leaves
nothing behind and the connection usable for the probes that name the failing rows.

Audited tables take the audit log id as the statement's last argument: the unit of work's row,
or outside one a row inserted in the same transaction or savepoint as the write, so a failed
write leaves no orphan log row. Single-row writes run in a savepoint as well when they are
audited or inside a unit of work (a failed row must not abort the unit's transaction, exactly
as a failed batch does not).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from batchrepo import errors
from batchrepo.cache.recording import Recorder
from batchrepo.db.arguments import (
    batch_arguments,
    decoded_rows,
    key_arrays,
    key_values,
    row_arguments,
)
from batchrepo.db.error_mapping import STATEMENT_ERRORS, batch_error, row_error, statement_error
from batchrepo.db.executor import Connection, CopyTarget, acquire, guarded
from batchrepo.db.routing import routed, shard_of
from batchrepo.entities import built, entities
from batchrepo.key_matching import comparable_keys, keys_of_columns, keys_of_records, row_key
from batchrepo.session import Session
from batchrepo.spec import E, K, TableSpec, WriteMode
from batchrepo.write.copy import copy_insert, stored_rows
from batchrepo.write.missing_parents import as_missing_parent
from batchrepo.write.upserts import conflict_positions, missing_rows
from batchrepo.write.versions import stale_deletes_error, unwritten_rows_error


def insert_positions(spec: TableSpec[Any, Any]) -> tuple[int, ...]:
    """Columns an insert or upsert sends: every column but an identity (when the spec omits it)."""
    if spec.insert_columns:
        return spec.insert_columns
    return tuple(i for i, column in enumerate(spec.columns) if not column.identity)


def statement_for(spec: TableSpec[Any, Any], mode: WriteMode, batch: bool) -> str:
    """The statement of a write; a TypeError (a programming error, raised before looking at any
    row) when the table has none, as a table of key columns only has no update."""
    sql = spec.sql
    statements = {
        "insert": sql.insert_batch if batch else sql.insert_one,
        "update": sql.update_batch if batch else sql.update_one,
        "upsert": sql.upsert_batch if batch else sql.upsert_one,
    }
    statement = statements[mode]
    if statement is None:
        raise TypeError(f"table {spec.table} has no {mode} statement (see TableSQL)")
    return statement


def _positions(spec: TableSpec[Any, Any], mode: WriteMode) -> Sequence[int]:
    return range(len(spec.columns)) if mode == "update" else insert_positions(spec)


def needs_scope(session: Session, spec: TableSpec[Any, Any]) -> bool:
    """Whether a single-row write needs its own savepoint (see the module docstring)."""
    return spec.audit is not None or session.unit_of_work is not None


@asynccontextmanager
async def _atomic_write(
    conn: Connection,
    session: Session,
    spec: TableSpec[Any, Any],
    *,
    single_statement: bool = False,
) -> AsyncIterator[list[Any]]:
    """The transaction or savepoint of one write, giving the statement's trailing audit log
    argument (none for tables that are not audited): ``Session.audit_scope``, where the
    ``audit_log`` row is inserted inside the savepoint, so a failing write rolls it back.

    ``single_statement``: the write is one statement that is all or nothing by itself (an insert,
    upsert or delete of a table without audit). Outside a transaction it then runs as it is, in
    autocommit: BEGIN and COMMIT would be two round trips that protect nothing. Inside a
    transaction the savepoint stays, so a failure leaves the caller's transaction usable.
    """
    if single_statement and spec.audit is None and not conn.is_in_transaction():
        yield []
        return
    async with session.audit_scope(conn, spec) as audit_log:
        yield audit_log


async def write_one(
    session: Session,
    recorder: Recorder,
    spec: TableSpec[E, K],
    item: E,
    columns: Sequence[Sequence[Any]],
    mode: WriteMode,
) -> E | None:
    """Insert, update or upsert one checked row (``columns`` of ``[item]``); None only from an
    insert that skips a taken key (``save_if_new``: its spec's upsert statement)."""
    statement = statement_for(spec, mode, batch=False)
    positions = _positions(spec, mode)
    arguments = row_arguments(spec, columns, positions, 0) + _mask(spec)
    try:
        if needs_scope(session, spec):
            async with (
                acquire(session.executor) as conn,
                _atomic_write(conn, session, spec) as audit_log,
            ):
                arguments += audit_log
                record = await conn.fetchrow(statement, *arguments)
                if record is None and mode == "update":  # missing, or stale
                    raise await _unwritten(conn, spec, [item], columns, [0])
        else:
            record = await session.executor.fetchrow(statement, *arguments)
            if record is None and mode == "update":
                raise await _unwritten(session.executor, spec, [item], columns, [0])
    except STATEMENT_ERRORS as exc:
        names = [spec.columns[p].name for p in positions]
        key = row_key(spec, [item], columns, 0)
        mapped = row_error(spec, exc, key, mode, names)
        raise as_missing_parent(spec, mapped, columns, lambda _row: key, recorder) from exc
    if record is None:  # skipped: its key was taken
        return None
    rows = decoded_rows(spec, [record])
    recorder.rows(spec, rows)
    return spec.from_record(rows[0])


async def _unwritten(
    ex: Any,
    spec: TableSpec[Any, Any],
    items: Sequence[Any],
    columns: Sequence[Sequence[Any]],
    rows: Sequence[int],
) -> errors.MissingRowsError | errors.StaleVersionError:
    """Why an update wrote none of ``rows``; missing when the probe cannot tell (a concurrent
    change between statement and probe)."""
    if spec.audit is None and len(rows) == 1:
        found = None  # without versions a row the update did not find is missing, no probe
    else:
        found = await unwritten_rows_error(ex, spec, items, columns, rows)
    if found is not None:
        return found
    return errors.MissingRowsError(
        spec.table,
        rows=list(rows),
        keys=[row_key(spec, items, columns, row) for row in rows],
        reason="nothing was written",
    )


async def write_batch(
    conn: Connection,
    session: Session,
    recorder: Recorder,
    spec: TableSpec[E, K],
    items: Sequence[E],
    columns: Sequence[Sequence[Any]],
    mode: WriteMode,
    *,
    returning: bool = True,
) -> list[E]:
    """Send one checked batch on ``conn``; rows come back in input order.

    ``columns`` must be the checked columns of ``items`` (chunked callers pass slices of them).
    ``returning=False``: nobody reads the rows, so none are built (the result is ``[]``; a batch
    that did not fail wrote every row). Large inserts go by COPY where the table allows it and
    the session's :class:`~batchrepo.session.WritePolicy` says so (:mod:`batchrepo.write.copy`).
    """
    positions = _positions(spec, mode)
    statement = statement_for(spec, mode, batch=True)
    by_copy = (
        mode == "insert"
        and spec.copy is not None
        and session.policy.copies(len(items))
        and isinstance(conn, CopyTarget)
    )
    arguments = [] if by_copy else batch_arguments(spec, columns, positions) + _mask(spec)
    counting = None if returning or by_copy else _count_statement(spec, mode)
    # the distribution value after the audit log id, when the batch is on one shard (Citus)
    shard = [] if spec.routing is None else columns[spec.routing.column]
    statement, on_shard = routed(spec, statement, shard)
    if counting is not None:
        counting, on_shard = routed(spec, counting, shard)
    sent: list[list[Any]] = []

    def key_at(row: int) -> Any:
        return row_key(spec, items, columns, row)

    try:
        async with _atomic_write(conn, session, spec, single_statement=mode != "update") as log:
            records: list[Any] = []
            if by_copy:
                sent, _count = await copy_insert(conn, spec, columns)
            elif counting is not None:
                count = int(await conn.fetchval(counting, *arguments, *log, *on_shard))
                if count != len(items):  # only an update counts fewer: missing or stale rows
                    raise _CountedShort  # told apart once the savepoint undid what it wrote
            else:
                records = await conn.fetch(statement, *arguments, *log, *on_shard)
                if mode == "upsert" and len(records) < len(items):
                    records += await missing_rows(conn, spec, columns, records)
            if mode == "update" and counting is None and len(records) != len(items):
                # keys are distinct (checked before SQL): the rows not returned are missing or
                # stale, told apart before the savepoint rolls back
                returned = set(keys_of_records(spec, records, spec.key_columns))
                wanted = keys_of_columns(spec, columns, spec.key_columns)
                rows = [row for row, key in enumerate(wanted) if key not in returned]
                raise await _unwritten(conn, spec, items, columns, rows)
    except _CountedShort:
        # Not every row was found; the statement's writes are undone now, so a probe of every
        # row sees the versions the caller read against (a row it updated would look stale)
        async with guarded(conn):
            raise await _unwritten(conn, spec, items, columns, range(len(items))) from None
    except STATEMENT_ERRORS as exc:
        first: errors.BatchRepoError | None = None
        # The probes that name the failing rows are queries too: inside a caller's transaction
        # (a unit of work) one that fails (a lock timeout) must not abort it, so they get a
        # savepoint of their own, as the statement had.
        async with guarded(conn):
            mapped = await batch_error(
                conn,
                spec,
                exc,
                operation=mode,
                columns=columns,
                positions=positions,
                key_at=key_at,
            )
            if mode == "update" and mapped.rows:
                # A row-by-row loop stops at the first failing row. When a row that does not
                # exist (or is stale) comes before the row that broke a constraint, the loop
                # reports that row, so the batch must too: ask which rows exist (the savepoint
                # is rolled back). An error naming no row (a lock timeout, a deadlock, a CHECK
                # no probe locates) cannot be placed after any row: it is raised as it is.
                found = await unwritten_rows_error(conn, spec, items, columns, range(len(items)))
                if found is not None and found.rows[0] <= min(mapped.rows):
                    first = found
        if first is not None:
            raise first from exc
        raise as_missing_parent(spec, mapped, columns, key_at, recorder) from exc
    ordered: Sequence[Any]
    if not returning and (by_copy or counting is not None):
        if spec.conflict_key not in (None, spec.uniques[0].name):
            # found by a unique key, a row keeps its stored primary key: not the one given
            recorder.unknown_rows(spec.table)
            return []
        # the keys are known (an identity's are not: nothing to record), their versions not
        recorder.present(spec.table, _given_keys(spec, sent if by_copy else columns))
        return []
    if by_copy:
        ordered = built(lambda: stored_rows(spec, sent))
    else:
        ordered = decoded_rows(spec, _in_input_order(spec, columns, records, mode))
    recorder.rows(spec, ordered)
    if not returning:
        return []
    return entities(spec, ordered)


class _CountedShort(Exception):
    """A counting update matched fewer rows than it was given (rolls its savepoint back)."""


def _mask(spec: TableSpec[Any, Any]) -> list[Any]:
    """The extra argument of a partial update's statements (which columns it writes)."""
    return [] if spec.update_columns is None else [list(spec.update_columns)]


def _given_keys(spec: TableSpec[Any, Any], columns: Sequence[Sequence[Any]]) -> list[Any]:
    """The keys of rows written without RETURNING that the caller gave in full (a key the
    database drew, an identity or a None taking its default, is not known)."""
    keys = keys_of_columns(spec, columns, spec.key_columns)
    if spec.composite_key:
        return [key for key in keys if None not in key]
    return [key for key in keys if key is not None]


def _count_statement(spec: TableSpec[Any, Any], mode: WriteMode) -> str | None:
    sql = spec.sql
    return {
        "insert": sql.insert_batch_count,
        "update": sql.update_batch_count,
        "upsert": sql.upsert_batch_count,
    }[mode]


def _in_input_order(
    spec: TableSpec[Any, Any], columns: Sequence[Sequence[Any]], records: list[Any], mode: WriteMode
) -> list[Any]:
    """Records reordered to match the input rows.

    An identity is assigned in insert order, and the insert feeds rows ``ORDER BY`` their
    ordinal, so sorting by the identity restores input order without trusting RETURNING's order.
    Otherwise rows are matched by key; when keys cannot be compared (None keys that took a
    server default), inserts and upserts keep the statement's order, which follows the ordinal.
    """
    identity = next((i for i, c in enumerate(spec.columns) if c.identity), None)
    if identity is not None and mode == "insert":
        return sorted(records, key=lambda record: record[identity])
    positions = conflict_positions(spec)  # the key rows were found by (an upsert's)
    wanted = keys_of_columns(spec, columns, positions)
    returned = keys_of_records(spec, records, positions)
    if returned == wanted:  # the usual case: one pass of comparisons, no hashing
        return records
    by_key = dict(zip(returned, records, strict=True))
    # a None key took a default or clashes with nothing: its row was inserted, and the
    # inserted rows no key asks for come in the statement's (the input's) order
    asked = set(wanted)
    drawn = iter(
        [record for key, record in zip(returned, records, strict=True) if key not in asked]
    )
    composite = len(positions) > 1
    matched = [
        next(drawn, None) if key is None or (composite and None in key) else by_key.get(key)
        for key in wanted
    ]
    if None in matched:
        return records
    return matched


def check_versions_allowed(spec: TableSpec[Any, Any], given: bool) -> None:
    """A TypeError when versions are given for a table that has none."""
    if given and spec.audit is None:
        raise TypeError(f"table {spec.table} is not audited: its rows have no version to check")


async def delete_one_row(
    session: Session, recorder: Recorder, spec: TableSpec[Any, K], key: K, version: int | None
) -> bool:
    """Delete one row by key (and version, for audited tables); whether it was there.

    A row present with another version raises ``StaleVersionError`` and stays.
    """
    arguments = key_values(spec, key)
    if spec.audit is not None:
        arguments.append(version)
    try:
        if needs_scope(session, spec):
            async with (
                acquire(session.executor) as conn,
                _atomic_write(conn, session, spec) as audit_log,
            ):
                arguments += audit_log
                record = await conn.fetchrow(spec.sql.delete_one, *arguments)
                if record is None and version is not None:
                    stale = await stale_deletes_error(conn, spec, [key], [version])
                    if stale is not None:
                        raise stale
        else:
            record = await session.executor.fetchrow(spec.sql.delete_one, *arguments)
    except STATEMENT_ERRORS as exc:
        raise row_error(spec, exc, key, "delete") from exc
    recorder.absent(spec.table, comparable_keys(spec, spec.key_columns, [key]))
    return record is not None


async def delete_batch_on(
    conn: Connection,
    session: Session,
    recorder: Recorder,
    spec: TableSpec[Any, K],
    keys: Sequence[K],
    versions: Sequence[int | None] | None = None,
) -> int:
    """Delete rows by key on ``conn`` inside a savepoint; the number of rows deleted.

    With ``versions`` (audited tables), rows present with another version raise
    ``StaleVersionError`` and nothing is deleted.
    """
    arguments: list[Any] = key_arrays(spec, keys)
    # the distribution value after the audit log id, when the keys are on one shard (Citus)
    shard = shard_of(spec, spec.key_columns, arguments)
    delete, on_shard = routed(spec, spec.sql.delete_batch, shard)
    if spec.audit is not None:
        arguments.append(list(versions) if versions is not None else [None] * len(keys))
    try:
        one_statement = versions is None
        async with _atomic_write(conn, session, spec, single_statement=one_statement) as log:
            deleted = int(await conn.fetchval(delete, *arguments, *log, *on_shard))
            if versions is not None and deleted < len(keys):
                stale = await stale_deletes_error(conn, spec, keys, versions)
                if stale is not None:
                    raise stale
    except STATEMENT_ERRORS as exc:
        names = [spec.columns[p].name for p in spec.key_columns]
        raise statement_error(spec, exc, "delete", names) from exc
    recorder.absent(spec.table, comparable_keys(spec, spec.key_columns, keys))
    return deleted
