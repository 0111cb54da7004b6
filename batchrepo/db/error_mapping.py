"""asyncpg errors → batchrepo errors, naming the rows of a batch that caused them.

PostgreSQL reports the first violation of a statement and nothing about which input row it came
from. For a failed batch, once its savepoint has rolled back, the probe statements of the table's
spec run on the same connection and find every row that clashes with an existing key or lacks a
parent. Probes are one fixed statement each over the batch arrays, so this costs a round trip
per constraint only when something failed.

Server messages of class 22 and the ``detail`` of integrity errors quote row values; texts built
here redact quoted values and never copy ``detail`` (the asyncpg error stays as ``__cause__``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Literal

import asyncpg

# asyncpg has two DataErrors: the public one is the server's class 22; this one is raised by the
# client while encoding an argument, before anything is sent.
from asyncpg.exceptions._base import DataError as ArgumentEncodingError

from batchrepo import errors
from batchrepo.db.arguments import batch_argument_columns, batch_arguments
from batchrepo.db.executor import Connection
from batchrepo.db.failures import BY_SQLSTATE as _BY_SQLSTATE
from batchrepo.db.failures import classified
from batchrepo.db.routing import routed, shard_of
from batchrepo.key_matching import keys_of_columns
from batchrepo.spec import CheckSpec, ForeignKeySpec, TableSpec, UniqueSpec

#: Errors raised by asyncpg for a statement: by the server, or while encoding its arguments.
STATEMENT_ERRORS = (asyncpg.PostgresError, ArgumentEncodingError)

#: What the failed statement was doing; decides which probes make sense.
Operation = Literal["insert", "update", "upsert", "delete", "select"]

_ARGUMENT = re.compile(r"query argument \$(\d+)")
# Citus relays a constraint error raised on a worker as a message alone: no constraint or table
# field, and the names it quotes are the shard's, the table's name with "_<shard id>" appended.
_QUOTED_CONSTRAINT = re.compile(r'violates (?:unique|foreign key) constraint "([^"]+)"')
_QUOTED_TABLE = re.compile(r'on table "([^"]+)"')
_SHARD_SUFFIX = re.compile(r"(.+)_\d+")


def _reported(
    exc: BaseException, field: str, quoted: re.Pattern[str], known: Sequence[str]
) -> str | None:
    """The server's ``field`` of a constraint error (``constraint_name``, ``table_name``); when
    it is empty (Citus), the last name the message quotes, as ``known`` names it when it is a
    shard's name of one of them."""
    value: str | None = getattr(exc, field, None)
    if value is not None:
        return value
    found = quoted.findall(str(getattr(exc, "message", "") or ""))
    if not found:
        return None
    name = str(found[-1])
    shard = _SHARD_SUFFIX.fullmatch(name)
    if name not in known and shard is not None and shard.group(1) in known:
        return shard.group(1)
    return name


def _unique_named(spec: TableSpec[Any, Any], constraint: str | None) -> UniqueSpec | None:
    return next((u for u in spec.uniques if u.constraint == constraint), None)


def _foreign_key_named(spec: TableSpec[Any, Any], constraint: str | None) -> ForeignKeySpec | None:
    return next((f for f in spec.foreign_keys if f.constraint == constraint), None)


def _is_primary_key(spec: TableSpec[Any, Any], unique: UniqueSpec) -> bool:
    return unique.columns == spec.key_columns


def _column_names(spec: TableSpec[Any, Any], positions: Sequence[int]) -> list[str]:
    return [spec.columns[p].name for p in positions]


def _unique_fields(spec: TableSpec[Any, Any], unique: UniqueSpec) -> dict[str, Any]:
    reason = (
        "a row with this primary key already exists"
        if _is_primary_key(spec, unique)
        else f"unique key {unique.name} is taken by another row"
    )
    columns = _column_names(spec, unique.columns)
    return {
        "sqlstate": "23505",
        "constraint": unique.constraint,
        "columns": columns,
        "reason": reason,
    }


def _foreign_key_fields(spec: TableSpec[Any, Any], foreign_key: ForeignKeySpec) -> dict[str, Any]:
    return {
        "sqlstate": "23503",
        "constraint": foreign_key.constraint,
        "columns": _column_names(spec, foreign_key.columns),
        "reason": f"parent row missing in {foreign_key.parent_table}",
    }


