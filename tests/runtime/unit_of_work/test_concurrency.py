"""Two units of work on the same rows at the same time: optimistic versions, no lost update, no
duplicate history.

The interleaving is forced, not hoped for: the first unit writes and keeps its transaction open;
the second starts its statement, which blocks on the first one's row locks (the test waits until
PostgreSQL reports it waiting for a lock); then the first commits. Under READ COMMITTED the
second statement re-checks its WHERE clause against the rows as the first one left them, so a
version check made against the version read before now fails: the rows are stale (present with
another version) or gone.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from batchrepo import errors
from batchrepo import operations as ops
from batchrepo.unit_of_work import UnitOfWork
from tests.runtime.tables import NOTE, Note

KEYS = [11, 12, 13]
#: How long a statement may take to start waiting for the other unit's row locks.
LOCK_WAIT_TIMEOUT = 10.0


async def _seed(db: asyncpg.Pool) -> list[Note]:
    async with UnitOfWork(db, actor="seed") as uow:
        return await ops.save_batch(
            uow.session, NOTE, [Note(id=k, title=f"note {k}") for k in KEYS]
        )


async def _waiting_for_locks(db: asyncpg.Pool, count: int = 1) -> None:
    """Return once ``count`` backends of this database wait for a lock."""
    query = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with asyncio.timeout(LOCK_WAIT_TIMEOUT):
        while await db.fetchval(query) < count:  # noqa: ASYNC110 - polls the server, no event
            await asyncio.sleep(0.01)


Write = Callable[[UnitOfWork], Awaitable[Any]]


async def _race(db: asyncpg.Pool, first: Write, second: Write) -> tuple[Any, BaseException | Any]:
    """Run ``first`` in one unit of work and, while it holds its row locks, ``second`` in
    another; ``first`` commits once ``second`` waits for its locks. Returns what ``first``
    returned and what ``second`` returned or raised."""
    first_wrote = asyncio.Event()
    second_waits = asyncio.Event()

    async def run_first() -> Any:
        async with UnitOfWork(db, actor="first") as uow:
            result = await first(uow)
            first_wrote.set()
            await second_waits.wait()
        return result

    async def run_second() -> Any:
        await first_wrote.wait()
        try:
            async with UnitOfWork(db, actor="second") as uow:
                return await second(uow)
        except errors.BatchRepoError as exc:
            return exc

    async def release_first() -> None:
        await first_wrote.wait()
        await _waiting_for_locks(db)
        second_waits.set()

    first_result, second_result, _ = await asyncio.gather(
        run_first(), run_second(), release_first()
    )
    return first_result, second_result


async def _rows(db: asyncpg.Pool) -> list[tuple[int, str, int]]:
    records = await db.fetch('SELECT id, title, version FROM "note" ORDER BY id')
    return [(r["id"], r["title"], r["version"]) for r in records]


async def _history(db: asyncpg.Pool) -> list[tuple[int, int, str, str, str]]:
    """(key, version, operation, actor, title) of every history row."""
    records = await db.fetch(
        "SELECT h.id, h.version, h.operation::text AS operation, l.actor, h.title"
        ' FROM "note_history" AS h JOIN "audit_log" AS l ON l.id = h.audit_log_id'
        " ORDER BY h.id, h.version, h.history_id"
    )
    return [(r["id"], r["version"], r["operation"], r["actor"], r["title"]) for r in records]


def _retitled(rows: list[Note], title: str) -> list[Note]:
    return [dataclasses.replace(row, title=title) for row in rows]


async def test_two_updates_with_versions_read_before_one_wins_the_other_is_stale(
    db: asyncpg.Pool,
) -> None:
    read = await _seed(db)  # both units read version 1
    first, second = await _race(
        db,
        lambda uow: ops.update_batch(uow.session, NOTE, _retitled(read, "first")),
        lambda uow: ops.update_batch(uow.session, NOTE, _retitled(read[::-1], "second")),
    )
    assert [(n.id, n.title, n.version) for n in first] == [(k, "first", 2) for k in KEYS]
    assert isinstance(second, errors.StaleVersionError), second
    assert (second.table, sorted(second.keys)) == ("note", KEYS)
    assert second.rows == [0, 1, 2]  # every row of the second batch, as the caller sent them
    assert second.keys == KEYS[::-1]
    assert (second.expected, second.found) == ([1, 1, 1], [2, 2, 2])
    assert "1->2" in str(second)
    # no lost update: the first unit's titles stay; one history row per committed version
    assert await _rows(db) == [(k, "first", 2) for k in KEYS]
    assert await _history(db) == [
        row
        for k in KEYS
        for row in ((k, 1, "insert", "seed", f"note {k}"), (k, 2, "update", "first", "first"))
    ]


async def test_the_stale_unit_can_reload_and_retry(db: asyncpg.Pool) -> None:
    read = await _seed(db)
    await _race(
        db,
        lambda uow: ops.update_batch(uow.session, NOTE, _retitled(read[:2], "first")),
        lambda uow: ops.update_batch(uow.session, NOTE, _retitled(read, "second")),
    )
    async with UnitOfWork(db, actor="second") as uow:
        fresh = await ops.load_batch(uow.session, NOTE, KEYS)
        assert [n.version for n in fresh if n is not None] == [2, 2, 1]
        current = [n for n in fresh if n is not None]
        await ops.update_batch(uow.session, NOTE, _retitled(current, "second"))
    assert await _rows(db) == [(11, "second", 3), (12, "second", 3), (13, "second", 2)]
    versions = [(key, version) for key, version, *_rest in await _history(db)]
    assert versions == [(11, 1), (11, 2), (11, 3), (12, 1), (12, 2), (12, 3), (13, 1), (13, 2)]


async def test_updates_without_versions_both_apply_each_to_the_rows_as_committed(
    db: asyncpg.Pool,
) -> None:
    """No version check (None): the second update waits, then applies on top of the first, and
    numbers its versions from the committed rows, never reusing the first one's."""
    read = [dataclasses.replace(n, version=None) for n in await _seed(db)]
    first, second = await _race(
        db,
        lambda uow: ops.update_batch(uow.session, NOTE, _retitled(read, "first")),
        lambda uow: ops.update_batch(uow.session, NOTE, _retitled(read, "second")),
    )
    assert [n.version for n in first] == [2, 2, 2]
    assert sorted((n.id, n.version) for n in second) == [(k, 3) for k in KEYS]
    assert await _rows(db) == [(k, "second", 3) for k in KEYS]
    history = await _history(db)
    assert [(k, v, op, actor) for k, v, op, actor, _title in history] == [
        row
        for k in KEYS
        for row in ((k, 1, "insert", "seed"), (k, 2, "update", "first"), (k, 3, "update", "second"))
    ]


