"""A unit of work's ``audit_log`` row exists only if one of its audited writes committed: no row
without history after a failed audited write the caller caught, a StaleVersionError, an update
that changed nothing, a delete that found nothing, or an atomic chunked write that failed
midway; and a log row created by a write inside a savepoint that rolls back is created again."""

from __future__ import annotations

from types import ModuleType

import asyncpg
import pytest

from batchrepo import errors
from batchrepo import operations as ops
from batchrepo.unit_of_work import UnitOfWork
from tests.runtime.builders import person
from tests.runtime.tables import NOTE, PERSON, Note

_ORPHANS = """\
SELECT count(*) FROM "audit_log" AS l
WHERE NOT EXISTS (SELECT 1 FROM "note_history" AS h WHERE h."audit_log_id" = l."id")"""


async def _logs(db: asyncpg.Pool) -> list[str]:
    return [row[0] for row in await db.fetch('SELECT "actor" FROM "audit_log" ORDER BY "id"')]


async def _no_orphans(db: asyncpg.Pool) -> None:
    assert await db.fetchval(_ORPHANS) == 0


async def _seeded(db: asyncpg.Pool) -> Note:
    async with UnitOfWork(db, actor="seed") as uow:
        return await ops.save_one(uow.session, NOTE, Note(id=1, title="first"))


async def test_a_failed_audited_write_that_was_caught_leaves_no_log_row(db: asyncpg.Pool) -> None:
    await _seeded(db)
    async with UnitOfWork(db, actor="importer") as uow:
        with pytest.raises(errors.UniqueViolationError):
            await ops.save_batch(uow.session, NOTE, [Note(id=2, title="a"), Note(id=1, title="b")])
        with pytest.raises(errors.MissingParentError):
            await ops.save_one(uow.session, NOTE, Note(id=3, title="c", person_id=person().id))
        assert uow.audit_log_id is None
        await ops.save_one(uow.session, PERSON, person())  # not audited: no log row either
    assert await _logs(db) == ["seed"]
    await _no_orphans(db)


async def test_a_stale_version_leaves_no_log_row(db: asyncpg.Pool) -> None:
    note = await _seeded(db)
    async with UnitOfWork(db, actor="importer") as uow:
        with pytest.raises(errors.StaleVersionError):
            await ops.update_one(uow.session, NOTE, Note(id=1, title="x", version=7))
        with pytest.raises(errors.StaleVersionError):
            await ops.delete_batch(uow.session, NOTE, [note.id], versions=[9])
    assert await _logs(db) == ["seed"]


async def test_writes_that_changed_nothing_leave_no_log_row(db: asyncpg.Pool) -> None:
    note = await _seeded(db)
    async with UnitOfWork(db, actor="importer") as uow:
        unchanged = await ops.update_batch(uow.session, NOTE, [note])
        assert unchanged[0].version == 1  # returned as stored, nothing written
        assert await ops.update_one(uow.session, NOTE, note) == note
        assert await ops.delete_batch(uow.session, NOTE, [404]) == 0
        assert await ops.delete_one(uow.session, NOTE, 405) is False
        assert uow.audit_log_id is None
    assert await _logs(db) == ["seed"]


async def test_the_first_write_that_writes_history_keeps_the_row_and_the_next_ones_share_it(
    db: asyncpg.Pool,
) -> None:
    note = await _seeded(db)
    async with UnitOfWork(db, actor="importer") as uow:
        await ops.update_one(uow.session, NOTE, note)  # unchanged: no row
        note.title = "changed"
        changed = await ops.update_one(uow.session, NOTE, note)
        log_id = uow.audit_log_id
        assert log_id is not None
        await ops.update_one(uow.session, NOTE, changed)  # unchanged again: the row stays
        await ops.save_one(uow.session, NOTE, Note(id=2, title="second"))
        assert uow.audit_log_id == log_id
    assert await _logs(db) == ["seed", "importer"]
    history = await db.fetch(
        'SELECT "id", "version", "audit_log_id" FROM "note_history" WHERE "audit_log_id" = $1'
        ' ORDER BY "history_id"',
        log_id,
    )
    assert [tuple(row) for row in history] == [(1, 2, log_id), (2, 1, log_id)]
    await _no_orphans(db)


async def test_a_failed_atomic_chunked_write_takes_its_log_row_with_it(db: asyncpg.Pool) -> None:
    await _seeded(db)
    async with UnitOfWork(db, actor="importer") as uow:
        rows = [Note(id=n, title=f"n{n}") for n in (10, 11, 12, 1)]  # the last chunk clashes
        with pytest.raises(errors.UniqueViolationError):
            await ops.save_batch_chunked(uow.session, NOTE, iter(rows), chunk_size=2)
        assert uow.audit_log_id is None  # inserted by the first chunk, rolled back with all
        await ops.save_one(uow.session, NOTE, Note(id=20, title="kept"))  # history's key holds
    assert await _logs(db) == ["seed", "importer"]
    assert await db.fetchval('SELECT count(*) FROM "note"') == 2
    await _no_orphans(db)


async def test_a_log_row_from_a_rolled_back_savepoint_is_made_again(db: asyncpg.Pool) -> None:
    async with UnitOfWork(db, actor="importer") as uow:
        with pytest.raises(LookupError):
            async with uow.savepoint():
                await ops.save_one(uow.session, NOTE, Note(id=1, title="gone"))
                raise LookupError
        async with uow.savepoint():
            await ops.save_one(uow.session, NOTE, Note(id=2, title="kept"))
        log_id = uow.audit_log_id
        with pytest.raises(LookupError):
            async with uow.savepoint():  # a sibling rolled back: the released row stays
                await ops.save_one(uow.session, NOTE, Note(id=3, title="gone too"))
                raise LookupError
        assert uow.audit_log_id == log_id
        await ops.save_one(uow.session, NOTE, Note(id=4, title="kept too"))
    assert await _logs(db) == ["importer"]
    await _no_orphans(db)


async def test_skipped_inserts_and_unchanged_upserts_leave_no_log_row(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    """The golden ``audited`` package: ``save_if_new`` of a taken key and an upsert to the stored
    values write no history, so the unit that ran only them has no log row."""
    async with audited.UnitOfWork(audited_pool, actor="seed") as uow:
        stored = await uow.customer.save(audited.Customer(name="stored"))
    before = await audited_pool.fetchval('SELECT count(*) FROM "audit_log"')
    async with audited.UnitOfWork(audited_pool, actor="importer") as uow:
        assert await uow.customer.save_if_new(stored) is None
        await uow.customer.upsert(stored)
        assert uow.audit_log_id is None
    assert await audited_pool.fetchval('SELECT count(*) FROM "audit_log"') == before
