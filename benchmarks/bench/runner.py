"""The measuring loop: every contender of every operation, sizes x repetitions, interleaved.

Per size and repetition, each operation's contenders (on both tables) run back to back in an
order that rotates with the repetition (:func:`benchmarks.timing.rotated`): the machine is
shared and noisy, so contenders timed minutes apart are not comparable, and none should always
run first. Before each timed job: its start state (:mod:`.workload`, untimed) and a
``gc.collect()``, so no job pays for the garbage of the one before it. What exists before the
loop starts (modules, SQLAlchemy's mapping, the connections) is moved out of the collector's
sight first (``gc.freeze()``): a full collection then costs what the last job left, not 30-50 ms
of walking every long-lived object, which over a run's thousand jobs added minutes.
"""

from __future__ import annotations

import dataclasses
import gc
import sys
import time
from collections.abc import Sequence

from ..timing import rotated, timed
from .registry import OPERATIONS, Contender, Work, contenders
from .results import Results, Sample
from .workload import START_STATES, Lane


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    sizes: Sequence[int]
    repeat: int
    #: Largest batch the single-row loops are measured at.
    loop_max: int
    #: Words a contender's name must contain one of (all contenders when empty).
    only: Sequence[str] = ()
    operations: Sequence[str] = OPERATIONS


def _entries(
    operation: str, size: int, lanes: Sequence[Lane], plan: Plan
) -> list[tuple[Contender, Lane]]:
    return [
        (c, lane)
        for c in contenders(operation, size, plan.only)
        if c.family != "single-row" or size <= plan.loop_max
        for lane in lanes
        if lane.label in c.tables
    ]


async def measure(
    lanes: Sequence[Lane], plan: Plan, results: Results, *, quiet: bool = False
) -> None:
    """Run the whole matrix, appending one :class:`Sample` per timed job to ``results``."""
    gc.collect()
    gc.freeze()
    for size in plan.sizes:
        started = time.monotonic()
        for repetition in range(plan.repeat):
            for operation in plan.operations:
                await _operation(operation, size, repetition, lanes, plan, results)
        seconds = time.monotonic() - started
        if not quiet:
            print(f"bench: {size:,} rows done in {seconds:.0f} s", file=sys.stderr)


async def _operation(
    operation: str,
    size: int,
    repetition: int,
    lanes: Sequence[Lane],
    plan: Plan,
    results: Results,
) -> None:
    start = START_STATES[operation]
    shared: dict[str, Work] = {}
    for entry, lane in rotated(_entries(operation, size, lanes, plan), repetition):
        work = shared.get(lane.label)
        if work is None:
            work = await start.make(lane, size)
            if not start.per_contender:
                shared[lane.label] = work
        job = entry.prepare(lane, work)
        gc.collect()
        _, elapsed = await timed(job)
        results.samples.append(
            Sample(operation, entry.name, entry.family, lane.label, size, repetition, elapsed)
        )
        if entry.note:
            results.notes[f"{operation}: {entry.name}"] = entry.note


async def warm_up(lanes: Sequence[Lane], plan: Plan, rows: int) -> None:
    """Every contender once on a few rows, untimed: asyncpg prepares each statement and learns
    each type's codec on its first use per connection, which the cold-start row measures on
    its own; here no contender should pay it in its first repetition only."""
    warm = dataclasses.replace(plan, sizes=[rows], repeat=1)
    await measure(lanes, warm, Results(environment={}, options={}), quiet=True)
