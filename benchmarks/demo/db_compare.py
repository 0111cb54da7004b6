"""Comparing what the two demo databases hold, and what the two paths returned.

The demo writes the same data set through the single-row methods into one database and through
the batch methods into another; the claim that both paths mean the same thing is only worth
something if the end states are checked to be equal, value by value. Columns the database fills
by itself (``now()`` timestamps, identity keys) differ legitimately and are left out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

#: Columns the server fills at write time: equal in meaning, different in value between databases.
VOLATILE_COLUMNS: Mapping[str, frozenset[str]] = {
    "person": frozenset({"created_at"}),
    "account": frozenset({"created_at"}),
    "ledger_transaction": frozenset({"id"}),
    # history: the same snapshots, versions, operations and audit_log rows (units of work run in
    # the same order on both sides); the history's own identity and the server clock differ
    "person_history": frozenset({"history_id", "created_at"}),
    "account_history": frozenset({"history_id", "created_at"}),
    "ledger_transaction_history": frozenset({"history_id", "id"}),
    "audit_log": frozenset({"created_at"}),
}

#: audit_log ids compared by rank: a unit whose first audited write wrote no history (a skipped
#: save_if_new) rolls its log row back, and the sequence value it took is gone, so one-by-one
#: and batch runs number the same rows differently. History rows point at the same rank.
_RANK = '(SELECT count(*) FROM "audit_log" AS a WHERE a."id" <= {})'
RANKED: Mapping[tuple[str, str], str] = {
    ("audit_log", "id"): _RANK.format('"audit_log"."id"'),
    **{
        (history, "audit_log_id"): _RANK.format('"audit_log_id"')
        for history in ("person_history", "account_history", "ledger_transaction_history")
    },
}

_COLUMNS_SQL = """
SELECT table_name::text, column_name::text
FROM information_schema.columns
WHERE table_schema = 'public'
ORDER BY table_name, ordinal_position
"""


class DatabasesDiffer(AssertionError):
    """The single-row and the batch database ended up holding different rows."""


async def table_columns(conn: asyncpg.Connection[asyncpg.Record]) -> dict[str, list[str]]:
    """Each table of the public schema with its columns in table order."""
    columns: dict[str, list[str]] = {}
    for table, column in await conn.fetch(_COLUMNS_SQL):
        columns.setdefault(table, []).append(column)
    return columns


async def _comparable_rows(
    conn: asyncpg.Connection[asyncpg.Record], table: str, columns: Sequence[str]
) -> list[tuple[Any, ...]]:
    # Names come from information_schema of our own database, quoted all the same.
    listed = ", ".join(RANKED.get((table, c), '"' + c.replace('"', '""') + '"') for c in columns)
    ordinals = ", ".join(str(i + 1) for i in range(len(columns)))
    query = f'SELECT {listed} FROM "{table}" ORDER BY {ordinals}'
    return [tuple(record) for record in await conn.fetch(query)]


async def assert_same_contents(
    left: asyncpg.Connection[asyncpg.Record], right: asyncpg.Connection[asyncpg.Record]
) -> dict[str, int]:
    """Raise :class:`DatabasesDiffer` unless both databases hold the same rows; return row
    counts per table."""
    tables = await table_columns(left)
    if tables != await table_columns(right):
        raise DatabasesDiffer("the two databases have different tables or columns")
    counts: dict[str, int] = {}
    for table, all_columns in tables.items():
        volatile = VOLATILE_COLUMNS.get(table, frozenset())
        columns = [c for c in all_columns if c not in volatile]
        rows_left = await _comparable_rows(left, table, columns)
        rows_right = await _comparable_rows(right, table, columns)
        if rows_left != rows_right:
            raise DatabasesDiffer(_describe(table, columns, rows_left, rows_right))
        counts[table] = len(rows_left)
    return counts


def _describe(
    table: str,
    columns: Sequence[str],
    left: Sequence[tuple[Any, ...]],
    right: Sequence[tuple[Any, ...]],
) -> str:
    if len(left) != len(right):
        return f"{table}: {len(left)} rows (single-row) against {len(right)} rows (batch)"
    for number, (a, b) in enumerate(zip(left, right, strict=True)):
        if a != b:
            diffs = [
                f"{c}: {x!r} != {y!r}" for c, x, y in zip(columns, a, b, strict=True) if x != y
            ]
            return f"{table}: row {number} in key order differs: " + "; ".join(diffs)
    return f"{table}: rows differ"


def comparable(entity: object) -> tuple[Any, ...]:
    """An entity's field values without the server-filled ones, for comparing the results of
    the single-row and the batch path (which ran against different databases)."""
    if not dataclasses.is_dataclass(entity) or isinstance(entity, type):
        raise TypeError(f"expected an entity dataclass instance, got {type(entity).__name__}")
    volatile = VOLATILE_COLUMNS.get(_table_of(entity), frozenset())
    return tuple(
        getattr(entity, f.name) for f in dataclasses.fields(entity) if f.name not in volatile
    )


def _table_of(entity: object) -> str:
    """``LedgerTransaction`` -> ``ledger_transaction`` (the generator's class naming, reversed)."""
    name = type(entity).__name__
    return "".join("_" + ch.lower() if ch.isupper() else ch for ch in name).lstrip("_")


def same_results(single: object, batch: object) -> bool:
    """Whether two operation results agree once server-filled values are ignored.

    Handles what repositories return: entities, ``None``, bools, ints, lists of those and
    ``dict[key, list[entity]]`` (children lookups; the order inside each list is not part of
    the contract, so lists are compared as sorted).
    """
    return _normal(single) == _normal(batch)


def _normal(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return comparable(value)
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, dict):
        return {k: sorted((_normal(v) for v in vs), key=repr) for k, vs in value.items()}
    return value
