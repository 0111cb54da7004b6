"""The write path shared by single-row, batch and chunked operations.

Every write goes: ``to_columns`` → validation (fields, then duplicate keys) → one statement →
rows back in input order. A batch runs inside :func:`batchrepo.executor.atomic`, so a failure
leaves nothing behind and the connection usable for the probes that name the failing rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from batchrepo import errors
from batchrepo.encoding import batch_arguments, decoded_rows, key_arrays, row_arguments
from batchrepo.errormap import STATEMENT_ERRORS, batch_error, row_error, statement_error
from batchrepo.executor import Connection, Executor, atomic
from batchrepo.keys import keys_of_columns, keys_of_records, row_key
from batchrepo.spec import E, K, TableSpec, WriteMode
from batchrepo.validation import raise_for_problems


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


def prepare(spec: TableSpec[E, K], items: Sequence[E], mode: WriteMode) -> list[list[Any]]:
    """The batch's columns, validated; raises before any SQL when a rule is broken."""
    columns = spec.to_columns(items)
    raise_for_problems(spec, items, columns, mode)
    return columns


async def write_one(ex: Executor, spec: TableSpec[E, K], item: E, mode: WriteMode) -> E:
    """Insert, update or upsert one row; the same checks as a batch of one."""
    statement = statement_for(spec, mode, batch=False)
    columns = prepare(spec, [item], mode)
    positions = _positions(spec, mode)
    try:
        record = await ex.fetchrow(statement, *row_arguments(spec, columns, positions, 0))
    except STATEMENT_ERRORS as exc:
        names = [spec.columns[p].name for p in positions]
        raise row_error(spec, exc, row_key(spec, [item], columns, 0), mode, names) from exc
    if record is None:  # only an update can find no row
        key = row_key(spec, [item], columns, 0)
        raise errors.MissingRowsError(
            spec.table, keys=[key], rows=[0], reason="nothing was written"
        )
    return spec.from_record(decoded_rows(spec, [record])[0])


async def write_batch(
    conn: Connection,
    spec: TableSpec[E, K],
    items: Sequence[E],
    columns: Sequence[Sequence[Any]],
    mode: WriteMode,
) -> list[E]:
    """Send one prepared batch on ``conn``; rows come back in input order.

    ``columns`` must be ``prepare(spec, items, mode)`` (chunked callers pass slices of it).
    """
    positions = _positions(spec, mode)
    statement = statement_for(spec, mode, batch=True)
    arguments = batch_arguments(spec, columns, positions)
    try:
        async with atomic(conn):
            records = await conn.fetch(statement, *arguments)
            if mode == "update" and len(records) != len(items):
                # keys are distinct (checked before SQL), so fewer rows means missing rows
                raise _missing_rows(spec, items, columns, records)
    except STATEMENT_ERRORS as exc:
        mapped = await batch_error(
            conn,
            spec,
            exc,
            operation=mode,
            columns=columns,
            positions=positions,
            key_at=lambda row: row_key(spec, items, columns, row),
        )
        if mode == "update":
            # A row-by-row loop stops at the first failing row. When a row that does not exist
            # comes before the row that broke a constraint, the loop reports the missing row,
            # so the batch must too: ask which keys exist (the savepoint is rolled back).
            missing = await _missing_rows_after_failure(conn, spec, items, columns)
            if missing.rows and (not mapped.rows or missing.rows[0] <= min(mapped.rows)):
                raise missing from exc
        raise mapped from exc
    ordered = _in_input_order(spec, columns, records, mode)
    return [spec.from_record(row) for row in decoded_rows(spec, ordered)]


def _missing_rows(
    spec: TableSpec[E, K],
    items: Sequence[E],
    columns: Sequence[Sequence[Any]],
    records: list[Any],
    at: Sequence[int] | None = None,
) -> errors.MissingRowsError:
    """The rows whose keys are not among ``records`` (``at``: where the key columns sit in them)."""
    found = set(keys_of_records(spec, records, spec.key_columns, at))
    wanted = keys_of_columns(spec, columns, spec.key_columns)
    rows = [row for row, key in enumerate(wanted) if key not in found]
    return errors.MissingRowsError(
        spec.table,
        rows=rows,
        keys=[row_key(spec, items, columns, row) for row in rows],
        reason="nothing was written",
    )


async def _missing_rows_after_failure(
    conn: Connection, spec: TableSpec[E, K], items: Sequence[E], columns: Sequence[Sequence[Any]]
) -> errors.MissingRowsError:
    arrays = [list(columns[p]) for p in spec.key_columns]
    records = await conn.fetch(spec.sql.exists_batch, *arrays)
    # exists_batch returns the key columns only
    return _missing_rows(spec, items, columns, records, at=range(len(spec.key_columns)))


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
    wanted = keys_of_columns(spec, columns, spec.key_columns)
    returned = keys_of_records(spec, records, spec.key_columns)
    if returned == wanted:  # the usual case: one pass of comparisons, no hashing
        return records
    by_key = dict(zip(returned, records, strict=True))
    matched = [by_key.get(key) for key in wanted]
    if None in matched:
        return records
    return matched


async def delete_batch_on(conn: Connection, spec: TableSpec[Any, K], keys: Sequence[K]) -> int:
    """Delete rows by key on ``conn`` inside a savepoint; the number of rows deleted."""
    try:
        async with atomic(conn):
            deleted = await conn.fetchval(spec.sql.delete_batch, *key_arrays(spec, keys))
    except STATEMENT_ERRORS as exc:
        names = [spec.columns[p].name for p in spec.key_columns]
        raise statement_error(spec, exc, "delete", names) from exc
    return int(deleted)
