"""Chunked batches: all or nothing with ``atomic=True``, chunk by chunk with ``atomic=False``."""

from __future__ import annotations

import uuid
from decimal import Decimal

import asyncpg
import pytest

from batchrepo import errors
from batchrepo import operations as ops
from batchrepo.cache.key_cache import shared_cache
from tests.runtime.builders import account, people, person
from tests.runtime.conftest import CountingConnection
from tests.runtime.tables import ACCOUNT, PERSON


async def _count(db: asyncpg.Pool) -> int:
    return int(await db.fetchval('SELECT count(*) FROM "person"'))


async def test_atomic_chunks_return_every_row_in_order_with_stats(
    counting: CountingConnection,
) -> None:
    items = people(25)
    result = await ops.save_batch_chunked(counting, PERSON, items, chunk_size=10)
    assert [r.id for r in result.items] == [i.id for i in items]
    stats = result.stats
    assert (stats.total, stats.succeeded, stats.failed, stats.chunks, stats.affected) == (
        25,
        25,
        0,
        3,
        25,
    )
    assert stats.duration_ms > 0 and result.errors == [] and result.ok
    inserts = [s for s in counting.statements if s == PERSON.sql.insert_batch]
    assert len(inserts) == 3


async def test_atomic_failure_rolls_back_every_chunk_and_counts_rows_over_the_input(
    db: asyncpg.Pool,
) -> None:
    existing = await ops.save_one(db, PERSON, person())
    # the pool's key cache learned the key and would refuse row 17 before any SQL; forgotten,
    # the clash surfaces in chunk 2, after chunks 0 and 1 were written
    shared_cache(db).clear()
    items = people(30)
    items[17].id = existing.id
    with pytest.raises(errors.UniqueViolationError) as caught:
        await ops.save_batch_chunked(db, PERSON, items, chunk_size=10)
    err = caught.value
    assert (err.rows, err.keys) == ([17], [existing.id])
    assert err.rows_by_constraint == {"person_pkey": [17]}
    assert "rows [17]" in str(err)
    assert isinstance(err.__cause__, asyncpg.UniqueViolationError)
    assert await _count(db) == 1  # chunk 0 and 1 were rolled back with chunk 2


async def test_atomic_validates_the_whole_input_before_any_sql(
    counting: CountingConnection,
) -> None:
    items = people(30)
    items[23].balance = Decimal("0.125")
    with pytest.raises(errors.ValidationError) as invalid:
        await ops.save_batch_chunked(counting, PERSON, items, chunk_size=10)
    assert invalid.value.rows == [23]
    assert invalid.value.report.problems[0].message.startswith("person.balance row 23:")
    items[23].balance = Decimal(1)
    items[13].id = items[3].id  # in different chunks, still one input
    with pytest.raises(errors.DuplicateKeyInBatchError) as duplicate:
        await ops.save_batch_chunked(counting, PERSON, items, chunk_size=10)
    assert (duplicate.value.rows, duplicate.value.keys) == ([13], [items[3].id])
    assert counting.statements == []


async def test_non_atomic_commits_good_chunks_and_reports_the_bad_ones(db: asyncpg.Pool) -> None:
    existing = await ops.save_one(db, PERSON, person())
    items = people(35)
    items[12].id = existing.id
    items[25].display_name = "x" * 101
    result = await ops.save_batch_chunked(db, PERSON, items, chunk_size=10, atomic=False)
    assert [r.id for r in result.items] == [i.id for i in items[:10] + items[30:]]
    assert [(e.start, e.stop, type(e.error)) for e in result.errors] == [
        (10, 20, errors.UniqueViolationError),
        (20, 30, errors.ValidationError),
    ]
    assert (result.errors[0].error.rows, result.errors[0].error.keys) == ([12], [existing.id])
    problem = result.errors[1].error
    assert isinstance(problem, errors.ValidationError)
    assert problem.rows == [25]
    assert problem.report.problems[0].message.startswith("person.display_name row 25:")
    stats = result.stats
    assert (stats.total, stats.succeeded, stats.failed, stats.chunks) == (35, 15, 20, 4)
    assert not result.ok
    assert await _count(db) == 16


async def test_update_chunks_name_missing_rows_over_the_input(db: asyncpg.Pool) -> None:
    saved = (await ops.save_batch_chunked(db, PERSON, people(12), chunk_size=5)).items
    ghost = person(created_at=saved[0].created_at)
    batch = [*saved[:7], ghost, *saved[7:]]
    for item in saved:
        item.display_name = "renamed"
    result = await ops.update_batch_chunked(db, PERSON, batch, chunk_size=5, atomic=False)
    [failure] = result.errors
    assert (failure.start, failure.stop, failure.error.rows) == (5, 10, [7])
    assert failure.error.keys == [ghost.id]
    names = [p.display_name for p in await ops.load_batch(db, PERSON, [s.id for s in saved]) if p]
    assert names.count("renamed") == 8  # rows 0-4 and 10-12 of the batch, not chunk 5-10

    with pytest.raises(errors.MissingRowsError) as atomic_failure:
        await ops.update_batch_chunked(db, PERSON, batch, chunk_size=5)
    assert atomic_failure.value.rows == [7]


async def test_upsert_chunks(db: asyncpg.Pool) -> None:
    saved = await ops.save_batch(db, PERSON, people(4))
    saved[2].display_name = "upserted"
    batch = [*people(3), *saved]
    result = await ops.upsert_batch_chunked(db, PERSON, batch, chunk_size=2)
    assert [r.id for r in result.items] == [b.id for b in batch]
    assert result.items[5].display_name == "upserted"
    assert result.stats.chunks == 4 and await _count(db) == 7


async def test_delete_chunks_count_rows_and_stop_at_a_referenced_parent(db: asyncpg.Pool) -> None:
    saved = await ops.save_batch(db, PERSON, people(9))
    await ops.save_one(db, ACCOUNT, account(saved[4].id))
    keys = [s.id for s in saved] + [uuid.uuid4()]

    with pytest.raises(errors.ForeignKeyViolationError):
        await ops.delete_batch_chunked(db, PERSON, keys, chunk_size=3)
    assert await _count(db) == 9

    result = await ops.delete_batch_chunked(db, PERSON, keys, chunk_size=3, atomic=False)
    assert [(e.start, e.stop) for e in result.errors] == [(3, 6)]
    assert result.errors[0].error.constraint == "account_owner_fkey"
    assert result.items == keys[:3] + keys[6:]
    assert (result.stats.succeeded, result.stats.failed, result.stats.affected) == (7, 3, 6)
    assert await _count(db) == 3


async def test_atomic_chunks_inside_a_callers_transaction_leave_it_usable(
    conn: asyncpg.Connection, db: asyncpg.Pool
) -> None:
    existing = await ops.save_one(conn, PERSON, person())
    kept = person()
    async with conn.transaction():
        await ops.save_one(conn, PERSON, kept)
        items = people(6)
        items[4].id = existing.id
        with pytest.raises(errors.UniqueViolationError):
            await ops.save_batch_chunked(conn, PERSON, items, chunk_size=2)
        assert len((await ops.save_batch_chunked(conn, PERSON, people(3), chunk_size=2)).items) == 3
    assert await ops.exists_one(db, PERSON, kept.id) is True
    assert await _count(db) == 5


async def test_chunk_size_must_be_positive(db: asyncpg.Pool) -> None:
    with pytest.raises(ValueError, match="chunk_size must be at least 1, not 0"):
        await ops.save_batch_chunked(db, PERSON, people(1), chunk_size=0)
