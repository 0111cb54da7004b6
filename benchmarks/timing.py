"""Timing: measuring awaitables and printing the measurements as a markdown table.

Shared by the demo (one run per operation) and the benchmark (medians of repetitions). Times are
wall-clock (``time.perf_counter``): what a caller waits for, database round trips included.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


async def timed(work: Callable[[], Awaitable[T]]) -> tuple[T, float]:
    """Run ``work`` once; return its result and the elapsed milliseconds."""
    start = time.perf_counter()
    result = await work()
    return result, (time.perf_counter() - start) * 1000.0


def timed_sync(work: Callable[[], T]) -> tuple[T, float]:
    """Run ``work`` once; return its result and the elapsed milliseconds."""
    start = time.perf_counter()
    result = work()
    return result, (time.perf_counter() - start) * 1000.0


@dataclass(slots=True)
class Samples:
    """Repeated measurements (milliseconds) of one method on one operation and size."""

    values: list[float] = field(default_factory=list)

    def add(self, ms: float) -> None:
        self.values.append(ms)

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")


def rotated(variants: Sequence[T], repetition: int) -> list[T]:
    """``variants`` starting at a different one each repetition, so that on a shared, noisy
    machine no variant always runs first (on a cold cache) or last."""
    shift = repetition % len(variants)
    return [*variants[shift:], *variants[:shift]]


def machine() -> str:
    """CPU count and load average: absolute times only mean something next to them."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs, load average {load}"


def ms(value: float) -> str:
    """Milliseconds with as many decimals as the magnitude deserves."""
    if value != value:  # NaN: not measured
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def ratio(slow: float, fast: float) -> str:
    """How many times faster ``fast`` is than ``slow`` (e.g. ``12.3x``)."""
    if fast <= 0 or slow != slow or fast != fast:
        return "-"
    return f"{slow / fast:.1f}x"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub markdown table, columns padded so it also reads well in a terminal.

    The first column is left-aligned (names), every other right-aligned (numbers).
    """
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "| " + " | ".join(padded) + " |"

    # The separator row carries the alignment: "---:" right-aligns a column.
    rule = "|".join("-" * (w + 2) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths))
    return "\n".join([line(headers), "|" + rule + "|", *(line(row) for row in rows)])