def _described(
    spec: TableSpec[Any, Any],
    exc: BaseException,
    operation: Operation,
    argument_columns: Sequence[str],
) -> tuple[type[errors.BatchRepoError], dict[str, Any]]:
    """The error class and its fields except rows and keys."""
    if isinstance(exc, ArgumentEncodingError):
        found = _ARGUMENT.search(str(exc))
        reason = "asyncpg could not encode an argument"
        if found and 0 < int(found.group(1)) <= len(argument_columns):
            column = argument_columns[int(found.group(1)) - 1]
            reason = f"asyncpg could not encode argument ${found.group(1)} (column {column})"
        return errors.DataError, {"reason": reason}
    cls = _BY_SQLSTATE.get(str(getattr(exc, "sqlstate", "")))
    if cls is None or not isinstance(exc, asyncpg.PostgresError):
        # not a constraint: transient, lost connection, timeout, data error, ... (failures)
        described = classified(exc)
        return described or (errors.DatabaseError, {"reason": type(exc).__name__})
    sqlstate = str(exc.sqlstate)
    known = [u.constraint for u in spec.uniques] + [f.constraint for f in spec.foreign_keys]
    constraint = _reported(exc, "constraint_name", _QUOTED_CONSTRAINT, known)
    fields: dict[str, Any] = {"sqlstate": sqlstate, "constraint": constraint}
    if cls is errors.UniqueViolationError:
        unique = _unique_named(spec, constraint)
        if unique is not None:
            fields |= _unique_fields(spec, unique)
    elif cls is errors.ForeignKeyViolationError:
        foreign_key = _foreign_key_named(spec, constraint)
        referencing = _reported(exc, "table_name", _QUOTED_TABLE, [spec.table])
        if foreign_key is not None and referencing == spec.table and operation != "delete":
            fields |= _foreign_key_fields(spec, foreign_key)
        elif operation in ("insert", "update", "upsert"):
            # another table's key, broken by what this write did there or to a referenced
            # value (an audited table's history row, a changed unique value with children)
            fields["reason"] = (
                f"the {operation} broke foreign key {constraint or '(unnamed)'} "
                f"of {referencing or 'another table'}"
            )
        else:
            fields["reason"] = f"rows of {referencing or 'another table'} still reference it"
    elif cls is errors.NotNullViolationError:
        column_name = getattr(exc, "column_name", None)
        fields["columns"] = [column_name] if column_name else []
    return cls, fields


def row_error(
    spec: TableSpec[Any, Any],
    exc: BaseException,
    key: Any,
    operation: Operation,
    argument_columns: Sequence[str] = (),
) -> errors.BatchRepoError:
    """The error of a single-row statement: the row is index 0, its key is ``key``."""
    cls, fields = _described(spec, exc, operation, argument_columns)
    return cls(spec.table, rows=[0], keys=[key], **fields)


def statement_error(
    spec: TableSpec[Any, Any],
    exc: BaseException,
    operation: Operation,
    argument_columns: Sequence[str] = (),
) -> errors.BatchRepoError:
    """The error of a statement whose rows cannot be located (loads, batch deletes)."""
    cls, fields = _described(spec, exc, operation, argument_columns)
    return cls(spec.table, **fields)


async def batch_error(
    conn: Connection,
    spec: TableSpec[Any, Any],
    exc: BaseException,
    *,
    operation: Operation,
    columns: Sequence[Sequence[Any]] | None,
    positions: Sequence[int],
    key_at: Callable[[int], Any],
) -> errors.BatchRepoError:
    """The error of a batch statement, with the failing rows found by probing.

    Call it after the batch's transaction or savepoint has rolled back, on the same connection.
    ``columns`` are the batch's ``to_columns`` lists (None for key-only statements), ``positions``
    the columns the statement was sent, ``key_at(row)`` the primary key of a row.
    """
    cls, fields = _described(spec, exc, operation, batch_argument_columns(spec, positions))
    rows: list[int] = []
    rows_by_constraint: dict[str, list[int]] = {}
    if columns is not None and operation != "delete":
        located = cls is errors.UniqueViolationError or (
            cls is errors.ForeignKeyViolationError and "columns" in fields
        )
        if located:
            cls, fields, rows, rows_by_constraint = await _first_failing_row_decides(
                conn, spec, columns, operation, cls, fields
            )
        elif cls is errors.NotNullViolationError and fields.get("columns"):
            rows = _null_rows(spec, columns, fields["columns"][0])
        elif cls is errors.CheckViolationError:
            check = next((c for c in spec.checks if c.constraint == fields["constraint"]), None)
            if check is not None:
                fields["columns"] = _column_names(spec, check.columns)
                fields["reason"] = f"check {check.constraint} ({check.sql}) is false"
                rows = await _probe_check(conn, spec, check, columns, operation)
    return cls(
        spec.table,
        rows=rows,
        keys=[key_at(row) for row in rows],
        rows_by_constraint=rows_by_constraint,
        **fields,
    )


