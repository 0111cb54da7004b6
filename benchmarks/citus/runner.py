"""The measuring loops: every contender on every target, sizes x repetitions, interleaved.

Per size, repetition, contender and shape, the targets run back to back in an order that
rotates (:func:`benchmarks.timing.rotated`), so on the shared, noisy machine the three are
timed seconds apart and none always runs first. Before each job: its start state (untimed) and
a ``gc.collect()``; around it, the CPU time of each role (:mod:`.cpu`). The audit placement
loop does the same with units of work of 1 and 100 rows.
"""

from __future__ import annotations

import dataclasses
import gc
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ..timing import rotated, timed
from .contenders import CONTENDERS, Contender
from .cpu import client, spent_ms
from .targets import Target
from .workload import SHAPES, Rows, only_parents, owner


@dataclasses.dataclass(frozen=True, slots=True)
class Sample:
    """One timed job: ``ms`` wall-clock, ``cpu`` milliseconds per role (:data:`.cpu.ROLES`)."""

    contender: str
    table: str
    shape: str
    target: str
    rows: int
    repetition: int
    ms: float
    cpu: dict[str, float]


async def _timed_on(target: Target, job: Callable[[], Awaitable[object]]) -> tuple[float, Any]:
    gc.collect()
    before = {**target.roles.nodes(), "client": client()}
    _, elapsed = await timed(job)
    after = {"client": client(), **target.roles.nodes()}
    return elapsed, spent_ms(before, after)


def _kept(only: Sequence[str]) -> list[Contender]:
    return [c for c in CONTENDERS if not only or any(w in f"{c.name} {c.table}" for w in only)]


async def measure(
    rows: Sequence[Rows],
    sizes: Sequence[int],
    repeat: int,
    loop_max: int,
    samples: list[Sample],
    checkpoint: Callable[[], None] = lambda: None,
    only: Sequence[str] = (),
) -> None:
    """Every contender at every size on every target of ``rows`` (one :class:`Rows` each);
    ``checkpoint`` after each repetition; ``only``: contenders whose name or table contains one
    of these words."""
    gc.collect()
    gc.freeze()  # what exists now is no job's garbage (as in benchmarks.bench.runner)
    turn = 0
    for size in sizes:
        started = time.monotonic()
        for repetition in range(repeat):
            for entry in [c for c in _kept(only) if not c.loop or size <= loop_max]:
                for shape in SHAPES:
                    turn += 1
                    for target_rows in rotated(rows, turn):
                        target = target_rows.target
                        work = await entry.start(target_rows, shape, size)
                        ms, cpu = await _timed_on(target, entry.prepare(target, work))
                        samples.append(
                            Sample(
                                entry.name,
                                entry.table,
                                shape,
                                target.label,
                                size,
                                repetition,
                                ms,
                                cpu,
                            )
                        )
            checkpoint()
        print(
            f"bench-citus: {size:,} rows done in {time.monotonic() - started:.0f} s",
            file=sys.stderr,
        )


#: Where audit units of work save: one owner each, a different one per unit.
UNIT_SAVE = "unit of work: save_batch"


async def audit_units(
    rows: Sequence[Rows], unit_rows: Sequence[int], units: int, repeat: int, samples: list[Sample]
) -> None:
    """``units`` units of work in a row, each saving ``n`` accounts of one owner (an audit log
    row, the rows, their history); one sample per ``n``, target and repetition, ``ms`` and
    ``cpu`` per unit."""
    turn = 0
    for repetition in range(repeat):
        for n in unit_rows:
            turn += 1
            for target_rows in rotated(rows, turn):
                target = target_rows.target
                await only_parents(target)
                batches = [target_rows.unit(owner(u), n) for u in range(units)]

                async def job(target: Target = target, batches: list[Any] = batches) -> None:
                    for batch in batches:
                        async with target.package.UnitOfWork(target.pool, actor="bench") as uow:
                            await uow.account.save_batch(batch)

                ms, cpu = await _timed_on(target, job)
                samples.append(
                    Sample(
                        UNIT_SAVE,
                        "account (audited)",
                        "one owner per unit",
                        target.label,
                        n,
                        repetition,
                        ms / units,
                        {role: v / units for role, v in cpu.items()},
                    )
                )
