"""``concurrency=n``: up to n chunks in flight on n pool connections, a result that says which
chunks committed and which failed, and a clear refusal where it cannot work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from batchrepo import errors
from batchrepo import operations as ops
from batchrepo.cache.key_cache import shared_cache
from batchrepo.unit_of_work import UnitOfWork
from batchrepo.write import parallel
from batchrepo.write.chunk_results import BatchResult
from tests.runtime.builders import people, person
from tests.runtime.tables import PERSON


async def _count(db: asyncpg.Pool) -> int:
    return int(await db.fetchval('SELECT count(*) FROM "person"'))


def _shape(result: BatchResult[Any]) -> tuple[Any, ...]:
    stats = result.stats
    return (
        [getattr(item, "id", item) for item in result.items],
        [(e.start, e.stop, type(e.error), e.error.rows, e.error.keys) for e in result.errors],
        result.committed,
        (stats.total, stats.succeeded, stats.failed, stats.chunks, stats.affected),
    )


def _in_flight_counter(
    monkeypatch: pytest.MonkeyPatch,
) -> list[int]:
    """Wraps the chunk runner of the parallel path; returns the number in flight at each start."""
    seen: list[int] = []
    running = [0]
    original: Callable[..., Awaitable[None]] = parallel.run_recorded

    async def counted(*args: Any) -> None:
        running[0] += 1
        seen.append(running[0])
        try:
            await original(*args)
        finally:
            running[0] -= 1

    monkeypatch.setattr(parallel, "run_recorded", counted)
    return seen


@pytest.mark.parametrize("concurrency", [2, 3])
async def test_parallel_chunks_give_what_sequential_chunks_give(
    db: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch, concurrency: int
) -> None:
    existing = await ops.save_one(db, PERSON, person())
    rows = people(40)
    rows[12].id = existing.id  # chunk 10-15: the key exists
    rows[31].display_name = "x" * 101  # chunk 30-35: a field rule

    sequential = await ops.save_batch_chunked(db, PERSON, rows, chunk_size=5, atomic=False)
    await db.execute('DELETE FROM "person" WHERE "id" <> $1', existing.id)
    shared_cache(db).clear()
    in_flight = _in_flight_counter(monkeypatch)
    concurrent = await ops.save_batch_chunked(
        db, PERSON, iter(rows), chunk_size=5, atomic=False, concurrency=concurrency
    )
    assert _shape(concurrent) == _shape(sequential)
    assert concurrent.committed == [range(s, s + 5) for s in (0, 5, 15, 20, 25, 35)]
    assert [(e.start, e.stop, e.error.rows) for e in concurrent.errors] == [
        (10, 15, [12]),
        (30, 35, [31]),
    ]
    assert max(in_flight) == concurrency and len(in_flight) == 8
    assert await _count(db) == 31


async def test_parallel_deletes_report_their_keys_in_input_order(db: asyncpg.Pool) -> None:
    saved = await ops.save_batch(db, PERSON, people(12))
    keys = [s.id for s in saved]
    result = await ops.delete_batch_chunked(
        db, PERSON, keys, chunk_size=2, atomic=False, concurrency=4
    )
    assert result.items == keys and result.stats.affected == 12
    assert await _count(db) == 0


async def test_an_unexpected_error_waits_for_the_chunks_in_flight_and_names_what_was_written(
    db: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = parallel.run_recorded

    async def breaking(*args: Any) -> None:
        start = args[4]
        if start == 4:
            raise ConnectionResetError("lost the connection")
        await original(*args)

    monkeypatch.setattr(parallel, "run_recorded", breaking)
    with pytest.raises(errors.ConnectionLostError) as lost:
        await ops.save_batch_chunked(
            db, PERSON, people(20), chunk_size=2, atomic=False, concurrency=2
        )
    assert isinstance(lost.value.__cause__, ConnectionResetError)
    [note] = lost.value.__notes__
    written = note.removeprefix("batchrepo: row ranges written before this error: ")
    # chunks 0-2 and 2-4 came first; the one in flight beside 4-6 finished before the raise
    assert written.split(", ")[:2] == ["0-2", "2-4"]
    assert await _count(db) == 2 * len(written.split(", "))


async def test_concurrency_needs_a_pool_and_chunks_that_commit_alone(
    db: asyncpg.Pool, conn: asyncpg.Connection
) -> None:
    with pytest.raises(ValueError, match="concurrency=2 needs atomic=False"):
        await ops.save_batch_chunked(db, PERSON, people(4), concurrency=2)
    with pytest.raises(ValueError, match=r"needs an asyncpg pool .* on one connection"):
        await ops.save_batch_chunked(conn, PERSON, people(4), atomic=False, concurrency=2)
    async with UnitOfWork(db, actor="importer") as uow:
        with pytest.raises(ValueError, match="on a unit of work's connection"):
            await ops.delete_batch_chunked(uow.session, PERSON, [], atomic=False, concurrency=3)
    with pytest.raises(ValueError, match="concurrency must be at least 1, not 0"):
        await ops.save_batch_chunked(db, PERSON, people(4), atomic=False, concurrency=0)
    assert await _count(db) == 0


async def test_a_failing_chunk_in_parallel_leaves_the_others_committed(db: asyncpg.Pool) -> None:
    rows = people(9)
    rows[7].organization_person_id = person().id  # a parent that does not exist
    result = await ops.save_batch_chunked(
        db, PERSON, rows, chunk_size=3, atomic=False, concurrency=3
    )
    [failure] = result.errors
    assert (failure.start, failure.stop, failure.error.rows) == (6, 9, [7])
    assert isinstance(failure.error, errors.MissingParentError)
    assert result.committed == [range(0, 3), range(3, 6)]