async def _first_failing_row_decides(
    conn: Connection,
    spec: TableSpec[Any, Any],
    columns: Sequence[Sequence[Any]],
    operation: Operation,
    cls: type[errors.BatchRepoError],
    fields: dict[str, Any],
) -> tuple[type[errors.BatchRepoError], dict[str, Any], list[int], dict[str, list[int]]]:
    """Probe unique keys and foreign keys alike, and report the kind of the first failing row.

    Returns the class, its fields, the rows breaking constraints of that kind, and the rows of
    every constraint found broken.

    PostgreSQL names whichever violation it met first, which for a batch depends on its plan;
    saving the rows one by one would fail on the first bad row. Reporting that row's kind makes
    a batch fail like the loop it replaces. A row breaking both fails on its unique key, as a
    single insert does (the index rejects it before foreign keys are checked at statement end).
    """
    clashes = _found(await _probe_uniques(conn, spec, columns, operation))
    orphans = _found(await _probe_foreign_keys(conn, spec, columns, operation))
    clash = min(clashes, key=lambda name: clashes[name][0], default=None)
    orphan = min(orphans, key=lambda name: orphans[name][0], default=None)
    if orphan is not None and (clash is None or orphans[orphan][0] < clashes[clash][0]):
        chosen, other, cls = orphans, clashes, errors.ForeignKeyViolationError
        # the probes key their findings by the spec's own constraint names
        fields = _foreign_key_fields(spec, {f.constraint: f for f in spec.foreign_keys}[orphan])
    elif clash is not None:
        chosen, other, cls = clashes, orphans, errors.UniqueViolationError
        fields = _unique_fields(spec, {u.constraint: u for u in spec.uniques}[clash])
    else:
        return cls, fields, [], {}  # the probes found nothing (a concurrent change)
    if other:
        # no row numbers in the text: chunked runs shift rows, and only attributes follow
        also = {row for rows in other.values() for row in rows}
        fields["reason"] += (
            f"; {len(also)} row(s) also break {', '.join(sorted(other))} (see rows_by_constraint)"
        )
    rows = sorted({row for found in chosen.values() for row in found})
    return cls, fields, rows, chosen | other


def _found(rows_by_constraint: dict[str, list[int]]) -> dict[str, list[int]]:
    return {name: rows for name, rows in rows_by_constraint.items() if rows}


async def _probe_uniques(
    conn: Connection,
    spec: TableSpec[Any, Any],
    columns: Sequence[Sequence[Any]],
    operation: Operation,
) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for unique in spec.uniques:
        if unique.name == spec.conflict_key:
            continue  # the write skips or updates the rows that clash on it: none failed
        if _is_primary_key(spec, unique):
            resolved_elsewhere = operation == "upsert" and spec.conflict_key is not None
            if operation != "insert" and not resolved_elsewhere:
                continue  # updates and upserts meet their own rows by primary key, by design
            positions: tuple[int, ...] = spec.key_columns
        else:
            positions = unique.columns + spec.key_columns
        found[unique.constraint] = await _probe(
            conn, spec, unique.probe_sql, batch_arguments(spec, columns, positions), columns
        )
    return found


async def _probe_foreign_keys(
    conn: Connection,
    spec: TableSpec[Any, Any],
    columns: Sequence[Sequence[Any]],
    operation: Operation,
) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for foreign_key in spec.foreign_keys:
        arguments = batch_arguments(spec, columns, foreign_key.columns)
        rows = await _probe(conn, spec, foreign_key.probe_sql, arguments, columns)
        if foreign_key.self_parent_columns is not None and operation != "update":
            # The insert rolled back, so the probe misses parents that were new rows of the
            # batch: a row pointing at one of them was fine. An update creates no rows, so a
            # batch key is a parent only if it exists, and then the probe sees it anyway.
            in_batch = set(keys_of_columns(spec, columns, foreign_key.self_parent_columns))
            references = keys_of_columns(spec, columns, foreign_key.columns)
            rows = [row for row in rows if references[row] not in in_batch]
        found[foreign_key.constraint] = rows
    return found


async def _probe_check(
    conn: Connection,
    spec: TableSpec[Any, Any],
    check: CheckSpec,
    columns: Sequence[Sequence[Any]],
    operation: Operation,
) -> list[int]:
    """The rows ``check`` is false for, the values read as the failed statement wrote them."""
    if operation == "update" and check.probe_update_sql is not None:
        arguments = batch_arguments(spec, columns, (*check.columns, *spec.key_columns))
        mask = spec.update_columns or (True,) * len(spec.columns)
        update_arguments = [*arguments, list(mask)]
        return await _probe(conn, spec, check.probe_update_sql, update_arguments, columns)
    arguments = batch_arguments(spec, columns, check.columns)
    return await _probe(conn, spec, check.probe_sql, arguments, columns)


def _null_rows(
    spec: TableSpec[Any, Any], columns: Sequence[Sequence[Any]], column_name: str
) -> list[int]:
    """Rows that sent None to the column PostgreSQL named (no probe needed: we hold the data)."""
    position = next((i for i, c in enumerate(spec.columns) if c.name == column_name), None)
    if position is None:
        return []
    return [row for row, value in enumerate(columns[position]) if value is None]


async def _probe(
    conn: Connection,
    spec: TableSpec[Any, Any],
    sql: str,
    arguments: Sequence[Any],
    columns: Sequence[Sequence[Any]],
) -> list[int]:
    """0-based rows a probe returns (it returns 1-based ordinals); routed to one shard when
    the batch (``columns``, every column) has one distribution value."""
    probe, on_shard = routed(spec, sql, shard_of(spec, range(len(columns)), columns))
    try:
        records = await conn.fetch(probe, *arguments, *on_shard)
    except (asyncpg.PostgresError, asyncpg.InterfaceError):
        return []  # locating rows is a courtesy; the original error is what gets raised
    return [record[0] - 1 for record in records]
