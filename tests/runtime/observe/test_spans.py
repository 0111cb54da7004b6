"""Every operation is one OpenTelemetry CLIENT span with metric points, named after the database
semantic conventions; failures carry their error class (and SQLSTATE), the ``batchrepo`` logger
tells rollbacks and evictions, and spans nest under the application's (a unit of work's steps).

The SDK is the test's own (``telemetry`` fixture): an in-memory exporter and metric reader."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from types import ModuleType
from typing import Any, cast

import asyncpg
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from batchrepo import errors
from batchrepo import operations as ops
from batchrepo.cache.key_cache import shared_cache
from batchrepo.observe import Observed
from batchrepo.retry import RetryPolicy, run_unit
from batchrepo.session import Session, WritePolicy, as_session
from batchrepo.unit_of_work import UnitOfWork
from tests.runtime.builders import people, person
from tests.runtime.conftest import CountingConnection
from tests.runtime.observe.conftest import Captured
from tests.runtime.tables import NOTE, PERSON, Note

DURATION = "db.client.operation.duration"
OUTCOME = "batchrepo.outcome"


def _conventions(operation: str, table: str) -> dict[str, Any]:
    return {
        "db.system.name": "postgresql",
        "db.operation.name": operation,
        "db.collection.name": table,
    }


async def test_a_batch_insert_is_one_client_span_with_the_conventions_and_its_metrics(
    db: asyncpg.Pool, telemetry: Captured, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="batchrepo")
    saved = await ops.save_batch(db, PERSON, people(3))
    await ops.load_batch(db, PERSON, [saved[0].id, uuid.uuid4()])

    span = telemetry.span("save_batch person")
    assert span.kind == SpanKind.CLIENT and span.status.status_code == StatusCode.UNSET
    assert dict(span.attributes or {}) == _conventions("save_batch", "person") | {
        "batchrepo.rows": 3,
        "batchrepo.rows.affected": 3,
        "batchrepo.returning": True,
        "batchrepo.unit_of_work": False,
        "batchrepo.write.path": "statement",
        # the insert asked the pool's key cache whether the three keys exist: it did not know
        "batchrepo.key_cache.hits": 0,
        "batchrepo.key_cache.misses": 3,
    }
    load = telemetry.span("load_batch person")
    assert load.attributes is not None and load.attributes["db.response.returned_rows"] == 1
    assert load.attributes["batchrepo.rows"] == 2
    assert telemetry.counted(DURATION, _conventions("save_batch", "person")) == 1
    assert (
        telemetry.counted("batchrepo.rows", {OUTCOME: "ok"} | _conventions("save_batch", "person"))
        == 3
    )
    returned = telemetry.points("db.client.response.returned_rows")
    assert [(a["db.operation.name"], p.sum) for a, p in returned] == [("load_batch", 1)]
    assert caplog.records == []  # the success path logs nothing


async def test_a_failed_batch_records_its_error_class_and_is_logged_as_rolled_back(
    db: asyncpg.Pool, telemetry: Captured, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="batchrepo")
    existing = await ops.save_one(db, PERSON, person())
    shared_cache(db).clear()  # the database, not the cache, finds the clash
    rows = people(4)
    rows[2].id = existing.id
    with pytest.raises(errors.UniqueViolationError):
        await ops.save_batch(db, PERSON, rows)
    invalid = people(2)
    invalid[1].display_name = ""
    with pytest.raises(errors.ValidationError):
        await ops.save_batch(db, PERSON, invalid)

    clash, refused = telemetry.spans("save_batch person")
    assert clash.status.status_code == StatusCode.ERROR
    assert clash.attributes is not None
    assert clash.attributes["error.type"] == "UniqueViolationError"
    assert clash.attributes["db.response.status_code"] == "23505"
    assert [e.name for e in clash.events] == ["exception"]
    assert refused.attributes is not None and refused.attributes["error.type"] == "ValidationError"
    assert "db.response.status_code" not in refused.attributes
    failures = {
        a["error.type"]: p.count for a, p in telemetry.points(DURATION) if "error.type" in a
    }
    assert failures == {"UniqueViolationError": 1, "ValidationError": 1}
    failed = {OUTCOME: "failed"} | _conventions("save_batch", "person")
    assert telemetry.counted("batchrepo.rows", failed) == 6
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "INFO",
            "save_batch person: 4 rows rolled back, nothing written "
            "(UniqueViolationError (sqlstate 23505))",
        ),
        (
            "INFO",
            "save_batch person: 2 rows refused before any statement, nothing written "
            "(ValidationError)",
        ),
    ]


@pytest.mark.parametrize(
    ("policy", "returning", "path", "sent"),
    [
        (WritePolicy(copy_from_rows=None), True, "statement", "insert_batch"),
        (WritePolicy(copy_from_rows=None), False, "counting statement", "insert_batch_count"),
        (WritePolicy(copy_from_rows=0), True, "copy", "<copy plain>"),
    ],
    ids=["statement", "counting", "copy"],
)
async def test_the_write_path_named_is_the_one_taken(
    shapes_counting: CountingConnection,
    shapes: ModuleType,
    telemetry: Captured,
    policy: WritePolicy,
    returning: bool,
    path: str,
    sent: str,
) -> None:
    plain = shapes.plain
    row = plain.Plain(label="a", amount=1, currency="EUR", mood="calm", active=True)
    session = as_session(shapes_counting, policy=policy)
    await ops.save_batch(session, plain.PLAIN_TABLE, [row], returning=returning)
    span = telemetry.span("save_batch plain")
    assert span.attributes is not None and span.attributes["batchrepo.write.path"] == path
    statement = getattr(plain.PLAIN_TABLE.sql, sent, sent)
    assert statement in shapes_counting.statements


async def test_cache_answers_and_refuted_parents_are_counted_and_the_eviction_logged(
    db: asyncpg.Pool, telemetry: Captured, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="batchrepo")
    known = await ops.save_one(db, PERSON, person())  # the pool's cache learns it
    unknown = person()
    await db.execute(
        'INSERT INTO "person" ("id", "person_type", "display_name", "balance") '
        "VALUES ($1, 'natural', 'x', 1)",
        unknown.id,
    )
    session = as_session(db, actor="importer")
    await ops.save_batch(
        session,
        NOTE,
        [Note(id=1, title="a", person_id=known.id), Note(id=2, title="b", person_id=unknown.id)],
    )
    span = telemetry.span("save_batch note")
    assert span.attributes is not None
    # the known parent is a hit; the other parent and the two new note keys are misses
    hits, misses = (span.attributes[f"batchrepo.key_cache.{n}"] for n in ("hits", "misses"))
    assert (hits, misses) == (1, 3)
    lookups = "batchrepo.key_cache.lookups"
    assert telemetry.counted(lookups, {"batchrepo.key_cache.result": "hit"}) == 1
    # person misses: the key save_one wrote (asked before writing), then the unknown parent
    person_misses = {"db.collection.name": "person", "batchrepo.key_cache.result": "miss"}
    assert telemetry.counted(lookups, person_misses) == 2

    gone = await ops.save_one(db, PERSON, person())
    await db.execute('DELETE FROM "person" WHERE "id" = $1', gone.id)  # behind the cache's back
    with pytest.raises(errors.MissingParentError):
        await ops.save_batch(session, NOTE, [Note(id=3, title="c", person_id=gone.id)])
    assert telemetry.counted("batchrepo.key_cache.evictions", {"db.collection.name": "person"}) == 1
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == (
        "save_batch note: the database refuted 1 parent keys of table person the key cache "
        "vouched for; forgotten"
    )
    assert messages[1] == (
        "save_batch note: 1 row rolled back, nothing written (MissingParentError (sqlstate 23503))"
    )


async def test_the_steps_of_a_unit_of_work_are_spans_under_the_applications(
    audited_pool: asyncpg.Pool, audited: ModuleType, telemetry: Captured
) -> None:
    with telemetry.tracer.start_as_current_span("nightly import") as parent:
        async with audited.UnitOfWork(audited_pool, actor="importer") as uow:
            saved = await uow.customer.save_batch([audited.Customer(name=n) for n in "abc"])
            await uow.customer.update_batch([dataclasses.replace(saved[0], name="a2")])
            with pytest.raises(errors.StaleVersionError):
                await uow.customer.update_batch([dataclasses.replace(saved[0], name="a3")])
            assert len(await uow.customer.load_batch([c.id for c in saved])) == 3

    steps = [s for s in telemetry.spans() if s.name != "nightly import"]
    assert [s.name for s in steps] == [
        "save_batch customer",
        "update_batch customer",
        "update_batch customer",
        "load_batch customer",
    ]
    for step in steps:
        assert step.parent is not None and step.parent.span_id == parent.get_span_context().span_id
        assert step.attributes is not None and step.attributes["batchrepo.unit_of_work"] is True
    assert [s.status.status_code for s in steps] == [
        StatusCode.UNSET,
        StatusCode.UNSET,
        StatusCode.ERROR,
        StatusCode.UNSET,
    ]


async def test_a_retried_unit_of_work_is_counted_marked_on_the_span_and_logged(
    db: asyncpg.Pool, telemetry: Captured, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="batchrepo")
    attempts: list[int] = []

    async def work(uow: UnitOfWork) -> int:
        attempts.append(len(attempts) + 1)
        if len(attempts) == 1:  # as a concurrent transaction would make it fail
            raise errors.SerializationFailureError("person", sqlstate="40001")
        return len(await ops.save_batch(uow.session, PERSON, people(2)))

    with telemetry.tracer.start_as_current_span("nightly import"):
        assert await run_unit(db, work, actor="importer", retry=RetryPolicy(base=0.001)) == 2

    (event,) = telemetry.span("nightly import").events
    assert event.name == "batchrepo.retry" and event.attributes is not None
    assert event.attributes["batchrepo.attempt"] == 1
    assert event.attributes["error.type"] == "SerializationFailureError"
    assert event.attributes["db.response.status_code"] == "40001"
    retries = {"error.type": "SerializationFailureError"}
    assert telemetry.counted("batchrepo.unit.retries", retries) == 1
    assert [r.levelname for r in caplog.records] == ["WARNING"]  # run_unit's own line
    assert caplog.records[0].getMessage().startswith("unit of work of importer: attempt 1 failed")


def test_a_driver_error_is_named_as_the_caller_gets_it(telemetry: Captured) -> None:
    # the span ends inside boundary(), which turns asyncpg's errors into batchrepo's on the way
    # out: the span names the class the caller catches
    lost = asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")
    observed = Observed("save_batch", PERSON, Session(cast(Any, None)), 2, writes=True)
    with pytest.raises(asyncpg.ConnectionDoesNotExistError), observed:
        raise lost
    span = telemetry.span("save_batch person")
    assert span.attributes is not None
    assert (span.attributes["error.type"], span.attributes["db.response.status_code"]) == (
        "ConnectionLostError",
        "08003",  # connection_does_not_exist, as boundary() keeps it
    )
