"""The operations, generic over a table's ``TableSpec``: what generated repositories call
(through :mod:`batchrepo.contract`, which lists them) and what tests may call directly.

Single-row and batch variants share their semantics (docs/design.md): the same validation before
any SQL, the same errors, rows back with server defaults and generated keys. Batch variants send
one fixed statement whatever the batch size (asyncpg prepares it once), and an empty batch sends
nothing at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, overload

from batchrepo import errors
from batchrepo.cache.entity_reads import entity_reads
from batchrepo.cache.recording import Recorder
from batchrepo.db.arguments import decoded_rows, key_values, value_arrays
from batchrepo.db.error_mapping import STATEMENT_ERRORS, Operation, row_error, statement_error
from batchrepo.db.executor import Executor, acquire
from batchrepo.db.failures import boundary
from batchrepo.db.routing import keyed, routed, shard_of
from batchrepo.entities import entities
from batchrepo.key_matching import comparable_keys, keys_of_records
from batchrepo.observe.telemetry import Observed
from batchrepo.session import Session, Target, as_session
from batchrepo.spec import E, K, TableSpec, WriteMode
from batchrepo.validate.before_write import checked_columns, full_report
from batchrepo.validate.report import ValidationReport
from batchrepo.write.apply import (
    check_versions_allowed,
    delete_batch_on,
    delete_one_row,
    statement_for,
    write_batch,
    write_one,
)

# The chunked variants live with the write path; re-exported so one module holds every operation.
from batchrepo.write.chunked import delete_batch_chunked as delete_batch_chunked
from batchrepo.write.chunked import save_batch_chunked as save_batch_chunked
from batchrepo.write.chunked import update_batch_chunked as update_batch_chunked
from batchrepo.write.chunked import upsert_batch_chunked as upsert_batch_chunked
from batchrepo.write.if_new import inserted_in_input_order, skipping
from batchrepo.write.partial import partial
from batchrepo.write.upserts import PRIMARY_KEY, upserting

#: The operation a write mode is part of, as spans and metrics name it (``save_batch``).
_VERB = {"insert": "save", "update": "update", "upsert": "upsert"}


async def _write(
    target: Target,
    spec: TableSpec[E, K],
    items: Sequence[E],
    mode: WriteMode,
    returning: bool,
    name: str = "",
) -> list[E] | int:
    session = as_session(target)
    name = name or f"{_VERB[mode]}_batch"
    with Observed(name, spec, session, len(items), writes=True, returning=returning) as seen:
        statement_for(spec, mode, batch=True)
        session.require_actor(spec)
        if not items:
            return [] if returning else 0
        recorder = seen.recorder(session.cache_view())
        columns, learned = await checked_columns(session, recorder.view, spec, items, mode)
        async with acquire(session.executor) as conn:
            seen.note_path(spec, session, mode, len(items), conn, returning)
            written = await write_batch(
                conn, session, recorder, spec, items, columns, mode, returning=returning
            )
        recorder.learned(learned)
        # all or nothing: a batch that did not raise wrote (or, for an update, matched) every row
        seen.affected = len(items)
        return written if returning else len(items)


async def _write_one(target: Target, spec: TableSpec[E, K], item: E, mode: WriteMode) -> E:
    written = await _write_one_or_none(target, spec, item, mode)
    assert written is not None, "only an insert that skips a taken key writes nothing"
    return written


async def _write_one_or_none(
    target: Target, spec: TableSpec[E, K], item: E, mode: WriteMode, name: str = ""
) -> E | None:
    session = as_session(target)
    with Observed(name or f"{_VERB[mode]}_one", spec, session, 1, writes=True) as seen:
        statement_for(spec, mode, batch=False)
        session.require_actor(spec)
        recorder = seen.recorder(session.cache_view())
        columns, learned = await checked_columns(session, recorder.view, spec, [item], mode)
        written = await write_one(session, recorder, spec, item, columns, mode)
        recorder.learned(learned)
        seen.affected = 0 if written is None else 1
        return written


@boundary
async def save_one(target: Target, spec: TableSpec[E, K], item: E) -> E:
    """Insert one row; returns it as stored (server defaults, generated key)."""
    return await _write_one(target, spec, item, "insert")


@overload
async def save_batch(
    target: Target, spec: TableSpec[E, K], items: Sequence[E], *, returning: Literal[True] = ...
) -> list[E]: ...
@overload
async def save_batch(
    target: Target, spec: TableSpec[E, K], items: Sequence[E], *, returning: Literal[False]
) -> int: ...
@overload
async def save_batch(
    target: Target, spec: TableSpec[E, K], items: Sequence[E], *, returning: bool
) -> list[E] | int: ...
@boundary
async def save_batch(
    target: Target, spec: TableSpec[E, K], items: Sequence[E], *, returning: bool = True
) -> list[E] | int:
    """Insert rows in one statement; returns them as stored, in input order.

    ``returning=False``: returns the number of rows inserted and builds no entities (large
    inserts of tables that allow it then go by binary COPY with nothing sent back)."""
    return await _write(target, spec, items, "insert", returning)


@boundary
async def update_one(
    target: Target, spec: TableSpec[E, K], item: E, *, columns: Sequence[str] | None = None
) -> E:
    """Update one row by key; ``MissingRowsError`` when it does not exist,
    ``StaleVersionError`` when its version moved on since the caller read it. ``columns``:
    write only these (attribute names; the key and version always), checking only them."""
    chosen = spec if columns is None else partial(spec, columns)
    return await _write_one(target, chosen, item, "update")


@overload
async def update_batch(
    target: Target,
    spec: TableSpec[E, K],
    items: Sequence[E],
    *,
    returning: Literal[True] = ...,
    columns: Sequence[str] | None = ...,
) -> list[E]: ...
@overload
async def update_batch(
    target: Target,
    spec: TableSpec[E, K],
    items: Sequence[E],
    *,
    returning: Literal[False],
    columns: Sequence[str] | None = ...,
) -> int: ...
@overload
async def update_batch(
    target: Target,
    spec: TableSpec[E, K],
    items: Sequence[E],
    *,
    returning: bool,
    columns: Sequence[str] | None = ...,
) -> list[E] | int: ...
@boundary
async def update_batch(
    target: Target,
    spec: TableSpec[E, K],
    items: Sequence[E],
    *,
    returning: bool = True,
    columns: Sequence[str] | None = None,
) -> list[E] | int:
    """Update rows by key in one statement; if any is missing or stale, nothing is written.
    ``returning=False``: returns the number of rows updated (or unchanged) instead.
    ``columns``: write only these (attribute names; the key and version always): one fixed
    statement whatever the choice, the others keep their stored values."""
    chosen = spec if columns is None else partial(spec, columns)
    return await _write(target, chosen, items, "update", returning)


@boundary
async def upsert_one(target: Target, spec: TableSpec[E, K], item: E, *, on: str = PRIMARY_KEY) -> E:
    """Insert one row, or update the row with the same key ``on`` (the primary key, or a
    unique key's name: the row found keeps its primary key)."""
    return await _write_one(target, upserting(spec, on), item, "upsert")


@overload
async def upsert_batch(
    target: Target,
    spec: TableSpec[E, K],
    items: Sequence[E],
    *,
    returning: Literal[True] = ...,
    on: str = ...,
) -> list[E]: ...
@overload
async def upsert_batch(
    target: Target,
    spec: TableSpec[E, K],
    items: Sequence[E],
    *,
    returning: Literal[False],
    on: str = ...,
) -> int: ...
@overload
async def upsert_batch(
    target: Target, spec: TableSpec[E, K], items: Sequence[E], *, returning: bool, on: str = ...
) -> list[E] | int: ...
@boundary
async def upsert_batch(
    target: Target,
    spec: TableSpec[E, K],
    items: Sequence[E],
    *,
    returning: bool = True,
    on: str = PRIMARY_KEY,
) -> list[E] | int:
    """Insert or update rows by key ``on`` in one statement, in input order. Audited tables
    write history for rows inserted or changed, none for unchanged rows (versions given are not
    checked). ``returning=False``: returns the number of rows written instead."""
    return await _write(target, upserting(spec, on), items, "upsert", returning)


@boundary
async def save_if_new(
    target: Target, spec: TableSpec[E, K], item: E, *, on: str = "primary_key"
) -> E | None:
    """Insert one row unless a row with its key ``on`` (the primary key or a unique key's
    name) exists: the row as stored, or None when it was skipped. Race-free (``ON CONFLICT DO
    NOTHING``); audited tables write history for a row inserted only."""
    return await _write_one_or_none(target, skipping(spec, on), item, "insert", "save_if_new")


@boundary
async def save_batch_if_new(
    target: Target, spec: TableSpec[E, K], items: Sequence[E], *, on: str = "primary_key"
) -> list[E | None]:
    """Insert the rows whose key ``on`` is not taken, in one statement: one entry per row, in
    input order, the row as stored or None where it was skipped. Two rows of the batch with the
    same key are a ``DuplicateKeyInBatchError``, as in every batch write."""
    written = await _write(target, skipping(spec, on), items, "insert", True, "save_batch_if_new")
    assert isinstance(written, list)
    return inserted_in_input_order(spec, on, items, written)


async def _fetch(
    ex: Executor,
    spec: TableSpec[Any, Any],
    sql: str,
    arguments: Sequence[Any],
    operation: Operation,
) -> list[Any]:
    try:
        return await ex.fetch(sql, *arguments)
    except STATEMENT_ERRORS as exc:
        raise statement_error(spec, exc, operation) from exc


def _entities(spec: TableSpec[E, Any], records: Sequence[Any]) -> list[E]:
    return entities(spec, decoded_rows(spec, records))


@boundary
async def load_one(target: Target, spec: TableSpec[E, K], key: K) -> E | None:
    """The row with this key, or None."""
    session = as_session(target)
    with Observed("load_one", spec, session, 1) as seen:
        recorder = Recorder(session.cache_view())
        cached = entity_reads(session, spec)  # None unless the table opted in to the entity cache
        if cached is not None and not cached.misses([key]):
            return cached.answer([key])[0]
        try:
            record = await session.executor.fetchrow(spec.sql.select_one, *key_values(spec, key))
        except STATEMENT_ERRORS as exc:
            raise row_error(spec, exc, key, "select") from exc
        seen.returned = 0 if record is None else 1
        if record is None:
            return None
        if cached is not None:
            cached.read([record], recorder)
            return cached.answer([key])[0]
        rows = decoded_rows(spec, [record])
        recorder.rows(spec, rows)
        return spec.from_record(rows[0])


@boundary
async def load_batch(target: Target, spec: TableSpec[E, K], keys: Sequence[K]) -> list[E | None]:
    """One entry per key asked, in that order: the row, or None where there is none."""
    session = as_session(target)
    with Observed("load_batch", spec, session, len(keys)) as seen:
        found, seen.returned = await load_keys(session, spec, keys)
        return found


async def load_keys(
    session: Session, spec: TableSpec[E, K], keys: Sequence[K]
) -> tuple[list[E | None], int | None]:
    """``load_batch`` without a span of its own (``load_stream`` is one operation, however many
    chunks it loads), and the number of rows the database returned (None: it was not asked)."""
    if not keys:
        return [], None
    recorder = Recorder(session.cache_view())
    cached = entity_reads(session, spec)  # None unless the table opted in to the entity cache
    asked = keys if cached is None else cached.misses(keys)
    records = []
    if asked:
        select, arguments = keyed(spec, spec.sql.select_batch, asked)
        records = await _fetch(session.executor, spec, select, arguments, "select")
    returned = len(records) if asked else None
    if cached is not None:
        cached.read(records, recorder)
        return cached.answer(keys), returned
    recorder.rows(spec, records)
    return _in_order_asked(spec, records, spec.key_columns, keys), returned


def _in_order_asked(
    spec: TableSpec[E, Any], records: Sequence[Any], positions: Sequence[int], keys: Sequence[Any]
) -> list[E | None]:
    returned = keys_of_records(spec, records, positions)
    found = dict(zip(returned, _entities(spec, records), strict=True))
    return [found.get(key) for key in comparable_keys(spec, positions, keys)]


@boundary
async def exists_one(target: Target, spec: TableSpec[E, K], key: K) -> bool:
    """Whether a row with this key exists."""
    session = as_session(target)
    with Observed("exists_one", spec, session, 1) as seen:
        recorder = Recorder(session.cache_view())
        try:
            sql = spec.sql.exists_one
            found = bool(await session.executor.fetchval(sql, *key_values(spec, key)))
        except STATEMENT_ERRORS as exc:
            raise row_error(spec, exc, key, "select") from exc
        seen.returned = int(found)
        if found:
            recorder.present(spec.table, comparable_keys(spec, spec.key_columns, [key]))
        return found


@boundary
async def exists_batch(target: Target, spec: TableSpec[E, K], keys: Sequence[K]) -> list[bool]:
    """One bool per key asked, in that order."""
    session = as_session(target)
    with Observed("exists_batch", spec, session, len(keys)) as seen:
        if not keys:
            return []
        recorder = Recorder(session.cache_view())
        exists, arguments = keyed(spec, spec.sql.exists_batch, keys)
        records = await _fetch(session.executor, spec, exists, arguments, "select")
        seen.returned = len(records)
        # exists_batch returns the key columns only
        at = range(len(spec.key_columns))
        found = keys_of_records(spec, records, spec.key_columns, at)
        recorder.present(spec.table, found)
        present = set(found)
        return [key in present for key in comparable_keys(spec, spec.key_columns, keys)]


@boundary
async def delete_one(
    target: Target, spec: TableSpec[E, K], key: K, *, version: int | None = None
) -> bool:
    """Delete the row with this key; whether there was one. ``version`` (audited tables): delete
    only that version; a row present with another raises ``StaleVersionError``."""
    session = as_session(target)
    with Observed("delete_one", spec, session, 1, writes=True) as seen:
        check_versions_allowed(spec, version is not None)
        session.require_actor(spec)
        recorder = Recorder(session.cache_view())
        deleted = await delete_one_row(session, recorder, spec, key, version)
        seen.affected = int(deleted)
        return deleted


@boundary
async def delete_batch(
    target: Target,
    spec: TableSpec[E, K],
    keys: Sequence[K],
    *,
    versions: Sequence[int | None] | None = None,
) -> int:
    """Delete rows by key in one statement; the number of rows deleted. ``versions`` (audited
    tables, one per key, None: any): rows present with another version raise
    ``StaleVersionError`` and nothing is deleted."""
    session = as_session(target)
    with Observed("delete_batch", spec, session, len(keys), writes=True) as seen:
        seen.affected = await _delete_batch(session, spec, keys, versions)
        return seen.affected


async def _delete_batch(
    session: Session,
    spec: TableSpec[E, K],
    keys: Sequence[K],
    versions: Sequence[int | None] | None,
) -> int:
    check_versions_allowed(spec, versions is not None)
    if versions is not None and len(versions) != len(keys):
        raise ValueError(f"{spec.table}: {len(keys)} keys but {len(versions)} versions")
    session.require_actor(spec)
    if not keys:
        return 0
    recorder = Recorder(session.cache_view())
    kept = _first_occurrences(spec, keys) if versions is not None else None
    if kept is not None and versions is not None:
        # A loop deletes a repeated key at its first occurrence (checked against that version)
        # and finds nothing at the later ones, so only first occurrences are sent.
        keys, versions = [keys[i] for i in kept], [versions[i] for i in kept]
    async with acquire(session.executor) as conn:
        try:
            return await delete_batch_on(conn, session, recorder, spec, keys, versions)
        except errors.StaleVersionError as stale:
            if kept is not None:
                stale.rows = [kept[row] for row in stale.rows]
            raise


def _first_occurrences(spec: TableSpec[Any, Any], keys: Sequence[Any]) -> list[int] | None:
    """Positions of the first occurrence of each key, or None when no key repeats."""
    comparable = comparable_keys(spec, spec.key_columns, keys)
    if len(set(comparable)) == len(comparable):
        return None
    seen: set[Any] = set()
    first = []
    for position, key in enumerate(comparable):
        if key not in seen:
            seen.add(key)
            first.append(position)
    return first


@boundary
async def validate_batch(
    target: Target, spec: TableSpec[E, K], items: Sequence[E], mode: WriteMode = "insert"
) -> ValidationReport:
    """Every problem a write of this batch would meet before its statement, without writing:
    field rules, duplicate keys, missing parents and (on insert) existing keys."""
    session = as_session(target)
    with Observed("validate_batch", spec, session, len(items)) as seen:
        if not items:
            return ValidationReport(spec.table)
        recorder = seen.recorder(session.cache_view())
        columns = spec.to_columns(items)
        report, learned = await full_report(session, recorder.view, spec, columns, mode)
        recorder.learned(learned)
        return report


@boundary
async def load_batch_by_unique(
    target: Target, spec: TableSpec[E, K], unique: str, keys: Sequence[Any]
) -> list[E | None]:
    """Rows by a unique key (plain values for one column, tuples for several), in order asked."""
    session = as_session(target)
    with Observed("load_batch_by_unique", spec, session, len(keys)) as seen:
        if not keys:
            return []
        found = next((u for u in spec.uniques if u.name == unique), None)
        if found is None or found.select_batch_sql is None:
            raise KeyError(f"table {spec.table} has no unique key {unique!r} to load by")
        recorder = Recorder(session.cache_view())
        arguments = value_arrays(len(found.columns), keys)
        shard = shard_of(spec, found.columns, arguments)
        sql, on_shard = routed(spec, found.select_batch_sql, shard)
        records = await _fetch(session.executor, spec, sql, arguments + on_shard, "select")
        seen.returned = len(records)
        recorder.rows(spec, records)
        return _in_order_asked(spec, records, found.columns, keys)


@boundary
async def load_grouped_by_fk(
    target: Target, spec: TableSpec[E, K], foreign_key: str, keys: Sequence[Any]
) -> dict[Any, list[E]]:
    """Child rows per parent key asked (every key present, ``[]`` for none)."""
    session = as_session(target)
    found = next((f for f in spec.foreign_keys if f.name == foreign_key), None)
    if found is None:
        raise KeyError(f"table {spec.table} has no foreign key {foreign_key!r}")
    groups: dict[Any, list[E]] = {key: [] for key in keys}
    if not keys:
        return groups
    with Observed("load_grouped_by_fk", spec, session, len(keys)) as seen:
        recorder = Recorder(session.cache_view())
        arguments = value_arrays(len(found.columns), keys)
        shard = shard_of(spec, found.columns, arguments)
        sql, on_shard = routed(spec, found.select_children_sql, shard)
        records = await _fetch(session.executor, spec, sql, arguments + on_shard, "select")
        seen.returned = len(records)
        recorder.rows(spec, records)
    # a parent key asked as 'a' finds children stored as 'a  ' in char(n) columns
    asked = dict(zip(comparable_keys(spec, found.columns, keys), keys, strict=True))
    parents = keys_of_records(spec, records, found.columns)
    for parent, entity in zip(parents, _entities(spec, records), strict=True):
        groups.setdefault(asked.get(parent, parent), []).append(entity)
    return groups
