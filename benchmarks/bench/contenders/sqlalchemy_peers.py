"""SQLAlchemy 2 on the asyncpg driver: the bar Python users already have (issue 9).

Peers on the plain table only, through one engine whose single pooled connection is made by
``asyncpg.connect`` on the lane's DSN (so it takes the same path as batchrepo's, proxy
included). The table is reflected from the database and mapped imperatively to a class, so the
mapping cannot drift from ``schema.yaml``. Each contender starts from the same entities as
batchrepo and builds the dictionaries SQLAlchemy's bulk APIs take (timed: that is what using them
costs), then commits:

* ORM bulk insert: ``session.execute(insert(Model), dicts)`` with ``render_nulls=True`` (see
  :func:`_orm_insert`), and with ``.returning(Model)``, which gives objects back as
  ``save_batch`` does;
* Core executemany: ``conn.execute(insert(table), dicts)``;
* ORM bulk update by primary key: ``session.execute(update(Model), dicts)``;
* loads and deletes by ``IN``, in lists of at most 30,000 keys (PostgreSQL takes at most 32,767
  bind parameters, and SQLAlchemy sends one per key), objects put back in the order asked;
* upsert: Core ``insert(...).on_conflict_do_update(...)`` with the dicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
from sqlalchemy import MetaData, Table, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import registry

from ..registry import Job, Work, contender
from ..workload import Lane

#: Keys per ``IN`` list: under PostgreSQL's 32,767 bind parameters per statement.
IN_LIST = 30_000


async def attach(lane: Lane) -> None:
    """Open the engine on ``lane`` and map the reflected table (once per run)."""
    dsn = lane.dsn

    async def connect() -> Any:
        return await asyncpg.connect(dsn)

    engine = create_async_engine(
        "postgresql+asyncpg://", async_creator=connect, pool_size=1, max_overflow=0
    )
    metadata = MetaData()
    async with engine.connect() as conn:
        table = await conn.run_sync(lambda sync: Table("person", metadata, autoload_with=sync))
    # A class of its own per run: a mapping is global to the class, and runs may follow each other
    model = type("PersonRow", (), {"__doc__": "A person row as SQLAlchemy's ORM maps it."})
    mapper = registry()
    mapper.map_imperatively(model, table)
    lane.peer["model"] = model
    lane.peer["engine"] = engine
    lane.peer["table"] = table
    lane.peer["mapper"] = mapper


async def detach(lane: Lane) -> None:
    engine: AsyncEngine | None = lane.peer.pop("engine", None)
    if engine is not None:
        await engine.dispose()
    mapper: registry | None = lane.peer.pop("mapper", None)
    if mapper is not None:
        mapper.dispose()


def _engine(lane: Lane) -> AsyncEngine:
    engine: AsyncEngine = lane.peer["engine"]
    return engine


def _model(lane: Lane) -> Any:
    return lane.peer["model"]


def _orm_insert(lane: Lane) -> Any:
    """The ORM's bulk INSERT, told to send NULLs: by default it leaves a None out of a row's
    parameters, so rows with NULLs in different columns split the batch into one statement per
    run of equal keys (here, per row). ``render_nulls`` is SQLAlchemy's documented remedy."""
    return insert(_model(lane)).execution_options(render_nulls=True)


def _dicts(lane: Lane, items: Sequence[Any]) -> list[dict[str, Any]]:
    pairs = [(c.name, c.attr) for c in lane.sent_columns()]
    return [{name: getattr(item, attr) for name, attr in pairs} for item in items]


def _chunks(keys: Sequence[Any]) -> list[Sequence[Any]]:
    return [keys[i : i + IN_LIST] for i in range(0, len(keys), IN_LIST)]


@contender("insert", "SQLAlchemy ORM bulk insert", family="SQLAlchemy")
def orm_insert(lane: Lane, work: Work) -> Job:
    async def job() -> None:
        async with AsyncSession(_engine(lane)) as session:
            await session.execute(_orm_insert(lane), _dicts(lane, work.items))
            await session.commit()

    return job


@contender("insert", "SQLAlchemy ORM bulk insert RETURNING", family="SQLAlchemy")
def orm_insert_returning(lane: Lane, work: Work) -> Job:
    async def job() -> list[Any]:
        async with AsyncSession(_engine(lane)) as session:
            result = await session.scalars(
                _orm_insert(lane).returning(_model(lane)), _dicts(lane, work.items)
            )
            rows = list(result.all())
            await session.commit()
            return rows

    return job


@contender("insert", "SQLAlchemy Core executemany", family="SQLAlchemy")
def core_insert(lane: Lane, work: Work) -> Job:
    async def job() -> None:
        async with _engine(lane).begin() as conn:
            await conn.execute(insert(lane.peer["table"]), _dicts(lane, work.items))

    return job


@contender("load", "SQLAlchemy ORM IN", family="SQLAlchemy")
def orm_load(lane: Lane, work: Work) -> Job:
    async def job() -> list[Any]:
        found: dict[Any, Any] = {}
        async with AsyncSession(_engine(lane)) as session:
            for chunk in _chunks(work.keys):
                query = select(_model(lane)).where(lane.peer["table"].c.id.in_(chunk))
                found.update((row.id, row) for row in await session.scalars(query))
        return [found.get(key) for key in work.keys]

    return job


@contender("exists", "SQLAlchemy Core IN", family="SQLAlchemy")
def core_exists(lane: Lane, work: Work) -> Job:
    table = lane.peer["table"]

    async def job() -> list[bool]:
        found: set[Any] = set()
        async with _engine(lane).connect() as conn:
            for chunk in _chunks(work.keys):
                found.update(await conn.scalars(select(table.c.id).where(table.c.id.in_(chunk))))
        return [key in found for key in work.keys]

    return job


@contender("update", "SQLAlchemy ORM bulk update", family="SQLAlchemy")
def orm_update(lane: Lane, work: Work) -> Job:
    async def job() -> None:
        async with AsyncSession(_engine(lane)) as session:
            await session.execute(update(_model(lane)), _dicts(lane, work.items))
            await session.commit()

    return job


@contender("delete", "SQLAlchemy Core DELETE .. IN", family="SQLAlchemy")
def core_delete(lane: Lane, work: Work) -> Job:
    table = lane.peer["table"]

    async def job() -> None:
        async with _engine(lane).begin() as conn:
            for chunk in _chunks(work.keys):
                await conn.execute(delete(table).where(table.c.id.in_(chunk)))

    return job


@contender("upsert", "SQLAlchemy Core ON CONFLICT executemany", family="SQLAlchemy")
def core_upsert(lane: Lane, work: Work) -> Job:
    table = lane.peer["table"]
    statement = pg_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={c.name: statement.excluded[c.name] for c in lane.sent_columns()[1:]},
    )

    async def job() -> None:
        async with _engine(lane).begin() as conn:
            await conn.execute(statement, _dicts(lane, work.items))

    return job
