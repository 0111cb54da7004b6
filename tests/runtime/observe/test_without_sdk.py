"""Without an SDK (the application installed none) batchrepo makes no span: the API's no-op
tracer answers, nothing becomes the current span, no span reaches an exporter, and the
operations work as they do with one. ``benchmarks/telemetry_overhead.py`` measures the cost."""

from __future__ import annotations

import asyncpg
import pytest
from opentelemetry import trace

from batchrepo import errors
from batchrepo import operations as ops
from batchrepo.observe import ProgressEvent, use_providers
from tests.runtime.builders import people
from tests.runtime.observe.conftest import Captured
from tests.runtime.tables import PERSON


async def _current_spans_during_a_job(db: asyncpg.Pool) -> list[trace.Span]:
    """Run a batch, a failed batch and a chunked call; the current span at each chunk."""
    current: list[trace.Span] = []

    def progress(_event: ProgressEvent) -> None:
        current.append(trace.get_current_span())

    await ops.save_batch(db, PERSON, people(2))
    invalid = people(1)
    invalid[0].display_name = ""
    with pytest.raises(errors.ValidationError):
        await ops.save_batch(db, PERSON, invalid)
    await ops.save_batch_chunked(db, PERSON, people(3), chunk_size=2, progress=progress)
    return current


async def test_without_an_sdk_no_span_is_made(db: asyncpg.Pool, telemetry: Captured) -> None:
    use_providers()  # the global providers, which in this process no one has set
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)

    current = await _current_spans_during_a_job(db)

    assert current == [trace.INVALID_SPAN, trace.INVALID_SPAN]  # nothing was made current
    assert telemetry.spans() == [] and telemetry.points("db.client.operation.duration") == []
    assert await db.fetchval('SELECT count(*) FROM "person"') == 5


async def test_with_an_sdk_the_same_job_is_traced(db: asyncpg.Pool, telemetry: Captured) -> None:
    current = await _current_spans_during_a_job(db)

    chunked = telemetry.span("save_batch_chunked person")
    assert [span.get_span_context().span_id for span in current] == [
        chunked.get_span_context().span_id
    ] * 2
    assert [s.name for s in telemetry.spans()] == [
        "save_batch person",
        "save_batch person",
        "save_batch_chunked person",
    ]
