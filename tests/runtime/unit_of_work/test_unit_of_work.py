"""UnitOfWork on real PostgreSQL: commit, every kind of rollback, savepoints, after-commit
callbacks, the cache layer reaching the global cache only after COMMIT, the lazy audit log row."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from batchrepo import errors
from batchrepo import operations as ops
from batchrepo.cache.key_cache import KeyCache, shared_cache
from batchrepo.unit_of_work import UnitOfWork
from tests.runtime.builders import people, person
from tests.runtime.tables import NOTE, PERSON, Note


async def _people_count(db: asyncpg.Pool) -> int:
    return int(await db.fetchval('SELECT count(*) FROM "person"'))


async def _audit_logs(db: asyncpg.Pool) -> list[tuple[int, str]]:
    rows = await db.fetch('SELECT "id", "actor" FROM "audit_log" ORDER BY "id"')
    return [(row["id"], row["actor"]) for row in rows]


def _known(cache: KeyCache, table: str, key: object) -> bool | None:
    return cache.lookup(table, [key])[0]


async def test_leaving_normally_commits_and_the_cache_learns_only_then(db: asyncpg.Pool) -> None:
    cache = shared_cache(db)
    async with UnitOfWork(db, actor="importer") as uow:
        saved = await ops.save_batch(uow.session, PERSON, people(3))
        one = await ops.save_one(uow.session, PERSON, person())
        # the unit's layer knows its rows; the global cache must not before COMMIT
        assert uow.cache_layer.lookup("person", [one.id]) == [True]
        assert _known(cache, "person", one.id) is None
        assert await _people_count(db) == 0  # other sessions see nothing yet
    assert await _people_count(db) == 4
    assert all(_known(cache, "person", p.id) for p in [*saved, one])


async def test_an_exception_rolls_back_and_propagates_unmasked(db: asyncpg.Pool) -> None:
    cache = shared_cache(db)
    failure = ValueError("the caller's own mistake")
    with pytest.raises(ValueError) as caught:
        async with UnitOfWork(db, actor="importer") as uow:
            saved = await ops.save_batch(uow.session, PERSON, people(2))
            raise failure
    assert caught.value is failure
    assert not getattr(caught.value, "__notes__", [])  # the rollback went fine
    assert await _people_count(db) == 0
    assert all(_known(cache, "person", p.id) is None for p in saved)


async def test_a_failed_operation_keeps_the_unit_usable(db: asyncpg.Pool) -> None:
    async with UnitOfWork(db, actor="importer") as uow:
        first = await ops.save_one(uow.session, PERSON, person())
        with pytest.raises(errors.UniqueViolationError):
            await ops.save_one(uow.session, PERSON, person(id=first.id))  # its savepoint rolls back
        with pytest.raises(errors.UniqueViolationError):
            await ops.save_batch(uow.session, PERSON, [person(id=first.id)])
        await ops.save_one(uow.session, PERSON, person())
    assert await _people_count(db) == 2


async def test_cancellation_rolls_back_and_stays_a_cancellation(db: asyncpg.Pool) -> None:
    written = asyncio.Event()

    async def work() -> None:
        async with UnitOfWork(db, actor="importer") as uow:
            await ops.save_batch(uow.session, PERSON, people(2))
            written.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(work())
    await written.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _people_count(db) == 0
    assert await db.fetchval("SELECT 1") == 1  # the connection went back to the pool usable


async def test_a_lost_connection_rolls_back_and_keeps_the_callers_exception(
    db: asyncpg.Pool,
) -> None:
    failure = RuntimeError("noticed by the caller")
    ran: list[str] = []
    with pytest.raises(RuntimeError) as caught:
        async with UnitOfWork(db, actor="importer") as uow:
            uow.after_commit(lambda: ran.append("after commit"))
            await ops.save_batch(uow.session, PERSON, people(2))
            pid = await uow.connection.fetchval("SELECT pg_backend_pid()")
            assert await db.fetchval("SELECT pg_terminate_backend($1)", pid)
            raise failure
    assert caught.value is failure
    assert any("rolling back" in note for note in caught.value.__notes__)
    assert ran == []
    assert await _people_count(db) == 0
    assert await db.fetchval("SELECT 1") == 1  # the pool replaced the dead connection


async def test_a_statement_on_a_lost_connection_raises_its_own_error(db: asyncpg.Pool) -> None:
    raised: list[BaseException] = []
    with pytest.raises(Exception) as caught:  # whatever asyncpg raises for a dead connection
        async with UnitOfWork(db, actor="importer") as uow:
            pid = await uow.connection.fetchval("SELECT pg_backend_pid()")
            await db.fetchval("SELECT pg_terminate_backend($1)", pid)
            try:
                await uow.connection.fetchval("SELECT 1")
            except Exception as exc:
                raised.append(exc)
                raise
    assert raised == [caught.value]  # not replaced by the failing rollback
    assert any("rolling back" in note for note in caught.value.__notes__)
    assert await _people_count(db) == 0


async def test_savepoints_nest_and_roll_back_their_part_only(db: asyncpg.Pool) -> None:
    cache = shared_cache(db)
    async with UnitOfWork(db, actor="importer") as uow:
        kept = await ops.save_one(uow.session, PERSON, person())
        with pytest.raises(LookupError):
            async with uow.savepoint():
                dropped = await ops.save_one(uow.session, PERSON, person())
                async with uow.savepoint():
                    deeper = await ops.save_one(uow.session, PERSON, person())
                assert uow.cache_layer.lookup("person", [deeper.id]) == [True]
                raise LookupError("undo this part")
        # the savepoint's layer went with it; what came before stays
        assert uow.cache_layer.lookup("person", [dropped.id, deeper.id]) == [None, None]
        assert uow.cache_layer.lookup("person", [kept.id]) == [True]
        async with uow.savepoint():
            released = await ops.save_one(uow.session, PERSON, person())
        assert uow.cache_layer.lookup("person", [released.id]) == [True]
    rows = await ops.exists_batch(db, PERSON, [kept.id, dropped.id, deeper.id, released.id])
    assert rows == [True, False, False, True]
    assert _known(cache, "person", released.id) and _known(cache, "person", dropped.id) is None


async def test_after_commit_runs_after_commit_only(db: asyncpg.Pool) -> None:
    seen: list[int] = []

    async def count_people() -> None:
        seen.append(await _people_count(db))  # another connection: sees committed rows only

    async with UnitOfWork(db, actor="importer") as uow:
        uow.after_commit(count_people)
        uow.after_commit(lambda: seen.append(-1))
        await ops.save_batch(uow.session, PERSON, people(2))
    assert seen == [2, -1]

    with pytest.raises(KeyError):
        async with UnitOfWork(db, actor="importer") as uow:
            uow.after_commit(count_people)
            raise KeyError("rolled back")
    assert seen == [2, -1]


async def test_every_after_commit_callback_runs_and_failures_come_together(
    db: asyncpg.Pool,
) -> None:
    ran: list[str] = []

    def broken() -> None:
        raise ValueError("first")

    async def also_broken() -> None:
        raise TypeError("second")

    with pytest.raises(ExceptionGroup) as caught:
        async with UnitOfWork(db, actor="importer") as uow:
            uow.after_commit(broken)
            uow.after_commit(lambda: ran.append("still ran"))
            uow.after_commit(also_broken)
            await ops.save_one(uow.session, PERSON, person())
    assert [type(e) for e in caught.value.exceptions] == [ValueError, TypeError]
    assert ran == ["still ran"]
    assert await _people_count(db) == 1  # committed before the callbacks


async def test_a_failing_commit_raises_and_teaches_the_cache_nothing(db: asyncpg.Pool) -> None:
    await db.execute(
        'CREATE TABLE IF NOT EXISTS "deferred_child" ("id" int PRIMARY KEY, "parent" uuid '
        'REFERENCES "person" ("id") DEFERRABLE INITIALLY DEFERRED)'
    )
    cache = shared_cache(db)
    ran: list[str] = []
    with pytest.raises(errors.ForeignKeyViolationError) as caught:
        async with UnitOfWork(db, actor="importer") as uow:
            uow.after_commit(lambda: ran.append("after commit"))
            saved = await ops.save_one(uow.session, PERSON, person())
            # checked at COMMIT only: the commit itself fails
            await uow.connection.execute(
                'INSERT INTO "deferred_child" VALUES (1, gen_random_uuid())'
            )
    assert isinstance(caught.value.__cause__, asyncpg.ForeignKeyViolationError)
    assert ran == []
    assert _known(cache, "person", saved.id) is None
    assert await _people_count(db) == 0


async def test_a_transaction_aborted_by_a_caught_error_is_not_reported_as_committed(
    db: asyncpg.Pool,
) -> None:
    # PostgreSQL answers COMMIT in an aborted transaction with ROLLBACK and no error, and
    # asyncpg's Transaction.commit() returns normally: without reading COMMIT's answer the unit
    # would report success, teach the cache keys of rows that are gone and run its callbacks.
    cache = shared_cache(db)
    ran: list[str] = []
    with pytest.raises(errors.TransactionAbortedError, match="ROLLBACK"):
        async with UnitOfWork(db, actor="importer") as uow:
            uow.after_commit(lambda: ran.append("after commit"))
            saved = await ops.save_one(uow.session, PERSON, person())
            with pytest.raises(asyncpg.DivisionByZeroError):
                await uow.connection.execute("SELECT 1 / 0")  # the caller swallows it
    assert ran == []
    assert _known(cache, "person", saved.id) is None
    assert await _people_count(db) == 0
    async with UnitOfWork(db, actor="importer") as uow:  # the pool's connection is clean again
        await ops.save_one(uow.session, PERSON, person())
    assert await _people_count(db) == 1


async def test_a_unit_of_work_is_entered_once_and_used_inside_its_block(db: asyncpg.Pool) -> None:
    uow = UnitOfWork(db, actor="importer")
    with pytest.raises(RuntimeError, match="has not been entered"):
        _ = uow.session
    async with uow:
        session = uow.session
    with pytest.raises(RuntimeError, match="has ended"):
        await ops.save_one(session, PERSON, person())
    with pytest.raises(RuntimeError, match="entered only once"):
        async with uow:
            pass
    with pytest.raises(TypeError, match="actor"):
        UnitOfWork(db, actor="")


async def test_inside_a_callers_transaction_it_is_a_savepoint(conn: asyncpg.Connection) -> None:
    async with conn.transaction():
        async with UnitOfWork(conn, actor="importer") as uow:
            saved = await ops.save_one(uow.session, PERSON, person())
        with pytest.raises(ZeroDivisionError):
            async with UnitOfWork(conn, actor="importer") as uow:
                await ops.save_one(uow.session, PERSON, person())
                _ = 1 / 0
        # the caller's transaction is intact: the first unit's row is there, the second's not
        assert await conn.fetchval('SELECT count(*) FROM "person"') == 1
        assert await ops.exists_one(conn, PERSON, saved.id)


async def test_the_audit_log_row_is_created_lazily_once(db: asyncpg.Pool) -> None:
    async with UnitOfWork(db, actor="nobody audited") as uow:
        await ops.save_one(uow.session, PERSON, person())
        assert uow.audit_log_id is None
    assert await _audit_logs(db) == []  # no audited write, no log row

    async with UnitOfWork(db, actor="importer") as uow:
        await ops.save_batch(uow.session, NOTE, [Note(id=1, title="a"), Note(id=2, title="b")])
        log_id = uow.audit_log_id
        await ops.update_one(uow.session, NOTE, Note(id=1, title="a2", version=1))
        await ops.delete_one(uow.session, NOTE, 2, version=1)
        assert uow.audit_log_id == log_id
    assert await _audit_logs(db) == [(log_id, "importer")]
    history = await db.fetch(
        'SELECT "id", "version", "operation"::text, "audit_log_id" FROM "note_history" '
        'ORDER BY "history_id"'
    )
    assert [tuple(row) for row in history] == [
        (1, 1, "insert", log_id),
        (2, 1, "insert", log_id),
        (1, 2, "update", log_id),
        (2, 2, "delete", log_id),
    ]


async def test_the_audit_log_row_comes_back_after_its_savepoint_rolled_back(
    db: asyncpg.Pool,
) -> None:
    async with UnitOfWork(db, actor="importer") as uow:
        with pytest.raises(ArithmeticError):
            async with uow.savepoint():
                await ops.save_one(uow.session, NOTE, Note(id=1, title="gone"))
                assert uow.audit_log_id is not None
                raise ArithmeticError
        assert uow.audit_log_id is None
        await ops.save_one(uow.session, NOTE, Note(id=2, title="kept"))
        log_id = uow.audit_log_id
    assert [actor for _id, actor in await _audit_logs(db)] == ["importer"]
    assert await db.fetchval('SELECT "audit_log_id" FROM "note_history"') == log_id


async def test_a_unit_on_a_bare_connection_keeps_its_cache_to_itself(
    conn: asyncpg.Connection, db: asyncpg.Pool
) -> None:
    async with UnitOfWork(conn, actor="importer") as uow:
        saved = await ops.save_one(uow.session, PERSON, person())
        assert uow.cache_layer.lookup("person", [saved.id]) == [True]
    assert _known(shared_cache(db), "person", saved.id) is None


async def test_inside_a_callers_transaction_the_global_cache_learns_nothing(
    conn: asyncpg.Connection,
) -> None:
    # Found in review: leaving a nested unit only releases a savepoint; the caller may still
    # roll back, so neither the cache nor after-commit callbacks may treat it as committed.
    cache = KeyCache()
    transaction = conn.transaction()
    await transaction.start()
    try:
        async with UnitOfWork(conn, actor="importer", cache=cache) as uow:
            saved = await ops.save_one(uow.session, PERSON, person())
            with pytest.raises(RuntimeError, match="after-commit callbacks cannot be honoured"):
                uow.after_commit(lambda: None)
    finally:
        await transaction.rollback()
    assert _known(cache, "person", saved.id) is None
    assert not await ops.exists_one(conn, PERSON, saved.id)


async def test_a_failed_acquire_surfaces_as_itself(db: asyncpg.Pool) -> None:
    # Found in review: the pool was asked to give back a connection it never lent, and its
    # InterfaceError replaced the timeout (and swallowed the cancellation behind it).
    async with db.acquire() as held:  # noqa: F841 - keeps one connection busy
        others = [await db.acquire() for _ in range(db.get_max_size() - 1)]
        try:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):
                    async with UnitOfWork(db, actor="importer"):
                        raise AssertionError("no connection should have been free")
        finally:
            for other in others:
                await db.release(other)


async def test_a_cancelled_give_back_after_commit_still_runs_callbacks_and_teaches_the_cache(
    db: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found in review: the cache merge and the callbacks came after giving the connection back,
    # so a cancellation there skipped them although the rows were committed.
    original = UnitOfWork._give_back_connection

    async def cancelled_after_giving_back(self: UnitOfWork) -> None:
        await original(self)
        raise asyncio.CancelledError

    monkeypatch.setattr(UnitOfWork, "_give_back_connection", cancelled_after_giving_back)
    cache = shared_cache(db)
    ran: list[str] = []
    with pytest.raises(asyncio.CancelledError):
        async with UnitOfWork(db, actor="importer") as uow:
            uow.after_commit(lambda: ran.append("after commit"))
            saved = await ops.save_one(uow.session, PERSON, person())
    assert ran == ["after commit"]
    assert _known(cache, "person", saved.id) is True


async def test_a_failing_probe_after_a_failed_batch_leaves_the_unit_usable(
    db: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found in review: after a failed batch, the queries that name its failing rows ran on the
    # unit's connection outside any savepoint; one that failed (a lock timeout) aborted the unit.
    from batchrepo.write import apply as writes

    original = writes.batch_error

    async def failing_probe(conn: asyncpg.Connection, *args: object, **kwargs: object) -> object:
        await conn.execute("SELECT 1 / 0")  # stands in for a probe hitting lock_timeout
        return await original(conn, *args, **kwargs)  # type: ignore[arg-type]

    existing = await ops.save_one(db, PERSON, person())
    monkeypatch.setattr(writes, "batch_error", failing_probe)
    async with UnitOfWork(db, actor="importer", cache=KeyCache()) as uow:
        with pytest.raises(errors.DataError):  # 22012, division by zero
            # the fresh cache does not know the key: the database refuses the batch
            await ops.save_batch(uow.session, PERSON, [existing])
        monkeypatch.setattr(writes, "batch_error", original)
        await ops.save_one(uow.session, PERSON, person())  # the unit still works
    assert await _people_count(db) == 2
