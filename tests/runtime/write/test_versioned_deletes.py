"""delete_batch_chunked with versions (audited tables): the versions read, in step with the
keys, checked chunk by chunk as delete_batch checks them; streams of either; row indexes over
the whole input."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

import asyncpg
import pytest

from batchrepo import errors
from batchrepo import operations as ops
from batchrepo.session import Session, as_session
from tests.runtime.tables import NOTE, PERSON, Note


async def _notes(db: asyncpg.Pool, count: int) -> Session:
    session = as_session(db, actor="seed")
    await ops.save_batch(session, NOTE, [Note(id=k, title=f"n{k}") for k in range(count)])
    return session


async def _stored(db: asyncpg.Pool) -> list[int]:
    return [r[0] for r in await db.fetch('SELECT "id" FROM "note" ORDER BY "id"')]


async def _aiter(values: Iterable[int]) -> AsyncIterator[int]:
    for value in values:
        yield value


async def test_a_stale_row_fails_an_atomic_call_naming_its_row(db: asyncpg.Pool) -> None:
    session = await _notes(db, 5)
    await ops.update_one(session, NOTE, Note(id=3, title="moved on"))  # now version 2
    with pytest.raises(errors.StaleVersionError) as caught:
        await ops.delete_batch_chunked(
            session, NOTE, range(5), versions=[1, 1, None, 1, 1], chunk_size=2
        )
    assert (caught.value.rows, caught.value.keys) == ([3], [3])
    assert (caught.value.expected, caught.value.found) == ([1], [2])
    assert await _stored(db) == [0, 1, 2, 3, 4]  # the earlier chunks rolled back
    result = await ops.delete_batch_chunked(
        session, NOTE, [0, 3, 4], versions=[1, 2, None], chunk_size=2
    )
    assert (result.stats.affected, result.items) == (3, [0, 3, 4])
    assert await _stored(db) == [1, 2]


async def test_streams_commit_chunk_by_chunk_and_report_the_stale_one(db: asyncpg.Pool) -> None:
    session = await _notes(db, 6)
    await ops.update_one(session, NOTE, Note(id=4, title="moved on"))
    result = await ops.delete_batch_chunked(
        session, NOTE, _aiter(range(6)), versions=iter([1] * 6), chunk_size=2, atomic=False
    )
    assert [(e.start, e.stop, type(e.error).__name__) for e in result.errors] == [
        (4, 6, "StaleVersionError")
    ]
    assert result.errors[0].error.rows == [4]
    assert await _stored(db) == [4, 5]


async def test_a_repeated_key_is_deleted_at_its_first_occurrence(db: asyncpg.Pool) -> None:
    session = await _notes(db, 2)
    result = await ops.delete_batch_chunked(session, NOTE, [0, 0], versions=[1, 5])
    assert result.stats.affected == 1  # a loop deletes it, then finds nothing
    with pytest.raises(errors.StaleVersionError) as caught:
        await ops.delete_batch_chunked(session, NOTE, [1, 1], versions=[5, 1])
    assert caught.value.rows == [0]  # a loop stops at the first occurrence
    assert await _stored(db) == [1]


async def test_bad_versions_are_refused_naming_the_table(db: asyncpg.Pool) -> None:
    session = await _notes(db, 3)
    with pytest.raises(ValueError, match="note: the keys and the versions to delete differ"):
        await ops.delete_batch_chunked(session, NOTE, [0, 1, 2], versions=[1, 1])
    with pytest.raises(ValueError, match="note: the keys and the versions to delete differ"):
        await ops.delete_batch_chunked(session, NOTE, _aiter([0]), versions=[1, 1])
    assert await _stored(db) == [0, 1, 2]  # found before the first chunk ran
    with pytest.raises(TypeError, match="table person is not audited"):
        await ops.delete_batch_chunked(db, PERSON, [], versions=[])
