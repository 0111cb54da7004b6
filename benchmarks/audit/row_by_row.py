"""Single-row loops run in lockstep, one row of each in turn, each loop timed on its own.

A loop of 1,000 one-row writes takes a second or two, and on a shared machine the load changes
within that: two loops run one after the other can differ by 2x for no reason of their own.
Interleaving them row by row exposes every loop to the same moments, so their difference is
what they do differently (a savepoint, an ``audit_log`` row, the history), not when they ran.

Each loop has a scope it runs in (a unit of work, or a transaction), opened and closed under
the clock as part of its time, and a one-row method. The loops use separate connections: each
scope is a transaction open for the whole loop.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

from ..timing import rotated


@dataclass(frozen=True)
class Loop:
    """One single-row loop: ``write(opened)(item)`` for each item, inside ``scope``, where
    ``opened`` is what entering the scope gave (the unit of work, say)."""

    scope: AbstractAsyncContextManager[Any]
    write: Callable[[Any], Callable[[Any], Awaitable[Any]]]
    items: Sequence[Any]


@dataclass
class _Running:
    loop: Loop
    method: Callable[[Any], Awaitable[Any]] | None = None
    results: list[Any] = field(default_factory=list)
    seconds: float = 0.0


async def in_lockstep(loops: Sequence[Loop]) -> list[tuple[list[Any], float]]:
    """Per loop, in the order given: the results of its writes and its milliseconds (scope
    opening and closing included). Row ``i`` of every loop runs before row ``i + 1`` of any,
    the loops taking turns in an order that rotates with ``i``.

    A failing write closes every open scope with the error (rolling it back) and propagates.
    """
    if len({len(loop.items) for loop in loops}) > 1:
        raise ValueError("loops in lockstep need the same number of items")
    running = [_Running(loop) for loop in loops]
    opened: list[_Running] = []
    try:
        for run in running:
            start = time.perf_counter()
            entered = await run.loop.scope.__aenter__()
            opened.append(run)
            run.method = run.loop.write(entered)
            run.seconds += time.perf_counter() - start
        for row in range(len(loops[0].items) if loops else 0):
            for run in rotated(running, row):
                assert run.method is not None
                start = time.perf_counter()
                run.results.append(await run.method(run.loop.items[row]))
                run.seconds += time.perf_counter() - start
        while opened:
            run = opened.pop()
            start = time.perf_counter()
            await run.loop.scope.__aexit__(None, None, None)
            run.seconds += time.perf_counter() - start
    except BaseException as exc:
        for run in reversed(opened):  # roll back what is still open, keep the first error
            try:
                await run.loop.scope.__aexit__(type(exc), exc, exc.__traceback__)
            except Exception as during:
                exc.add_note(f"closing a loop's scope after the error failed too: {during!r}")
        raise
    return [(run.results, run.seconds * 1000.0) for run in running]
