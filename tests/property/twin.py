"""Two databases with the same DDL: one driven by batch methods, one by single-row methods.

Hypothesis' stateful machines are synchronous, so the twin owns a persistent event loop and
drives the async runtime with ``loop.run_until_complete``; its two connections live on that loop
for a whole test module. The twin also knows how to compare the two databases: every row of a
table, ordered by key, in a canonical form (:func:`canonical_row`) in which floats compare by
``repr`` (NaN equals NaN, -0.0 differs from 0.0) and a timestamp a server default or an update of
a column kept current (``on_update``) just set reads as ``<server default>`` (``now()`` differs
between two databases by a few milliseconds).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, TypeVar

import asyncpg

from batchrepo.spec import ColumnSpec, TableSpec

from .strategies.values import NOW_MARGIN

T = TypeVar("T")
Spec = TableSpec[Any, Any]
SERVER_DEFAULT = "<server default>"
#: Makes one side's fresh database ("b" or "s") and returns its URL.
CreateDatabase = Callable[[str], Awaitable[str]]
#: Drops a database a :data:`CreateDatabase` made, given its URL.
DropDatabase = Callable[[str], Awaitable[None]]


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _is_recent(value: Any) -> bool:
    if isinstance(value, dt.datetime):
        now = dt.datetime.now(dt.UTC) if value.tzinfo is not None else dt.datetime.now()
        return abs(value - now) < NOW_MARGIN
    if isinstance(value, dt.date):
        return abs(value - dt.date.today()) < NOW_MARGIN
    return False


def canonical(value: Any) -> Any:
    """A comparable, hashable, readable form of a column value."""
    if isinstance(value, float):
        return ("float", repr(value))
    if isinstance(value, Decimal):
        return ("numeric", str(value))
    if isinstance(value, list | tuple):
        return tuple(canonical(v) for v in value)
    if isinstance(value, dict):
        return ("json", json.dumps(value, sort_keys=True))
    return value


def canonical_row(spec: Spec, values: Iterable[Any]) -> tuple[Any, ...]:
    """One row (entity attributes or a record, in column order) in canonical form."""
    return tuple(_canonical_column(col, v) for col, v in zip(spec.columns, values, strict=True))


def _canonical_column(col: ColumnSpec, value: Any) -> Any:
    if (col.server_default or col.on_update) and _is_recent(value):
        return SERVER_DEFAULT
    return canonical(value)


def canonical_entity(spec: Spec, item: Any) -> tuple[Any, ...] | None:
    if item is None:
        return None
    return canonical_row(spec, (getattr(item, col.attr) for col in spec.columns))


class Twin:
    """The two databases of one test module, and the loop their connections live on."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        batch: asyncpg.Connection,
        single: asyncpg.Connection,
        urls: tuple[str, str] | None = None,
    ) -> None:
        self.loop = loop
        self.batch = batch
        self.single = single
        self.urls = urls
        """(batch, single) database URLs, for tests that open connections of their own."""

    def run(self, awaitable: Awaitable[T]) -> T:
        async def wrapped() -> T:
            return await awaitable

        return self.loop.run_until_complete(wrapped())

    async def execute(self, sql: str) -> None:
        """Run ``sql`` (no arguments, may be several statements) in both databases."""
        await self.batch.execute(sql)
        await self.single.execute(sql)

    async def reset(self, tables: Sequence[str]) -> None:
        """Empty ``tables`` (and what references them) and restart their identities."""
        if tables:
            names = ", ".join(quote(t) for t in tables)
            await self.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")

    async def empty(self, table: str) -> None:
        """Delete every row of one table (cheaper than TRUNCATE for the few rows of a test)."""
        await self.execute(f"DELETE FROM {quote(table)}")

    async def align_sequences(self, spec: Spec) -> None:
        """Set the identity sequences of ``spec`` to the same next value in both databases.

        A failed batch insert draws identity values for every row it got to, the row-by-row loop
        only up to the failing row, and neither gives them back: aligning after every step keeps
        generated keys equal whenever both sides insert the same rows.
        """
        for col in spec.columns:
            if not col.identity:
                continue
            args = (quote(spec.table), col.name)
            sequence = await self.batch.fetchval("SELECT pg_get_serial_sequence($1, $2)", *args)
            next_value = "CASE WHEN is_called THEN last_value + 1 ELSE last_value END"
            query = f"SELECT {next_value} FROM {sequence}"
            after = max(await self.batch.fetchval(query), await self.single.fetchval(query))
            await self.execute(f"SELECT setval('{sequence}', {int(after)}, false)")

    async def values(self, spec: Spec, positions: Sequence[int]) -> list[tuple[Any, ...]]:
        """The raw values of some columns of every row, in the batch database."""
        columns = ", ".join(quote(spec.columns[p].name) for p in positions)
        records = await self.batch.fetch(f"SELECT {columns} FROM {quote(spec.table)}")
        return [tuple(record.values()) for record in records]

    async def rows(self, conn: asyncpg.Connection, spec: Spec) -> list[tuple[Any, ...]]:
        """Every row of the table, ordered by primary key, in canonical form."""
        columns = ", ".join(quote(c.name) for c in spec.columns)
        order = ", ".join(quote(spec.columns[p].name) for p in spec.key_columns)
        records = await conn.fetch(f"SELECT {columns} FROM {quote(spec.table)} ORDER BY {order}")
        return [canonical_row(spec, record.values()) for record in records]

    async def differences(self, specs: Sequence[Spec]) -> list[str]:
        """Human-readable differences between the two databases' rows of ``specs``."""
        found = []
        for spec in specs:
            batch = await self.rows(self.batch, spec)
            single = await self.rows(self.single, spec)
            if batch != single:
                only_batch = [r for r in batch if r not in single]
                only_single = [r for r in single if r not in batch]
                found.append(
                    f"table {spec.table}: {len(batch)} rows after batch, {len(single)} after"
                    f" single\n  only after batch:  {only_batch}"
                    f"\n  only after single: {only_single}"
                )
        return found


@contextmanager
def open_twin(
    loop: asyncio.AbstractEventLoop, create: CreateDatabase, drop: DropDatabase
) -> Iterator[Twin]:
    """Two fresh databases made by ``create`` (on one server, or on a Citus cluster), connected
    on ``loop``; closed and dropped by ``drop`` on exit."""
    run = loop.run_until_complete
    urls: list[str] = []
    connections: list[asyncpg.Connection] = []
    try:
        for side in ("b", "s"):
            urls.append(run(create(side)))
        for url in urls:
            connections.append(run(asyncpg.connect(url)))
        yield Twin(loop, connections[0], connections[1], (urls[0], urls[1]))
    finally:
        for conn in connections:
            run(conn.close())
        for url in urls:
            run(drop(url))
