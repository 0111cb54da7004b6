"""The operations generated repositories delegate to, generic over a table's ``TableSpec``.

Single-row and batch variants share their semantics (docs/design.md): the same validation before
any SQL, the same errors, rows back with server defaults and generated keys. Batch variants send
one fixed statement whatever the batch size (asyncpg prepares it once), and an empty batch sends
nothing at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from batchrepo.chunked import (
    delete_batch_chunked,
    save_batch_chunked,
    update_batch_chunked,
    upsert_batch_chunked,
)
from batchrepo.encoding import decoded_rows, key_arrays, key_values, value_arrays
from batchrepo.errormap import STATEMENT_ERRORS, Operation, row_error, statement_error
from batchrepo.executor import acquire
from batchrepo.keys import comparable_keys, keys_of_records
from batchrepo.session import Target, as_session
from batchrepo.spec import E, K, TableSpec, WriteMode
from batchrepo.validation import ValidationReport, validate_columns
from batchrepo.writes import delete_batch_on, prepare, statement_for, write_batch, write_one

__all__ = [
    "delete_batch",
    "delete_batch_chunked",
    "delete_one",
    "exists_batch",
    "exists_one",
    "load_batch",
    "load_batch_by_unique",
    "load_grouped_by_fk",
    "load_one",
    "save_batch",
    "save_batch_chunked",
    "save_one",
    "update_batch",
    "update_batch_chunked",
    "update_one",
    "upsert_batch",
    "upsert_batch_chunked",
    "upsert_one",
    "validate_batch",
]


async def _write(
    target: Target, spec: TableSpec[E, K], items: Sequence[E], mode: WriteMode
) -> list[E]:
    ex = as_session(target).executor
    statement_for(spec, mode, batch=True)
    if not items:
        return []
    columns = prepare(spec, items, mode)
    async with acquire(ex) as conn:
        return await write_batch(conn, spec, items, columns, mode)


async def save_one(target: Target, spec: TableSpec[E, K], item: E) -> E:
    """Insert one row; returns it as stored (server defaults, generated key)."""
    ex = as_session(target).executor
    return await write_one(ex, spec, item, "insert")


async def save_batch(target: Target, spec: TableSpec[E, K], items: Sequence[E]) -> list[E]:
    """Insert rows in one statement; returns them as stored, in input order."""
    ex = as_session(target).executor
    return await _write(ex, spec, items, "insert")


async def update_one(target: Target, spec: TableSpec[E, K], item: E) -> E:
    """Update one row by key; ``MissingRowsError`` when it does not exist."""
    ex = as_session(target).executor
    return await write_one(ex, spec, item, "update")


async def update_batch(target: Target, spec: TableSpec[E, K], items: Sequence[E]) -> list[E]:
    """Update rows by key in one statement; if any is missing, nothing is written."""
    ex = as_session(target).executor
    return await _write(ex, spec, items, "update")


async def upsert_one(target: Target, spec: TableSpec[E, K], item: E) -> E:
    """Insert one row, or update the row with its primary key."""
    ex = as_session(target).executor
    return await write_one(ex, spec, item, "upsert")


async def upsert_batch(target: Target, spec: TableSpec[E, K], items: Sequence[E]) -> list[E]:
    """Insert or update rows by primary key in one statement, in input order."""
    ex = as_session(target).executor
    return await _write(ex, spec, items, "upsert")


async def _fetch(
    target: Target,
    spec: TableSpec[Any, Any],
    sql: str,
    arguments: Sequence[Any],
    operation: Operation,
) -> list[Any]:
    ex = as_session(target).executor
    try:
        return await ex.fetch(sql, *arguments)
    except STATEMENT_ERRORS as exc:
        raise statement_error(spec, exc, operation) from exc


async def _fetchrow(
    target: Target, spec: TableSpec[Any, K], sql: str, key: K, operation: Operation
) -> Any:
    ex = as_session(target).executor
    try:
        return await ex.fetchrow(sql, *key_values(spec, key))
    except STATEMENT_ERRORS as exc:
        raise row_error(spec, exc, key, operation) from exc


def _entities(spec: TableSpec[E, Any], records: Sequence[Any]) -> list[E]:
    return [spec.from_record(row) for row in decoded_rows(spec, records)]


async def load_one(target: Target, spec: TableSpec[E, K], key: K) -> E | None:
    """The row with this key, or None."""
    ex = as_session(target).executor
    record = await _fetchrow(ex, spec, spec.sql.select_one, key, "select")
    return None if record is None else _entities(spec, [record])[0]


async def load_batch(target: Target, spec: TableSpec[E, K], keys: Sequence[K]) -> list[E | None]:
    """One entry per key asked, in that order: the row, or None where there is none."""
    ex = as_session(target).executor
    if not keys:
        return []
    records = await _fetch(ex, spec, spec.sql.select_batch, key_arrays(spec, keys), "select")
    return _in_order_asked(spec, records, spec.key_columns, keys)


def _in_order_asked(
    spec: TableSpec[E, Any], records: Sequence[Any], positions: Sequence[int], keys: Sequence[Any]
) -> list[E | None]:
    returned = keys_of_records(spec, records, positions)
    found = dict(zip(returned, _entities(spec, records), strict=True))
    return [found.get(key) for key in comparable_keys(spec, positions, keys)]


async def exists_one(target: Target, spec: TableSpec[E, K], key: K) -> bool:
    """Whether a row with this key exists."""
    ex = as_session(target).executor
    try:
        return bool(await ex.fetchval(spec.sql.exists_one, *key_values(spec, key)))
    except STATEMENT_ERRORS as exc:
        raise row_error(spec, exc, key, "select") from exc


async def exists_batch(target: Target, spec: TableSpec[E, K], keys: Sequence[K]) -> list[bool]:
    """One bool per key asked, in that order."""
    ex = as_session(target).executor
    if not keys:
        return []
    records = await _fetch(ex, spec, spec.sql.exists_batch, key_arrays(spec, keys), "select")
    # exists_batch returns the key columns only
    at = range(len(spec.key_columns))
    found = set(keys_of_records(spec, records, spec.key_columns, at))
    return [key in found for key in comparable_keys(spec, spec.key_columns, keys)]


async def delete_one(target: Target, spec: TableSpec[E, K], key: K) -> bool:
    """Delete the row with this key; whether there was one."""
    ex = as_session(target).executor
    return await _fetchrow(ex, spec, spec.sql.delete_one, key, "delete") is not None


async def delete_batch(target: Target, spec: TableSpec[E, K], keys: Sequence[K]) -> int:
    """Delete rows by key in one statement; the number of rows deleted."""
    ex = as_session(target).executor
    if not keys:
        return 0
    async with acquire(ex) as conn:
        return await delete_batch_on(conn, spec, keys)


async def validate_batch(
    target: Target, spec: TableSpec[E, K], items: Sequence[E], mode: WriteMode = "insert"
) -> ValidationReport:
    """Every field problem and duplicate key of a batch, without writing.

    Asynchronous because checks against the database (existing keys, parents) belong here too;
    field-level checks send nothing.
    """
    return validate_columns(spec, spec.to_columns(items), mode)


async def load_batch_by_unique(
    target: Target, spec: TableSpec[E, K], unique: str, keys: Sequence[Any]
) -> list[E | None]:
    """Rows by a unique key (plain values for one column, tuples for several), in order asked."""
    ex = as_session(target).executor
    if not keys:
        return []
    found = next((u for u in spec.uniques if u.name == unique), None)
    if found is None or found.select_batch_sql is None:
        raise KeyError(f"table {spec.table} has no unique key {unique!r} to load by")
    arguments = value_arrays(len(found.columns), keys)
    records = await _fetch(ex, spec, found.select_batch_sql, arguments, "select")
    return _in_order_asked(spec, records, found.columns, keys)


async def load_grouped_by_fk(
    target: Target, spec: TableSpec[E, K], foreign_key: str, keys: Sequence[Any]
) -> dict[Any, list[E]]:
    """Child rows per parent key asked (every key present, ``[]`` for none)."""
    ex = as_session(target).executor
    found = next((f for f in spec.foreign_keys if f.name == foreign_key), None)
    if found is None:
        raise KeyError(f"table {spec.table} has no foreign key {foreign_key!r}")
    groups: dict[Any, list[E]] = {key: [] for key in keys}
    if not keys:
        return groups
    arguments = value_arrays(len(found.columns), keys)
    records = await _fetch(ex, spec, found.select_children_sql, arguments, "select")
    # a parent key asked as 'a' finds children stored as 'a  ' in char(n) columns
    asked = dict(zip(comparable_keys(spec, found.columns, keys), keys, strict=True))
    parents = keys_of_records(spec, records, found.columns)
    for parent, entity in zip(parents, _entities(spec, records), strict=True):
        groups.setdefault(asked.get(parent, parent), []).append(entity)
    return groups
