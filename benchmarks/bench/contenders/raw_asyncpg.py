"""Raw asyncpg: what a careful hand-written data layer does, without validation or history.

Peers on the plain table only. Each starts from the same entities as batchrepo and turns them
into what its call takes (tuples or one list per column, with ``operator.attrgetter``, about as
cheap as Python gets), so the difference to batchrepo is the library, not the input. The
statements are the plainest that do the job: no ``COALESCE`` of server defaults, no ordinality,
no skip of unchanged rows; ``RETURNING`` only where the name says so. Loads build the same
entities as batchrepo (the generated ``from_record``) in the order asked.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from ..registry import Job, Work, contender
from ..workload import Lane


def _cast(column: Any) -> str:
    # varchar(n)[] would truncate silently (field notes part 2): cast to the base type
    return "text" if column.pg_type.startswith("varchar") else str(column.pg_type)


def _names(lane: Lane) -> list[str]:
    return [f'"{c.name}"' for c in lane.sent_columns()]


def _all_names(lane: Lane) -> str:
    return ", ".join(f'"{c.name}"' for c in lane.spec.columns)


def _unnest(lane: Lane) -> str:
    arrays = ", ".join(f"${i}::{_cast(c)}[]" for i, c in enumerate(lane.sent_columns(), 1))
    return f"unnest({arrays}) AS u({', '.join(_names(lane))})"


def _insert_unnest(lane: Lane) -> str:
    return f'INSERT INTO "person" ({", ".join(_names(lane))}) SELECT * FROM {_unnest(lane)}'


def _tuples(lane: Lane, items: Any) -> list[tuple[Any, ...]]:
    row = attrgetter(*(c.attr for c in lane.sent_columns()))
    return [row(item) for item in items]


def _columns(lane: Lane, items: Any) -> list[list[Any]]:
    return [list(map(attrgetter(c.attr), items)) for c in lane.sent_columns()]


@contender("insert", "asyncpg executemany", family="asyncpg", note="one-row INSERT, pipelined")
def insert_executemany(lane: Lane, work: Work) -> Job:
    values = ", ".join(f"${i}::{_cast(c)}" for i, c in enumerate(lane.sent_columns(), 1))
    sql = f'INSERT INTO "person" ({", ".join(_names(lane))}) VALUES ({values})'
    return lambda: lane.conn.executemany(sql, _tuples(lane, work.items))


@contender("insert", "asyncpg INSERT .. unnest RETURNING", family="asyncpg")
def insert_unnest_returning(lane: Lane, work: Work) -> Job:
    sql = f"{_insert_unnest(lane)} RETURNING {_all_names(lane)}"
    return lambda: lane.conn.fetch(sql, *_columns(lane, work.items))


@contender("insert", "asyncpg INSERT .. unnest", family="asyncpg")
def insert_unnest(lane: Lane, work: Work) -> Job:
    sql = _insert_unnest(lane)
    return lambda: lane.conn.execute(sql, *_columns(lane, work.items))


@contender("insert", "asyncpg COPY", family="asyncpg", note="binary copy_records_to_table")
def insert_copy(lane: Lane, work: Work) -> Job:
    names = [c.name for c in lane.sent_columns()]
    return lambda: lane.conn.copy_records_to_table(
        "person", records=_tuples(lane, work.items), columns=names
    )


@contender("load", "asyncpg = ANY + from_record", family="asyncpg")
def load_any(lane: Lane, work: Work) -> Job:
    sql = f'SELECT {_all_names(lane)} FROM "person" WHERE "id" = ANY($1::uuid[])'
    from_record = lane.spec.from_record

    async def job() -> list[Any]:
        found = {e.id: e for e in map(from_record, await lane.conn.fetch(sql, work.keys))}
        return [found.get(key) for key in work.keys]

    return job


@contender("exists", "asyncpg = ANY", family="asyncpg")
def exists_any(lane: Lane, work: Work) -> Job:
    sql = 'SELECT "id" FROM "person" WHERE "id" = ANY($1::uuid[])'

    async def job() -> list[bool]:
        found = {record[0] for record in await lane.conn.fetch(sql, work.keys)}
        return [key in found for key in work.keys]

    return job


def _set_list(lane: Lane, source: str) -> str:
    return ", ".join(f"{name} = {source}.{name}" for name in _names(lane)[1:])


@contender("update", "asyncpg executemany", family="asyncpg", note="one-row UPDATE, pipelined")
def update_executemany(lane: Lane, work: Work) -> Job:
    columns = lane.sent_columns()
    sets = ", ".join(f'"{c.name}" = ${i}::{_cast(c)}' for i, c in enumerate(columns, 1) if i > 1)
    sql = f'UPDATE "person" SET {sets} WHERE "id" = $1::uuid'
    return lambda: lane.conn.executemany(sql, _tuples(lane, work.items))


@contender("update", "asyncpg UPDATE .. FROM unnest", family="asyncpg")
def update_unnest(lane: Lane, work: Work) -> Job:
    sql = (
        f'UPDATE "person" SET {_set_list(lane, "u")} FROM {_unnest(lane)} '
        'WHERE "person"."id" = u."id"'
    )
    return lambda: lane.conn.execute(sql, *_columns(lane, work.items))


@contender("update", "asyncpg UPDATE display_name .. FROM unnest", family="asyncpg")
def update_one_column_unnest(lane: Lane, work: Work) -> Job:
    sql = (
        'UPDATE "person" SET "display_name" = u."display_name" '
        'FROM unnest($1::uuid[], $2::text[]) AS u("id", "display_name") '
        'WHERE "person"."id" = u."id"'
    )

    async def job() -> str:
        keys = [item.id for item in work.items]
        return await lane.conn.execute(sql, keys, [item.display_name for item in work.items])

    return job


@contender("delete", "asyncpg DELETE .. = ANY", family="asyncpg")
def delete_any(lane: Lane, work: Work) -> Job:
    sql = 'DELETE FROM "person" WHERE "id" = ANY($1::uuid[])'
    return lambda: lane.conn.execute(sql, work.keys)


@contender("upsert", "asyncpg INSERT .. unnest ON CONFLICT", family="asyncpg")
def upsert_unnest(lane: Lane, work: Work) -> Job:
    sql = f'{_insert_unnest(lane)} ON CONFLICT ("id") DO UPDATE SET {_set_list(lane, "EXCLUDED")}'
    return lambda: lane.conn.execute(sql, *_columns(lane, work.items))
