"""The read statements of an audited table's history (``docs/generated-api.md``, "History"):
its versions with the operation that wrote each, who wrote it and when, one statement per batch.

Every statement answers the same row shape, what :mod:`batchrepo.read.history` decodes: the
snapshot's columns in table order (the version in its place, so the aggregate's ``from_record``
reads it as it reads a row of the table), then the operation as text, the ``audit_log`` actor,
the ``audit_log`` time and the audit log id; the batch "as of" statement adds the 1-based
ordinal of the key asked.

* ``select_history_one`` / ``select_history_batch``: every history row of one key / of key
  arrays, ordered by ``history_id``: the order they were written, which is version order (a key
  deleted and inserted again starts at version 1 again, after its earlier life).
* ``select_as_of_one`` / ``select_as_of_batch``: the last history row of each key written by a
  unit of work that started at or before ``at`` (``audit_log.created_at``, the transaction's
  ``now()``; NULL: any time), and, when a version is given, of that version (NULL: any). The
  batch form takes a version per key and answers at most one row per key asked, through a
  ``LATERAL`` subquery that stops at the first row in ``history_id`` order, descending (on a
  table distributed on Citus, which refuses that subquery, ``DISTINCT ON`` the key's ordinal).

The operation is cast to ``text``, so reading history needs no codec for the
``audit_operation`` enum. Aliases start with ``_``, which no schema name may, so a column named
``actor`` or ``at`` never meets them.
"""

from __future__ import annotations

from ..model import GenerationError, Table
from ..schema.names import AUDIT_LOG, AUDIT_LOG_ID, HISTORY_ID, OPERATION, VERSION, quote_ident
from .sql import Statement, block, param

#: The columns every history statement answers after the snapshot, in order.
EXTRA_COLUMNS = ("_operation", "_actor", "_at", "_audit_log_id")


def history_statements(table: Table) -> dict[str, Statement]:
    """The four statements of ``table`` (audited), by their ``AuditSpec`` field."""
    if table.history_table is None:
        raise GenerationError(f"table {table.name!r} is not audited: it has no history")
    return {
        "select_history_one": _history(table, _match_one(table)),
        "select_history_batch": _history(table, _match_arrays(table)),
        "select_as_of_one": _as_of_one(table),
        "select_as_of_batch": (
            _as_of_batch(table) if table.distribution is None else _as_of_batch_distributed(table)
        ),
    }


def routed_history(table: Table) -> dict[str, Statement]:
    """The batch reads of a distributed table's history routed to one shard: the same
    arguments, then the distribution value (``AND h."<column>" = $n``, as :func:`.sql.routed`),
    by ``AuditSpec`` field."""
    assert table.distribution is not None
    column = table.column(table.distribution)
    keys = len(table.key_columns)

    def on_shard(number: int) -> str:
        return f"AND h.{quote_ident(column.name)} = {param(column, number)}"

    history = _history(table, _match_arrays(table))
    as_of = _as_of_batch_distributed(table)
    return {
        "select_history_batch": (*history[:-1], on_shard(keys + 1), history[-1]),
        "select_as_of_batch": (*as_of[:-1], on_shard(keys + 3), as_of[-1]),
    }


def _selected(table: Table, prefix: str = "h") -> str:
    """The snapshot's columns (``h."col"``), then the operation, actor, time and log id."""
    snapshot = [f"{prefix}.{quote_ident(c.name)}" for c in table.columns]
    extra = [
        f'{prefix}.{quote_ident(OPERATION)}::text AS "_operation"',
        'l."actor" AS "_actor"',
        'l."created_at" AS "_at"',
        f'{prefix}.{quote_ident(AUDIT_LOG_ID)} AS "_audit_log_id"',
    ]
    return ", ".join(snapshot + extra)


def _source(table: Table) -> tuple[str, str]:
    assert table.history_table is not None
    return (
        f"FROM {quote_ident(table.history_table)} AS h",
        f'JOIN {quote_ident(AUDIT_LOG)} AS l ON l."id" = h.{quote_ident(AUDIT_LOG_ID)}',
    )


def _match_one(table: Table) -> str:
    """``WHERE h."id" = $1::uuid AND ...``: one value per key column."""
    return "WHERE " + " AND ".join(
        f"h.{quote_ident(c.name)} = {param(c, n)}" for n, c in enumerate(table.key_columns, 1)
    )


