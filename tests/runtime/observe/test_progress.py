"""``progress`` of chunked writes and streamed loads: one event per chunk, in the order the chunks
finished, with counts and row ranges that add up to the call's result; the call's span counts
rows and chunks, and a chunk refused in a call that goes on is logged."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Iterator

import asyncpg
import pytest

from batchrepo import errors
from batchrepo import operations as ops
from batchrepo.cache.key_cache import shared_cache
from batchrepo.observe import ProgressEvent, ProgressReport
from batchrepo.read.streamed import load_stream, stream_all
from tests.runtime.builders import people, person
from tests.runtime.observe.conftest import Captured
from tests.runtime.tables import PERSON, Person

# the hand-written person spec predates select_keys, which streaming reads
STREAMED_PERSON = dataclasses.replace(
    PERSON, sql=dataclasses.replace(PERSON.sql, select_keys='SELECT "id" FROM "person" LIMIT $1')
)


def _shape(event: ProgressEvent) -> tuple[object, ...]:
    error = None if event.error is None else type(event.error).__name__
    return (event.chunk, event.rows, error, event.rows_done, event.rows_failed, event.total)


async def test_a_chunked_run_with_a_failing_chunk_reports_each_chunk_in_order(
    db: asyncpg.Pool, telemetry: Captured, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="batchrepo")
    existing = await ops.save_one(db, PERSON, person())
    shared_cache(db).clear()  # the database, not the cache, refuses row 12
    rows = people(35)
    rows[12].id = existing.id
    events: list[ProgressEvent] = []

    def generated() -> Iterator[Person]:
        yield from rows  # a stream: no total

    result = await ops.save_batch_chunked(
        db, PERSON, generated(), chunk_size=10, atomic=False, progress=events.append
    )

    assert [_shape(e) for e in events] == [
        (0, range(0, 10), None, 10, 0, None),
        (1, range(10, 20), "UniqueViolationError", 20, 10, None),
        (2, range(20, 30), None, 30, 10, None),
        (3, range(30, 35), None, 35, 10, None),
    ]
    assert [(e.committed, e.failed) for e in events] == [
        ((range(0, 10),), ()),
        ((range(0, 10),), (range(10, 20),)),
        ((range(0, 10), range(20, 30)), (range(10, 20),)),
        ((range(0, 10), range(20, 35)), (range(10, 20),)),
    ]
    assert events[-1].rows_done == result.stats.total and events[1].error is result.errors[0].error
    assert all(e.fraction is None for e in events)

    span = telemetry.span("save_batch_chunked person")
    assert span.attributes is not None
    counts = {name: span.attributes[f"batchrepo.{name}"] for name in ("rows", "chunks")}
    failed = {name: span.attributes[f"batchrepo.{name}.failed"] for name in ("rows", "chunks")}
    assert (counts, failed) == ({"rows": 35, "chunks": 4}, {"rows": 10, "chunks": 1})
    assert span.attributes["batchrepo.rows.affected"] == 25
    assert telemetry.counted("batchrepo.chunks", {"batchrepo.outcome": "failed"}) == 1
    assert telemetry.counted("batchrepo.chunks", {"batchrepo.outcome": "ok"}) == 3
    refused = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert refused == [
        (
            "WARNING",
            "save_batch_chunked person: rows 10-20 refused (UniqueViolationError, sqlstate 23505); "
            "the other chunks go on",
        )
    ]


async def test_an_atomic_run_over_a_sequence_knows_its_total(
    db: asyncpg.Pool, telemetry: Captured
) -> None:
    events: list[ProgressEvent] = []
    await ops.save_batch_chunked(db, PERSON, people(25), chunk_size=10, progress=events.append)
    assert [(e.rows_done, e.total, e.fraction) for e in events] == [
        (10, 25, 0.4),
        (20, 25, 0.8),
        (25, 25, 1.0),
    ]
    assert events[-1].committed == (range(0, 25),)
    span = telemetry.span("save_batch_chunked person")
    assert span.attributes is not None and span.attributes["batchrepo.write.path"] == "statement"


async def test_an_atomic_run_that_fails_reports_only_the_chunks_before_and_raises(
    db: asyncpg.Pool, telemetry: Captured
) -> None:
    existing = await ops.save_one(db, PERSON, person())
    shared_cache(db).clear()
    rows = people(30)
    rows[25].id = existing.id
    events: list[ProgressEvent] = []
    with pytest.raises(errors.UniqueViolationError):
        await ops.save_batch_chunked(db, PERSON, iter(rows), chunk_size=10, progress=events.append)
    assert [e.rows for e in events] == [range(0, 10), range(10, 20)]
    span = telemetry.span("save_batch_chunked person")
    assert span.attributes is not None and span.attributes["error.type"] == "UniqueViolationError"
    assert span.attributes["batchrepo.rows"] == 30  # read before the failure


async def test_parallel_chunks_report_in_the_order_they_finish_and_merge_their_ranges(
    db: asyncpg.Pool,
) -> None:
    events: list[ProgressEvent] = []
    result = await ops.save_batch_chunked(
        db, PERSON, people(40), chunk_size=5, atomic=False, concurrency=3, progress=events.append
    )
    assert result.ok and sorted(e.chunk for e in events) == list(range(8))
    assert [e.rows_done for e in events] == [5 * n for n in range(1, 9)]
    assert events[-1].committed == (range(0, 40),)


async def test_deletes_report_progress_too(db: asyncpg.Pool) -> None:
    saved = await ops.save_batch(db, PERSON, people(7))
    events: list[ProgressEvent] = []
    await ops.delete_batch_chunked(
        db, PERSON, [p.id for p in saved], chunk_size=3, progress=events.append
    )
    assert [(e.operation, e.rows, e.total) for e in events] == [
        ("delete_batch_chunked", range(0, 3), 7),
        ("delete_batch_chunked", range(3, 6), 7),
        ("delete_batch_chunked", range(6, 7), 7),
    ]


async def test_streams_report_each_chunk_handed_to_the_reader(
    db: asyncpg.Pool, telemetry: Captured
) -> None:
    saved = await ops.save_batch(db, PERSON, people(5))
    streamed: list[ProgressEvent] = []
    rows = [
        p async for p in stream_all(db, STREAMED_PERSON, chunk_size=2, progress=streamed.append)
    ]
    assert len(rows) == 5
    assert [(e.chunk, e.rows, e.rows_done, e.total) for e in streamed] == [
        (0, range(0, 2), 2, None),
        (1, range(2, 4), 4, None),
        (2, range(4, 5), 5, None),
    ]
    keys = [saved[0].id, uuid.uuid4(), saved[1].id]
    loaded: list[ProgressEvent] = []
    found = [p async for p in load_stream(db, PERSON, keys, chunk_size=2, progress=loaded.append)]
    assert [p is not None for p in found] == [True, False, True]
    assert [(e.operation, e.rows_done, e.total) for e in loaded] == [
        ("load_stream", 2, 3),
        ("load_stream", 3, 3),
    ]
    whole = telemetry.span("stream_all person")
    assert whole.attributes is not None
    assert (
        whole.attributes["batchrepo.chunks"],
        whole.attributes["db.response.returned_rows"],
    ) == (3, 5)
    by_keys = telemetry.span("load_stream person")
    assert by_keys.attributes is not None
    assert (
        by_keys.attributes["batchrepo.rows"],
        by_keys.attributes["db.response.returned_rows"],
    ) == (3, 2)
    assert telemetry.spans("load_batch person") == []  # its chunks are the stream's, not spans


def test_ranges_merge_whatever_order_chunks_finish_in() -> None:
    events: list[ProgressEvent] = []
    report = ProgressReport(events.append, "save_batch_chunked", "person", 10, 50)
    for start in (20, 0, 40, 10):
        report.written(start, start + 10)
    assert events[-1].committed == (range(0, 30), range(40, 50))
    failure = errors.ValidationError.__new__(errors.ValidationError)
    report.refused(30, 40, failure)
    assert (events[-1].committed, events[-1].failed) == (
        (range(0, 30), range(40, 50)),
        (range(30, 40),),
    )
    assert (events[-1].chunk, events[-1].rows_done, events[-1].fraction) == (3, 50, 1.0)


async def test_a_progress_that_cannot_be_called_is_refused_before_anything_is_sent(
    db: asyncpg.Pool,
) -> None:
    with pytest.raises(TypeError, match="person: progress must be a callable"):
        await ops.save_batch_chunked(db, PERSON, people(2), progress=True)  # type: ignore[arg-type]
    assert await db.fetchval('SELECT count(*) FROM "person"') == 0
