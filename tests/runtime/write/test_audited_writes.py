"""The write path's wiring: reference checks before SQL, a refused cached parent, versions (stale
against missing, single row against batch), audit log rows outside a unit of work, the actor."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from batchrepo import errors
from batchrepo import operations as ops
from batchrepo.cache.key_cache import shared_cache
from batchrepo.session import Session, as_session
from tests.runtime.builders import person
from tests.runtime.conftest import CountingConnection
from tests.runtime.tables import NOTE, PERSON, Note


async def _audit_log_count(db: asyncpg.Pool) -> int:
    return int(await db.fetchval('SELECT count(*) FROM "audit_log"'))


async def _seed(db: asyncpg.Pool, *keys: int) -> list[Note]:
    return await ops.save_batch(
        as_session(db, actor="seed"), NOTE, [Note(id=k, title=f"note {k}") for k in keys]
    )


async def test_missing_parents_are_refused_before_the_write(counting: CountingConnection) -> None:
    session = Session(counting, actor="importer")
    orphan = Note(id=1, title="a", person_id=uuid.uuid4())
    for write in (ops.save_one, ops.update_one):
        with pytest.raises(errors.MissingParentError) as single:
            await write(session, NOTE, orphan)
        assert single.value.rows == [0]
    with pytest.raises(errors.MissingParentError) as batch:
        await ops.save_batch(session, NOTE, [orphan, Note(id=2, title="b")])
    assert (batch.value.rows, batch.value.constraint) == ([0], "note_person_fkey")
    assert batch.value.report is not None
    assert [(p.row, p.code) for p in batch.value.report.problems] == [(0, "missing_parent")]
    # one probe per write, never the write itself nor an audit log row
    parent_probe = NOTE.foreign_keys[0].probe_sql
    assert set(counting.statements) == {parent_probe}
    # refused at row 1: rows before it are tried as a loop would write them, then rolled back
    with pytest.raises(errors.MissingParentError) as later:
        await ops.save_batch(session, NOTE, [Note(id=2, title="b"), orphan])
    assert later.value.rows == [1]
    assert await ops.exists_one(counting, NOTE, 2) is False
    assert await counting.fetchval('SELECT count(*) FROM "audit_log"') == 0
    report = await ops.validate_batch(session, NOTE, [Note(id=2, title="b"), orphan])
    assert [(p.row, p.field, p.code) for p in report.problems] == [
        (1, "person_id", "missing_parent")
    ]


async def test_a_cached_parent_deleted_since_is_refused_and_forgotten(db: asyncpg.Pool) -> None:
    cache = shared_cache(db)
    owner = await ops.save_one(db, PERSON, person())
    assert cache.lookup("person", [owner.id]) == [True]
    await db.execute('DELETE FROM "person" WHERE "id" = $1', owner.id)  # behind the cache's back
    session = as_session(db, actor="importer")
    item = Note(id=1, title="a", person_id=owner.id)
    with pytest.raises(errors.MissingParentError) as single:
        await ops.save_one(session, NOTE, item)
    assert (single.value.rows, single.value.sqlstate) == ([0], "23503")
    assert single.value.__cause__ is not None  # the database refused it
    # the refusal evicted the parent: the batch is refused before SQL
    assert cache.lookup("person", [owner.id]) == [None]
    with pytest.raises(errors.MissingParentError) as batch:
        await ops.save_batch(session, NOTE, [item])
    assert (batch.value.rows, batch.value.sqlstate, batch.value.__cause__) == ([0], "23503", None)
    # and the same refusal reaches a batch the same way
    await ops.save_one(db, PERSON, person(id=owner.id))
    await db.execute('DELETE FROM "person" WHERE "id" = $1', owner.id)
    with pytest.raises(errors.MissingParentError) as refused:
        await ops.save_batch(session, NOTE, [Note(id=2, title="b"), item])
    assert (refused.value.rows, refused.value.keys) == ([1], [1])
    assert cache.lookup("person", [owner.id]) == [None]
    assert await _audit_log_count(db) == 0


async def test_writes_record_versions_and_history_outside_a_unit_of_work(db: asyncpg.Pool) -> None:
    session = as_session(db, actor="importer")
    saved = await ops.save_batch(session, NOTE, [Note(id=1, title="a"), Note(id=2, title="b")])
    assert [n.version for n in saved] == [1, 1]
    changed = await ops.update_batch(session, NOTE, [Note(id=1, title="a2", version=1), saved[1]])
    assert [n.version for n in changed] == [2, 1]  # an unchanged row keeps its version
    assert shared_cache(db).version("note", 1) == 2
    assert await _audit_log_count(db) == 2  # one row per write outside a unit of work
    history = await db.fetch(
        'SELECT "id", "version", "operation"::text FROM "note_history" ORDER BY "history_id"'
    )
    assert [tuple(row) for row in history] == [(1, 1, "insert"), (2, 1, "insert"), (1, 2, "update")]


async def test_a_failed_write_leaves_no_audit_log_row(db: asyncpg.Pool) -> None:
    await _seed(db, 1)
    before = await _audit_log_count(db)
    session = as_session(db, actor="importer")
    shared_cache(db).clear()  # so the insert itself meets the existing key
    with pytest.raises(errors.UniqueViolationError):
        await ops.save_one(session, NOTE, Note(id=1, title="again"))
    with pytest.raises(errors.UniqueViolationError):
        await ops.save_batch(session, NOTE, [Note(id=1, title="again")])
    with pytest.raises(errors.MissingRowsError):
        await ops.update_one(session, NOTE, Note(id=9, title="nowhere"))
    assert await _audit_log_count(db) == before


async def test_stale_and_missing_rows_fail_alike_on_both_paths(db: asyncpg.Pool) -> None:
    await _seed(db, 1, 2, 3)
    session = as_session(db, actor="importer")
    await ops.update_one(session, NOTE, Note(id=2, title="moved on", version=1))  # now version 2
    stale = Note(id=2, title="x", version=1)
    missing = Note(id=9, title="x", version=1)
    fine = Note(id=1, title="x", version=1)

    with pytest.raises(errors.StaleVersionError) as single:
        await ops.update_one(session, NOTE, stale)
    with pytest.raises(errors.StaleVersionError) as batch:
        await ops.update_batch(session, NOTE, [fine, stale, missing])
    assert (single.value.rows, single.value.keys, single.value.expected) == ([0], [2], [1])
    assert (batch.value.rows, batch.value.keys) == ([1], [2])
    assert (batch.value.expected, batch.value.found) == ([1], [2])
    with pytest.raises(errors.MissingRowsError) as missing_first:
        await ops.update_batch(session, NOTE, [fine, missing, stale])
    assert missing_first.value.rows == [1]
    # nothing was written: row 1 still at version 1
    assert (await ops.load_one(db, NOTE, 1)) == Note(id=1, title="note 1", version=1)


async def test_a_stale_row_before_a_refused_row_decides_the_error(db: asyncpg.Pool) -> None:
    await _seed(db, 1, 2)
    session = as_session(db, actor="importer")
    await ops.update_one(session, NOTE, Note(id=1, title="moved on"))  # now version 2
    owner = await ops.save_one(db, PERSON, person())
    await db.execute('DELETE FROM "person" WHERE "id" = $1', owner.id)  # the cache still has it
    stale = Note(id=1, title="x", version=1)
    orphan = Note(id=2, title="y", person_id=owner.id, version=1)
    # the statement fails on row 1 (23503); the loop would have stopped at stale row 0
    with pytest.raises(errors.StaleVersionError) as caught:
        await ops.update_batch(session, NOTE, [stale, orphan])
    assert (caught.value.rows, caught.value.found) == ([0], [2])
    with pytest.raises(errors.MissingParentError) as refused_first:
        await ops.update_batch(session, NOTE, [orphan, stale])
    assert refused_first.value.rows == [0]


async def test_versioned_deletes(db: asyncpg.Pool) -> None:
    await _seed(db, 1, 2, 3)
    session = as_session(db, actor="importer")
    with pytest.raises(errors.StaleVersionError) as single:
        await ops.delete_one(session, NOTE, 1, version=5)
    assert (single.value.rows, single.value.expected, single.value.found) == ([0], [5], [1])
    with pytest.raises(errors.StaleVersionError) as batch:
        await ops.delete_batch(session, NOTE, [1, 2, 3], versions=[1, 5, None])
    assert (batch.value.rows, batch.value.keys) == ([1], [2])
    assert await ops.exists_batch(db, NOTE, [1, 2, 3]) == [True, True, True]  # nothing deleted
    assert await ops.delete_batch(session, NOTE, [1, 2, 9], versions=[1, None, 4]) == 2
    assert await ops.delete_one(session, NOTE, 9, version=1) is False  # missing: not an error
    assert await ops.delete_one(session, NOTE, 3) is True
    with pytest.raises(TypeError, match="not audited"):
        await ops.delete_one(db, PERSON, uuid.uuid4(), version=1)
    with pytest.raises(TypeError, match="not audited"):
        await ops.delete_batch(db, PERSON, [uuid.uuid4()], versions=[1])


async def test_audited_writes_without_an_actor_send_nothing(counting: CountingConnection) -> None:
    with pytest.raises(TypeError, match="needs an actor"):
        await ops.save_one(counting, NOTE, Note(id=1, title="a"))
    with pytest.raises(TypeError, match="needs an actor"):
        await ops.save_batch(counting, NOTE, [Note(id=1, title="a")])
    with pytest.raises(TypeError, match="needs an actor"):
        await ops.update_batch_chunked(counting, NOTE, [Note(id=1, title="a")])
    with pytest.raises(TypeError, match="needs an actor"):
        await ops.delete_batch(counting, NOTE, [1])
    with pytest.raises(TypeError, match="needs an actor"):
        await ops.delete_one(counting, NOTE, 1)
    assert counting.statements == []


async def test_chunked_atomic_writes_teach_the_cache_only_when_all_succeed(
    db: asyncpg.Pool,
) -> None:
    cache = shared_cache(db)
    session = as_session(db, actor="importer")
    await _seed(db, 5)
    cache.clear()  # so the clash surfaces in the third chunk, after two written ones
    items = [Note(id=k, title="x") for k in range(1, 6)]
    with pytest.raises(errors.UniqueViolationError):
        await ops.save_batch_chunked(session, NOTE, items, chunk_size=2)
    assert cache.lookup("note", [1, 2, 3, 4]) == [None] * 4
    result = await ops.save_batch_chunked(session, NOTE, items[:4], chunk_size=2)
    assert result.ok and cache.lookup("note", [1, 2, 3, 4]) == [True] * 4
