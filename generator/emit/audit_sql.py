"""The write statements of an audited table (``docs/units-of-work.md``, "Statements of audited
tables"): each writes the history rows of its batch in the same statement, in a data-modifying
CTE, and takes one more argument after its own, the ``audit_log`` id (``$n::int8``).

* insert: the plain insert (the version takes its default, 1), one ``'insert'`` history row per
  row.
* update: a row whose new values (after the server-default ``COALESCE``) are all ``IS NOT
  DISTINCT FROM`` the stored ones is unchanged: not written, returned as stored. A changed row
  gets ``version + 1`` and an ``'update'`` history row holding the new snapshot. A non-NULL
  version argument that differs from the stored version leaves the row alone and unreturned
  (stale), unchanged or not.
* delete: only rows whose version matches (or whose version argument is NULL), each leaving a
  ``'delete'`` history row with its last snapshot and ``version + 1``.

The unchanged rows are read from the statement's snapshot, which the CTEs do not change; their
condition is the negation of the update's, so a row is in one branch or the other, never both.
* upsert: see :func:`audited_upserts` (history for rows inserted or changed, none for
  unchanged rows).

CTE names and aliases start with ``_``, which no schema name may, so they never meet a table.
Each CTE is a :func:`~.sql.block`: ``WITH _written AS (``, its statement indented, ``),``.
"""

from __future__ import annotations

from ..model import Column, GenerationError, Key, Table
from ..schema.names import (
    AUDIT_LOG_ID,
    AUDIT_OPERATION,
    OPERATION,
    VERSION,
    quote_ident,
)
from .sql import (
    Batch,
    Statement,
    TableStatements,
    block,
    column_list,
    kept_current,
    masked,
    new_value,
    or_stored,
    param,
    placed,
    routed,
    select_keys,
    table_statements,
    touched,
    upserted,
    where_one,
    with_default,
)


def audited_statements(table: Table) -> TableStatements:
    """The statements of an audited table: reads as for any table, audited writes, no upsert."""
    plain = table_statements(table)
    has_values = table.updatable
    upserts = audited_upserts(table, table.primary_key) if table.upsertable else (None,) * 3
    return TableStatements(
        insert_one=_insert(table, plain.insert_one, len(table.insert_columns) + 1),
        insert_batch=_insert(table, plain.insert_batch, _batch_arguments(table) + 1),
        select_one=plain.select_one,
        select_batch=plain.select_batch,
        exists_one=plain.exists_one,
        exists_batch=plain.exists_batch,
        delete_one=_delete_one(table),
        delete_batch=_delete_batch(table),
        update_one=_update_one(table) if has_values else None,
        update_batch=_update_batch(table) if has_values else None,
        upsert_one=upserts[0],
        upsert_batch=upserts[1],
        select_keys=select_keys(table),
        select_all=plain.select_all,
        insert_batch_count=_insert(
            table, plain.insert_batch, _batch_arguments(table) + 1, count=True
        ),
        update_batch_count=_update_batch(table, count=True) if has_values else None,
        upsert_batch_count=upserts[2],
        update_one_columns=_update_one(table, mask=True) if has_values else None,
        update_batch_columns=_update_batch(table, mask=True) if has_values else None,
        update_batch_columns_count=(
            _update_batch(table, count=True, mask=True) if has_values else None
        ),
    )


def audited_routed_writes(table: Table) -> dict[str, Statement]:
    """The batch writes of an audited table routed to one shard (:func:`~.sql.routed_writes`)."""
    writes = {"delete_batch": _delete_batch(table, route=True)}
    if table.updatable:
        for field, mask in (("update_batch", False), ("update_batch_columns", True)):
            writes[field] = _update_batch(table, mask=mask, route=True)
            writes[field + "_count"] = _update_batch(table, count=True, mask=mask, route=True)
    return writes


def audited_inserts(table: Table, one: Statement, batch: Statement) -> tuple[Statement, Statement]:
    """Plain (single-row, batch) inserts of an audited table made to write their history rows,
    taking the audit log id after their own arguments (as ``insert_one`` and ``insert_batch``)."""
    return (
        _insert(table, one, len(table.insert_columns) + 1),
        _insert(table, batch, _batch_arguments(table) + 1),
    )


def _version(table: Table) -> Column:
    column = table.version_column
    if column is None or table.history_table is None:
        raise GenerationError(f"table {table.name!r} is not audited")
    return column


def _batch_arguments(table: Table) -> int:
    """How many arguments the plain batch insert takes (array columns take three)."""
    batch = Batch()
    for column in table.insert_columns:
        batch.add(column)
    return batch.next_number - 1


