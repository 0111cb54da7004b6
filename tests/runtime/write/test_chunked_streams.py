"""Chunked writes over streams: consumed chunk by chunk, never materialised; what an atomic
stream does at a failure; ``returning=False``; the row ranges a job resumes from."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from batchrepo import errors
from batchrepo import operations as ops
from batchrepo.cache.key_cache import shared_cache
from batchrepo.session import Session
from batchrepo.unit_of_work import UnitOfWork
from tests.runtime.builders import people, person
from tests.runtime.conftest import CountingConnection
from tests.runtime.tables import PERSON, Person


async def _count(db: asyncpg.Pool) -> int:
    return int(await db.fetchval('SELECT count(*) FROM "person"'))


class Source:
    """A generator of rows that records how many were taken whenever a statement is sent."""

    def __init__(self, rows: list[Person], counting: CountingConnection) -> None:
        self.rows = rows
        self.counting = counting
        self.taken = 0
        self.taken_at_inserts: list[int] = []

    def __iter__(self) -> Iterator[Person]:
        for row in self.rows:
            inserts = self.counting.statements.count(PERSON.sql.insert_batch)
            self.taken_at_inserts += [self.taken] * (inserts - len(self.taken_at_inserts))
            self.taken += 1
            yield row


async def test_a_generator_is_read_one_chunk_ahead_of_the_statements(
    counting: CountingConnection,
) -> None:
    source = Source(people(25), counting)
    result = await ops.save_batch_chunked(counting, PERSON, iter(source), chunk_size=10)
    # the first statement went out when 10 rows had been taken, the second at 20, never all 25
    assert source.taken_at_inserts == [10, 20]
    assert [r.id for r in result.items] == [r.id for r in source.rows]
    assert result.committed == [range(0, 10), range(10, 20), range(20, 25)]
    assert (result.stats.total, result.stats.chunks, result.stats.affected) == (25, 3, 25)


async def test_an_async_generator_is_consumed_too(db: asyncpg.Pool) -> None:
    rows = people(7)

    async def produce() -> AsyncIterator[Person]:
        for row in rows:
            await asyncio.sleep(0)
            yield row

    result = await ops.save_batch_chunked(db, PERSON, produce(), chunk_size=3, atomic=False)
    assert [r.id for r in result.items] == [r.id for r in rows]
    assert result.committed == [range(0, 3), range(3, 6), range(6, 7)] and result.ok
    assert await _count(db) == 7


async def test_an_empty_stream_sends_nothing(counting: CountingConnection) -> None:
    result = await ops.save_batch_chunked(counting, PERSON, iter([]), chunk_size=10)
    assert (result.items, result.errors, result.committed, result.stats.total) == ([], [], [], 0)
    assert counting.statements == []


async def test_an_atomic_stream_stops_at_the_first_bad_chunk_and_writes_nothing(
    db: asyncpg.Pool,
) -> None:
    rows = people(40)
    rows[23].display_name = "x" * 101
    rows[33].display_name = "x" * 101  # a later chunk: never read, never reported
    taken: list[int] = []

    def produce() -> Iterator[Person]:
        for index, row in enumerate(rows):
            taken.append(index)
            yield row

    with pytest.raises(errors.ValidationError) as invalid:
        await ops.save_batch_chunked(db, PERSON, produce(), chunk_size=10)
    assert invalid.value.rows == [23]  # counted from the start of the stream
    assert invalid.value.report.problems[0].message.startswith("person.display_name row 23:")
    assert len(taken) == 30 and await _count(db) == 0
    # the same rows as a list are checked whole before any SQL: every problem, one report
    with pytest.raises(errors.ValidationError) as whole:
        await ops.save_batch_chunked(db, PERSON, rows, chunk_size=10)
    assert whole.value.rows == [23, 33]


async def test_a_key_repeated_in_a_later_chunk_fails_as_a_loop_would(db: asyncpg.Pool) -> None:
    rows = people(8)
    rows[6].id = rows[1].id
    with pytest.raises(errors.UniqueViolationError) as repeated:
        await ops.save_batch_chunked(db, PERSON, iter(rows), chunk_size=4)
    assert (repeated.value.rows, repeated.value.keys) == ([6], [rows[1].id])
    assert await _count(db) == 0
    # a list is checked whole: the repeat is a duplicate inside the batch, before any SQL
    with pytest.raises(errors.DuplicateKeyInBatchError) as duplicate:
        await ops.save_batch_chunked(db, PERSON, rows, chunk_size=4)
    assert duplicate.value.rows == [6]


async def test_an_update_repeated_in_a_later_chunk_writes_the_row_twice(db: asyncpg.Pool) -> None:
    saved = await ops.save_batch(db, PERSON, people(3))
    first, again = (person(id=saved[0].id, display_name=n) for n in ("first", "second"))
    result = await ops.update_batch_chunked(db, PERSON, iter([first, again]), chunk_size=1)
    assert result.ok and result.stats.affected == 2
    assert (await ops.load_one(db, PERSON, saved[0].id)).display_name == "second"  # type: ignore[union-attr]


async def test_later_chunks_of_an_atomic_stream_see_the_rows_of_earlier_ones(
    db: asyncpg.Pool,
) -> None:
    parent = person()
    child = person(organization_person_id=parent.id)
    # the session asks only the cache: the parent, written by chunk 0 and not committed yet,
    # is known from the call's own cache layer
    cached_only = Session(db, cache=shared_cache(db), cache_only=True)
    result = await ops.save_batch_chunked(cached_only, PERSON, iter([parent, child]), chunk_size=1)
    assert result.ok and await _count(db) == 2
    assert {parent.id, child.id} <= set(shared_cache(db).entries("person"))


async def test_a_failed_atomic_stream_teaches_the_cache_nothing(db: asyncpg.Pool) -> None:
    existing = await ops.save_one(db, PERSON, person())
    shared_cache(db).clear()
    rows = people(6)
    rows[5].id = existing.id
    with pytest.raises(errors.UniqueViolationError):
        await ops.save_batch_chunked(db, PERSON, iter(rows), chunk_size=2)
    assert shared_cache(db).entries("person") == {}


async def test_returning_false_keeps_no_rows_but_counts_them(db: asyncpg.Pool) -> None:
    existing = await ops.save_one(db, PERSON, person())
    rows = people(9)
    rows[4].id = existing.id
    result = await ops.save_batch_chunked(
        db, PERSON, iter(rows), chunk_size=3, atomic=False, returning=False
    )
    assert result.items == []
    stats = result.stats
    assert (stats.total, stats.succeeded, stats.failed, stats.affected) == (9, 6, 3, 6)
    assert result.committed == [range(0, 3), range(6, 9)]
    assert [(e.start, e.stop, e.error.rows) for e in result.errors] == [(3, 6, [4])]
    deleted = await ops.delete_batch_chunked(
        db, PERSON, iter([r.id for r in rows]), returning=False
    )
    assert (deleted.items, deleted.stats.affected) == ([], 7)


async def test_an_error_of_the_input_itself_names_the_ranges_written(db: asyncpg.Pool) -> None:
    def produce() -> Iterator[Person]:
        yield from people(5)
        raise RuntimeError("the source broke")

    with pytest.raises(RuntimeError, match="the source broke") as broken:
        await ops.save_batch_chunked(db, PERSON, produce(), chunk_size=2, atomic=False)
    assert broken.value.__notes__ == ["batchrepo: row ranges written before this error: 0-2, 2-4"]
    assert await _count(db) == 4  # chunk 4-5 was never complete, so never sent

    with pytest.raises(RuntimeError):
        await ops.save_batch_chunked(db, PERSON, produce(), chunk_size=2)
    assert await _count(db) == 4  # atomic: the chunks written were rolled back


async def test_an_atomic_stream_in_a_unit_of_work_fails_alone(db: asyncpg.Pool) -> None:
    kept = person()
    rows = people(4)
    rows[3].display_name = ""
    async with UnitOfWork(db, actor="importer") as uow:
        await ops.save_one(uow.session, PERSON, kept)
        with pytest.raises(errors.ValidationError):
            await ops.save_batch_chunked(uow.session, PERSON, iter(rows), chunk_size=2)
        written = await ops.save_batch_chunked(uow.session, PERSON, iter(people(3)), chunk_size=2)
        assert written.ok
    assert await _count(db) == 4


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (42, "not int"),
        ("rows", "not str"),
        (None, "not NoneType"),
    ],
    ids=["int", "str", "none"],
)
async def test_input_that_is_no_stream_of_rows_is_refused_before_any_sql(
    counting: CountingConnection, values: object, message: str
) -> None:
    with pytest.raises(TypeError, match=f"person: the rows to write must be .*{message}"):
        await ops.save_batch_chunked(counting, PERSON, values, chunk_size=2)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=f"person: the keys to delete must be .*{message}"):
        await ops.delete_batch_chunked(counting, PERSON, values, chunk_size=2)  # type: ignore[arg-type]
    assert counting.statements == []


async def test_keys_of_a_stream_are_deleted_chunk_by_chunk(db: asyncpg.Pool) -> None:
    saved = await ops.save_batch(db, PERSON, people(5))
    keys = (s.id for s in [*saved, person()])  # one key that is not there
    result = await ops.delete_batch_chunked(db, PERSON, keys, chunk_size=4)
    assert result.items == [*(s.id for s in saved), result.items[-1]]
    assert isinstance(result.items[-1], uuid.UUID)
    assert (result.stats.total, result.stats.affected, result.stats.chunks) == (6, 5, 2)
    assert await _count(db) == 0