async def test_two_deletes_with_versions_delete_once_and_record_one_delete(
    db: asyncpg.Pool,
) -> None:
    read = await _seed(db)
    versions = [n.version for n in read]
    first, second = await _race(
        db,
        lambda uow: ops.delete_batch(uow.session, NOTE, KEYS, versions=versions),
        lambda uow: ops.delete_batch(uow.session, NOTE, KEYS, versions=versions),
    )
    # the rows the second unit meant to delete are gone: missing rows are not an error
    assert (first, second) == (3, 0)
    assert await _rows(db) == []
    deletes = [(k, v, actor) for k, v, op, actor, _title in await _history(db) if op == "delete"]
    assert deletes == [(k, 2, "first") for k in KEYS]


async def test_a_delete_with_the_version_read_before_an_update_is_stale(
    db: asyncpg.Pool,
) -> None:
    read = await _seed(db)
    first, second = await _race(
        db,
        lambda uow: ops.update_batch(uow.session, NOTE, _retitled(read[1:], "first")),
        lambda uow: ops.delete_batch(uow.session, NOTE, KEYS, versions=[1, 1, 1]),
    )
    assert [n.version for n in first] == [2, 2]
    assert isinstance(second, errors.StaleVersionError), second
    assert (second.keys, second.rows) == ([12, 13], [1, 2])
    assert (second.expected, second.found) == ([1, 1], [2, 2])
    # nothing deleted: the whole batch, row 11 (still at version 1) included, stays
    assert await _rows(db) == [(11, "note 11", 1), (12, "first", 2), (13, "first", 2)]
    assert [op for _k, _v, op, _a, _t in await _history(db)].count("delete") == 0


async def test_an_update_with_the_version_read_before_a_delete_finds_the_rows_missing(
    db: asyncpg.Pool,
) -> None:
    read = await _seed(db)
    _first, second = await _race(
        db,
        lambda uow: ops.delete_batch(uow.session, NOTE, KEYS[:1], versions=[1]),
        lambda uow: ops.update_batch(uow.session, NOTE, _retitled(read, "second")),
    )
    assert isinstance(second, errors.MissingRowsError), second
    assert (second.keys, second.rows) == ([11], [0])
    assert await _rows(db) == [(12, "note 12", 1), (13, "note 13", 1)]
    operations = [(k, op) for k, _v, op, _a, _t in await _history(db)]
    assert operations == [(11, "insert"), (11, "delete"), (12, "insert"), (13, "insert")]


@pytest.mark.parametrize("version", [1, None], ids=["versioned", "unversioned"])
async def test_single_row_updates_race_like_batches(db: asyncpg.Pool, version: int | None) -> None:
    read = (await _seed(db))[0]
    sent = dataclasses.replace(read, version=version)
    first, second = await _race(
        db,
        lambda uow: ops.update_one(uow.session, NOTE, dataclasses.replace(sent, title="first")),
        lambda uow: ops.update_one(uow.session, NOTE, dataclasses.replace(sent, title="second")),
    )
    assert first.version == 2
    if version is None:
        assert second.version == 3
    else:
        assert isinstance(second, errors.StaleVersionError), second
        assert (second.keys, second.expected, second.found) == ([11], [1], [2])
    history = [(k, v) for k, v, *_rest in await _history(db) if k == 11]
    assert history == [(11, 1), (11, 2)] + ([(11, 3)] if version is None else [])
