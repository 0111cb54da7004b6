"""An OpenTelemetry SDK for one test: spans into an in-memory exporter, metrics into an in-memory
reader, handed to batchrepo with ``use_providers`` and taken back afterwards (the global
providers stay the API's no-op proxies, so other tests run as an application without an SDK)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Tracer

from batchrepo.observe import use_providers
from tests.golden.kinds import CODEGEN
from tests.property.packages import import_from
from tests.runtime.conftest import CountingConnection, audited_schema_pool


@dataclass
class Captured:
    """What batchrepo reported during a test."""

    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader
    tracer: Tracer
    """A tracer of the test's own, for spans around batchrepo's (an application's)."""

    def spans(self, name: str | None = None) -> list[ReadableSpan]:
        """Finished spans, oldest first; only those called ``name`` when given."""
        return [s for s in self.exporter.get_finished_spans() if name is None or s.name == name]

    def span(self, name: str) -> ReadableSpan:
        (found,) = self.spans(name)
        return found

    def points(self, metric: str) -> list[tuple[dict[str, Any], Any]]:
        """``(attributes, point)`` of every data point of ``metric`` (cumulative since the
        test began)."""
        data = self.reader.get_metrics_data()
        found = []
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for each in scope.metrics:
                    if each.name == metric:
                        found += [(dict(p.attributes or {}), p) for p in each.data.data_points]
        return found

    def counted(self, metric: str, attributes: Mapping[str, Any] | None = None) -> int:
        """The sum of a counter's points (or a histogram's counts) whose attributes include
        ``attributes``."""
        total = 0
        for found, point in self.points(metric):
            if _includes(found, attributes or {}):
                total += point.count if hasattr(point, "count") else point.value
        return total


def _includes(found: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    return all(found.get(name) == value for name, value in wanted.items())


@pytest.fixture
def telemetry() -> Iterator[Captured]:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    use_providers(tracer_provider, meter_provider)
    try:
        yield Captured(exporter, reader, tracer_provider.get_tracer("tests"))
    finally:
        use_providers()
        tracer_provider.shutdown()
        meter_provider.shutdown()


@pytest.fixture(scope="module")
def shapes() -> ModuleType:
    """The golden ``shapes`` package: its ``plain`` table takes COPY and counting statements."""
    return import_from(CODEGEN.expected_dir("shapes"), "shapes")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shapes_pool(database_url: str, shapes: ModuleType) -> AsyncIterator[asyncpg.Pool]:
    async with audited_schema_pool(database_url, shapes, "observe_shapes") as pool:
        yield pool


@pytest_asyncio.fixture(loop_scope="module")
async def shapes_counting(shapes_pool: asyncpg.Pool) -> AsyncIterator[CountingConnection]:
    """A connection of the shapes pool that records what it is sent, on an empty ``plain``."""
    await shapes_pool.execute("TRUNCATE plain")
    async with shapes_pool.acquire() as proxy:
        yield CountingConnection(proxy)  # type: ignore[arg-type]