def _match_arrays(table: Table) -> str:
    """Key columns matching plain typed arrays ``$1, $2, ...`` (one element per key)."""
    keys = table.key_columns
    if len(keys) == 1:
        (column,) = keys
        return f"WHERE h.{quote_ident(column.name)} = ANY($1::{column.sql_cast}[])"
    arrays = ", ".join(f"${n}::{c.sql_cast}[]" for n, c in enumerate(keys, 1))
    row = "(" + ", ".join(f"h.{quote_ident(c.name)}" for c in keys) + ")"
    return f"WHERE {row} IN (SELECT * FROM unnest({arrays}))"


def _history(table: Table, where: str) -> Statement:
    return (
        f"SELECT {_selected(table)}",
        *_source(table),
        where,
        f"ORDER BY h.{quote_ident(HISTORY_ID)}",
    )


def _bounds(version: str, at: str) -> tuple[str, str]:
    return (
        f"AND ({version} IS NULL OR h.{quote_ident(VERSION)} = {version})",
        f'AND ({at} IS NULL OR l."created_at" <= {at})',
    )


def _as_of_one(table: Table) -> Statement:
    """Arguments: the key columns, the version (NULL: any), the time (NULL: any)."""
    number = len(table.key_columns) + 1
    return (
        f"SELECT {_selected(table)}",
        *_source(table),
        _match_one(table),
        *_bounds(f"${number}::int8", f"${number + 1}::timestamptz"),
        f"ORDER BY h.{quote_ident(HISTORY_ID)} DESC",
        "LIMIT 1",
    )


def _as_of_batch(table: Table) -> Statement:
    """Arguments: one plain array per key column, the versions ``int8[]`` (a NULL element: any
    version), the time (NULL: any). Answers the ordinal of the key asked last."""
    keys = table.key_columns
    arrays = [f"${n}::{c.sql_cast}[]" for n, c in enumerate(keys, 1)]
    versions = len(keys) + 1
    arrays.append(f"${versions}::int8[]")
    aliases = [quote_ident(c.name) for c in keys] + ['"_version"', "_ord"]
    match = " AND ".join(f"h.{quote_ident(c.name)} = _k.{quote_ident(c.name)}" for c in keys)
    outer = [f"_h.{quote_ident(c.name)}" for c in table.columns]
    outer += [f"_h.{quote_ident(name)}" for name in EXTRA_COLUMNS] + ["_k._ord"]
    lateral = (
        f"SELECT {_selected(table)}",
        *_source(table),
        f"WHERE {match}",
        *_bounds('_k."_version"', f"${versions + 1}::timestamptz"),
        f"ORDER BY h.{quote_ident(HISTORY_ID)} DESC",
        "LIMIT 1",
    )
    return (
        f"SELECT {', '.join(outer)}",
        f"FROM unnest({', '.join(arrays)}) WITH ORDINALITY AS _k({', '.join(aliases)})",
        *block("JOIN LATERAL (", lateral, ") AS _h ON true"),
        "ORDER BY _k._ord",
    )


def _as_of_batch_distributed(table: Table) -> Statement:
    """:func:`_as_of_batch` of a table distributed on Citus, which refuses a ``LATERAL``
    subquery with ``LIMIT`` over a function's rows (0A000 "cannot push down this subquery"):
    the keys joined to their history rows, and the last row of each key ordinal kept by
    ``DISTINCT ON``, which Citus runs on each shard and again on the coordinator (a key's
    history rows live on one shard). Same arguments and rows; it reads every history row of
    the keys matching the bounds where the ``LATERAL`` form stops at the first."""
    keys = table.key_columns
    arrays = [f"${n}::{c.sql_cast}[]" for n, c in enumerate(keys, 1)]
    versions = len(keys) + 1
    arrays.append(f"${versions}::int8[]")
    aliases = [quote_ident(c.name) for c in keys] + ['"_version"', "_ord"]
    match = " AND ".join(f"h.{quote_ident(c.name)} = _k.{quote_ident(c.name)}" for c in keys)
    history, audit_log = _source(table)
    version, at = _bounds('_k."_version"', f"${versions + 1}::timestamptz")
    return (
        f"SELECT DISTINCT ON (_k._ord) {_selected(table)}, _k._ord",
        f"FROM unnest({', '.join(arrays)}) WITH ORDINALITY AS _k({', '.join(aliases)})",
        f"JOIN {history.removeprefix('FROM ')} ON {match}",
        audit_log,
        f"WHERE {version.removeprefix('AND ')}",
        at,
        f"ORDER BY _k._ord, h.{quote_ident(HISTORY_ID)} DESC",
    )