def _history(table: Table, source: str, operation: str, version: str, log: int) -> Statement:
    """``_history AS (INSERT ...)``: one history row per row of the CTE ``source``.
    ``operation``: a word (``insert``), or an SQL expression of ``_s`` giving one."""
    assert table.history_table is not None
    snapshot = table.snapshot_columns
    targets = [quote_ident(c.name) for c in snapshot]
    targets += [quote_ident(VERSION), quote_ident(OPERATION), quote_ident(AUDIT_LOG_ID)]
    values = [f"_s.{quote_ident(c.name)}" for c in snapshot]
    kind = f"'{operation}'" if operation.isidentifier() else f"({operation})"
    values += [version, f"{kind}::{quote_ident(AUDIT_OPERATION)}", f"${log}::int8"]
    return block(
        "_history AS (",
        (
            f"INSERT INTO {quote_ident(table.history_table)} ({', '.join(targets)})",
            f"SELECT {', '.join(values)}",
            f"FROM {source} AS _s",
        ),
        ")",
    )


def _returned(table: Table, source: str, columns: tuple[Column, ...] | None = None) -> str:
    chosen = table.columns if columns is None else columns
    return ", ".join(f"{source}.{quote_ident(c.name)}" for c in chosen)


def _insert(table: Table, plain: Statement, log: int, count: bool = False) -> Statement:
    """``count``: answer the number of rows inserted instead of the rows."""
    version = f"_s.{quote_ident(_version(table).name)}"
    result = ("SELECT count(*)",) if count else (f"SELECT {_returned(table, '_w')}",)
    return (
        *block("WITH _written AS (", plain, "),"),
        *_history(table, "_written", "insert", version, log),
        *result,
        "FROM _written AS _w",
    )


def audited_upserts(table: Table, key: Key) -> tuple[Statement, Statement, Statement]:
    """(single-row, batch, counting batch) upserts of an audited table on ``key``.

    ``INSERT ... ON CONFLICT (<key>) DO UPDATE ... WHERE <changed>``: a new row is inserted at
    version 1, an existing row that the input changes gets ``version + 1``, an unchanged one is
    not written. History rows follow what happened (``xmax = 0`` tells an inserted row from an
    updated one). The unchanged rows are read back from the statement's snapshot through the
    ``_input`` CTE; a row another transaction inserted and committed while this one waited on it
    is not in that snapshot, and the runtime reads it afterwards (``batchrepo.write.upserts``).
    Arguments: the insert's, then the audit log id. Versions given are not checked.
    """
    return (
        _upsert(table, key, batch=False, count=False),
        _upsert(table, key, batch=True, count=False),
        _upsert(table, key, batch=True, count=True),
    )


def _upsert(table: Table, key: Key, *, batch: bool, count: bool) -> Statement:
    t = quote_ident(table.name)
    columns = table.insert_columns
    if batch:
        rows = Batch()
        expressions = {c.position: rows.add(c) for c in columns}
        selected = ", ".join(f"{expressions[c.position]} AS {quote_ident(c.name)}" for c in columns)
        source: Statement = (f"SELECT {selected}, u._ord", *rows.source(ordinality=True))
        log = rows.next_number
    else:
        selected = ", ".join(
            f"{param(c, n)} AS {quote_ident(c.name)}" for n, c in enumerate(columns, 1)
        )
        source = (f"SELECT {selected}, 1 AS _ord",)
        log = len(columns) + 1
    version = quote_ident(_version(table).name)
    written = upserted(table, key)
    sets = [f"{quote_ident(c.name)} = EXCLUDED.{quote_ident(c.name)}" for c in written]
    sets += [f"{quote_ident(c.name)} = {touched(c)}" for c in kept_current(table)]
    sets.append(f"{version} = {t}.{version} + 1")
    stored = ", ".join(f"{t}.{quote_ident(c.name)}" for c in written)
    new = ", ".join(f"EXCLUDED.{quote_ident(c.name)}" for c in written)
    changed = f"WHERE ({stored}) IS DISTINCT FROM ({new})" if written else "WHERE false"
    values = ", ".join(with_default(c, f"_i.{quote_ident(c.name)}") for c in columns)
    key_columns = tuple(table.columns[i] for i in key.columns)
    insert = (
        f"INSERT INTO {t} ({column_list(table, columns)})",
        f"SELECT {values}",
        "FROM _input AS _i",
        "ORDER BY _i._ord",
        f"ON CONFLICT ({column_list(table, key_columns)}) DO UPDATE",
        f"SET {', '.join(sets)}",
        changed,
        f"RETURNING {column_list(table, qualify=True)}, ({t}.xmax = 0) AS _inserted",
    )
    match = " AND ".join(
        f"{t}.{quote_ident(c.name)} = _i.{quote_ident(c.name)}" for c in key_columns
    )
    rows_back: Statement = (
        f"SELECT {'1' if count else _returned(table, '_w')}",
        "FROM _written AS _w",
        "UNION ALL",
        f"SELECT {'1' if count else column_list(table, qualify=True)}",
        f"FROM {t}",
        f"JOIN _input AS _i ON {match}",
        f"WHERE {_unwritten(table, key_columns)}",
    )
    if count:
        rows_back = ("SELECT count(*)", *block("FROM (", rows_back, ") AS _rows"))
    operation = "CASE WHEN _s._inserted THEN 'insert' ELSE 'update' END"
    return (
        *block("WITH _input AS (", source, "),"),
        *block("_written AS (", insert, "),"),
        *_history(table, "_written", operation, f"_s.{version}", log),
        *rows_back,
    )


