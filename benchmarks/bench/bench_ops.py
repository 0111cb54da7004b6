"""Database-side measurements: each operation on ``person`` rows, every method, one repetition.

The machine is shared and noisy, so methods are never timed in separate runs: each repetition
times every method of an operation back to back, in an order that rotates from one repetition to
the next (so no method always runs first on a cold cache), and the caller takes medians.

Methods: ``single`` is the one-row repository method in a loop inside one transaction (the fair
baseline; one transaction per row mostly measures commits), ``batch`` the batch method. For
inserts two reference points without the repository layer: asyncpg ``executemany`` of the
single-row insert statement, and binary ``COPY`` (``copy_records_to_table``), the fastest way
into PostgreSQL there is.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeAlias, TypeVar

import asyncpg
from ledger import Person, PersonRepository, PersonType
from ledger.person import PERSON_TABLE

from ..timing import rotated, timed

#: Who the benchmark writes as: person is audited, so every write records history.
ACTOR = "bench"

#: Operations in report order; ``insert`` also has the executemany and COPY reference points.
OPERATIONS = ("insert", "load", "exists", "update", "delete")
INSERT_METHODS = ("single", "batch", "executemany", "copy")
METHODS = ("single", "batch")

X = TypeVar("X")
# Subscripted only for the type checker: asyncpg.Connection is not generic at run time.
Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record]"
#: (operation, method) -> milliseconds of this repetition.
Timings = dict[tuple[str, str], float]


class RowFactory:
    """Fresh person rows with unique keys; deterministic, and cheap enough not to matter."""

    def __init__(self) -> None:
        self._next = 0

    def make(self, count: int) -> list[Person]:
        start, self._next = self._next, self._next + count
        return [self._person(i) for i in range(start, start + count)]

    @staticmethod
    def _person(i: int) -> Person:
        return Person(
            id=uuid.UUID(int=i + 1, version=4),
            person_type=PersonType.NATURAL,
            display_name=f"Bench Person {i}",
            external_identifier=f"BENCH-{i:09d}",
            department="Payments" if i % 3 == 0 else None,
            date_of_birth=datetime.date(1950, 1, 1) + datetime.timedelta(days=i % 20_000),
            document_digest=hashlib.sha256(i.to_bytes(8)).digest() if i % 2 else None,
        )


async def _one_by_one(
    conn: Connection, call: Callable[[X], Awaitable[object]], items: Sequence[X]
) -> None:
    async with conn.transaction():
        for item in items:
            await call(item)


def _insert_arguments(items: Sequence[Person], audit_log_id: int) -> list[tuple[Any, ...]]:
    """Rows of the single-row insert statement's arguments, for executemany (the audited
    statement takes the audit log id last)."""
    columns = PERSON_TABLE.to_columns(items)
    chosen = [columns[i] for i in PERSON_TABLE.insert_columns]
    return [(*row, audit_log_id) for row in zip(*chosen, strict=True)]


def copy_columns(columns: Sequence[Sequence[Any]]) -> list[int]:
    """Positions COPY writes: every insert column but a server-default one left None here.

    COPY applies a column's default only to columns it does not name, and has no COALESCE: a
    NULL sent for ``created_at`` would fail NOT NULL. A client-drawn uuid key is still sent.
    """
    return [
        i
        for i in PERSON_TABLE.insert_columns
        if not (PERSON_TABLE.columns[i].server_default and all(v is None for v in columns[i]))
    ]


def copy_records(
    columns: Sequence[Sequence[Any]], positions: Sequence[int]
) -> list[tuple[Any, ...]]:
    return list(zip(*(columns[i] for i in positions), strict=True))


async def _truncate(conn: Connection) -> None:
    await conn.execute('TRUNCATE "person" CASCADE')


async def measure_inserts(
    conn: Connection, rows: RowFactory, size: int, repetition: int
) -> Timings:
    """Each insert method into an empty table, the same number of fresh rows each."""
    timings: Timings = {}
    for method in rotated(INSERT_METHODS, repetition):
        await _truncate(conn)
        items = rows.make(size)
        timings["insert", method] = (await timed(lambda: _insert(conn, method, items)))[1]  # noqa: B023
    return timings


async def _insert(conn: Connection, method: str, items: Sequence[Person]) -> None:
    if method == "single":
        await _one_by_one(conn, PersonRepository(conn, actor=ACTOR).save, items)
    elif method == "batch":
        await PersonRepository(conn, actor=ACTOR).save_batch(items)
    elif method == "executemany":
        # Argument preparation counts: the repository methods pay for theirs too.
        assert PERSON_TABLE.audit is not None
        log = await conn.fetchval(PERSON_TABLE.audit.insert_log_sql, ACTOR)
        await conn.executemany(PERSON_TABLE.sql.insert_one, _insert_arguments(items, log))
    else:
        columns = PERSON_TABLE.to_columns(items)
        positions = copy_columns(columns)
        await conn.copy_records_to_table(
            PERSON_TABLE.table,
            records=copy_records(columns, positions),
            columns=[PERSON_TABLE.columns[i].name for i in positions],
        )


def _renamed(items: Sequence[Person], tag: str) -> list[Person]:
    # version None: no optimistic check (both methods update the same rows in turn)
    return [
        dataclasses.replace(p, display_name=f"{p.display_name} {tag}", version=None) for p in items
    ]


async def measure_operations(
    conn: Connection, rows: RowFactory, size: int, repetition: int
) -> Timings:
    """load, exists, update and delete of ``size`` rows, both methods (person is audited, and
    audited tables have no upsert).

    Starts from ``2 * size`` existing rows: the two delete methods need a half each.
    """
    repo = PersonRepository(conn, actor=ACTOR)
    await _truncate(conn)
    # Updates start from rows as stored (created_at filled in), as an application's would.
    existing = await repo.save_batch(rows.make(2 * size))
    await conn.execute('ANALYZE "person"')
    first, second = existing[:size], existing[size:]
    keys = [p.id for p in first]
    # Half present, half never written: lookups in real use miss too.
    probes = keys[: size // 2] + [p.id for p in rows.make(size - size // 2)]
    timings: Timings = {}
    methods = rotated(METHODS, repetition)
    for method in methods:
        timings["load", method] = await _time(conn, method, repo.load, repo.load_batch, keys)
    for method in methods:
        timings["exists", method] = await _time(
            conn, method, repo.exists, repo.exists_batch, probes
        )
    for method in methods:
        changed = _renamed(first, f"{method}-{repetition}")
        timings["update", method] = await _time(
            conn, method, repo.update, repo.update_batch, changed
        )
    for method in methods:
        victims = [p.id for p in (first if method == methods[0] else second)]
        timings["delete", method] = await _time(
            conn, method, repo.delete, repo.delete_batch, victims
        )
    return timings


async def _time(
    conn: Connection,
    method: str,
    one: Callable[[X], Awaitable[object]],
    many: Callable[[Sequence[X]], Awaitable[object]],
    items: Sequence[X],
) -> float:
    """Milliseconds of ``one`` per item in one transaction, or of ``many`` on all items."""
    if method == "single":
        return (await timed(lambda: _one_by_one(conn, one, items)))[1]
    return (await timed(lambda: many(items)))[1]