def _deleted(table: Table, delete: Statement, log: int, result: Statement) -> Statement:
    """``WITH _deleted AS (`` the ``delete`` returning every column ``),``, its history rows,
    then ``result``."""
    version = f"_s.{quote_ident(_version(table).name)} + 1"
    returning = f"RETURNING {column_list(table, qualify=True)}"
    return (
        *block("WITH _deleted AS (", (*delete, returning), "),"),
        *_history(table, "_deleted", "delete", version, log),
        *result,
    )


def _delete_one(table: Table) -> Statement:
    """Arguments: the key columns, the version (NULL: any), the audit log id."""
    number = len(table.key_columns) + 1
    stored = f"{quote_ident(table.name)}.{quote_ident(_version(table).name)}"
    keys = _returned(table, "_w", table.key_columns)
    delete = (
        f"DELETE FROM {quote_ident(table.name)}",
        where_one(table),
        f"AND (${number}::int8 IS NULL OR {stored} = ${number}::int8)",
    )
    return _deleted(table, delete, number + 1, (f"SELECT {keys}", "FROM _deleted AS _w"))


def _delete_batch(table: Table, route: bool = False) -> Statement:
    """Arguments: one plain array per key column, the versions ``int8[]`` (a NULL element or a
    NULL array: any version), the audit log id (``route``: then the distribution value,
    :func:`~.sql.routed`)."""
    t = quote_ident(table.name)
    keys = table.key_columns
    arrays = [f"${n}::{c.sql_cast}[]" for n, c in enumerate(keys, 1)]
    versions = len(keys) + 1
    arrays.append(f"${versions}::int8[]")
    aliases = [quote_ident(c.name) for c in keys] + ['"_version"']
    match = " AND ".join(f"{t}.{quote_ident(c.name)} = _k.{quote_ident(c.name)}" for c in keys)
    stored = f"{t}.{quote_ident(_version(table).name)}"
    delete = (
        f"DELETE FROM {t}",
        f"USING unnest({', '.join(arrays)}) AS _k({', '.join(aliases)})",
        f"WHERE {match}",
        f'AND (_k."_version" IS NULL OR {stored} = _k."_version")',
        *((routed(table, versions + 2),) if route else ()),
    )
    return _deleted(table, delete, versions + 1, ("SELECT count(*)", "FROM _deleted"))


def _changed(table: Table, values: dict[int, str]) -> tuple[str, str]:
    """The stored value columns and their new values, as two rows for ``IS DISTINCT FROM``.
    A column kept current (``on_update``) is left out: a row whose values do not change is not
    written, so its clock does not move either."""
    t = quote_ident(table.name)
    compared = [c for c in table.value_columns if c.on_update is None]
    stored = [f"{t}.{quote_ident(c.name)}" for c in compared]
    new = [or_stored(table, c, values[c.position]) for c in compared]
    if not compared:  # only a column kept current besides the key: no update changes a row
        stored, new = ["true"], ["true"]
    return "(" + ", ".join(stored) + ")", "(" + ", ".join(new) + ")"


def _update_one(table: Table, mask: bool = False) -> Statement:
    """Arguments: every column, one value each (the version: the one the caller read, NULL for
    no check), with ``mask`` the columns to update (``bool[]``), then the audit log id."""
    values = {c.position: param(c, c.position + 1) for c in table.columns}
    flags = len(table.columns) + 1 if mask else None
    values = _masked(table, values, flags)
    return _update(table, values, (), len(table.columns) + 1 + (flags is not None))


def _masked(table: Table, values: dict[int, str], flags: int | None) -> dict[int, str]:
    """The value columns' new values kept where the mask argument ``flags`` says (the key and
    the version are always the input's)."""
    kept = {c.position for c in table.value_columns if c.on_update is None}
    return {
        position: masked(table, table.columns[position], value, flags)
        if position in kept
        else value
        for position, value in values.items()
    }


def _update_batch(
    table: Table, count: bool = False, mask: bool = False, route: bool = False
) -> Statement:
    """Arguments: every column as batch arrays, then the audit log id. The rows are unnested
    once, into ``_input``, which both the update and the unchanged rows join. ``count``: answer
    how many rows were updated or found unchanged instead of the rows."""
    batch = Batch()
    expressions = {c.position: batch.add(c) for c in table.columns}
    selected = ", ".join(
        f"{expressions[c.position]} AS {quote_ident(c.name)}" for c in table.columns
    )
    head = block("WITH _input AS (", (f"SELECT {selected}", *batch.source(ordinality=False)), "),")
    values = {c.position: f"_i.{quote_ident(c.name)}" for c in table.columns}
    flags = batch.next_number if mask else None
    values = _masked(table, values, flags)
    log = batch.next_number + (flags is not None)
    return _update(table, values, head, log, count, log + 1 if route else None)


def _not_written(table: Table) -> Statement:
    """On a table Citus places, the rows an audited update left unchanged leave out the rows it
    wrote: Citus runs the ``_written`` CTE first and the read of the table then sees the new
    rows, which equal their input, so a row updated without a version check came back twice
    (found by the equivalence machine on the cluster). PostgreSQL reads every part of the
    statement from one snapshot, so a plain table needs no such clause."""
    if not placed(table):
        return ()
    return (f"AND {_unwritten(table, table.key_columns)}",)


def _unwritten(table: Table, key_columns: tuple[Column, ...]) -> str:
    """The condition that a row of ``table`` is not among the ``_written`` CTE's rows, matched
    on ``key_columns`` (the upserts' read-back and the placed audited updates)."""
    t = quote_ident(table.name)
    mine = " AND ".join(
        f"_w.{quote_ident(c.name)} = {t}.{quote_ident(c.name)}" for c in key_columns
    )
    return f"NOT EXISTS (SELECT 1 FROM _written AS _w WHERE {mine})"


def _update(
    table: Table,
    values: dict[int, str],
    head: Statement,
    log: int,
    count: bool = False,
    route: int | None = None,
) -> Statement:
    """The audited update, given each column's new value (``values``) and, for a batch, the
    ``_input`` CTE they come from (``head``, which starts the ``WITH``); ``route``: the number
    of the distribution value's argument (:func:`~.sql.routed`), after the audit log id."""
    on_shard = (routed(table, route),) if route is not None else ()
    t = quote_ident(table.name)
    version = _version(table)
    v = quote_ident(version.name)
    sets = [
        f"{quote_ident(c.name)} = " + new_value(table, c, values[c.position], None, single=not head)
        for c in table.value_columns
    ]
    sets.append(f"{v} = {t}.{v} + 1")
    match = " AND ".join(
        f"{t}.{quote_ident(c.name)} = {values[c.position]}" for c in table.key_columns
    )
    given = values[version.position]
    current = f"({given} IS NULL OR {t}.{v} = {given})"
    stored, new = _changed(table, values)
    update = (
        f"UPDATE {t}",
        f"SET {', '.join(sets)}",
        *(("FROM _input AS _i",) if head else ()),
        f"WHERE {match}",
        f"AND {current}",
        f"AND {stored} IS DISTINCT FROM {new}",
        *on_shard,
        f"RETURNING {column_list(table, qualify=True)}",
    )
    rows: Statement = (
        f"SELECT {'1' if count else _returned(table, '_w')}",
        "FROM _written AS _w",
        "UNION ALL",
        f"SELECT {'1' if count else column_list(table, qualify=True)}",
        f"FROM {t}",
        *(
            (f"JOIN _input AS _i ON {match}", f"WHERE {current}")
            if head
            else (f"WHERE {match}", f"AND {current}")
        ),
        f"AND {stored} IS NOT DISTINCT FROM {new}",
        *_not_written(table),
        *on_shard,
    )
    if count:
        rows = ("SELECT count(*)", *block("FROM (", rows, ") AS _rows"))
    return (
        *head,
        *block("_written AS (" if head else "WITH _written AS (", update, "),"),
        *_history(table, "_written", "update", f"_s.{v}", log),
        *rows,
    )
