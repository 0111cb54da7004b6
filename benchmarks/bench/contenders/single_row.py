"""The row-by-row loop batching replaces: the one-row repository method called per row.

Two kinds for writes: **autocommit**, each call on its own (what a loop over a bare connection
does; each write commits, and an audited one writes its own ``audit_log`` row), and **one
transaction** around the whole loop (the fair baseline: it measures round trips rather than
commits). Reads loop without a transaction, as an application would. The runner measures loops
only up to ``--loop-max`` rows: at 100,000 a loop takes minutes and says nothing new.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ..registry import AUDITED, PLAIN, Job, Work, contender
from ..workload import Lane

BOTH = (PLAIN, AUDITED)
AUTOCOMMIT = "single-row loop, autocommit"
IN_TRANSACTION = "single-row loop, one transaction"


def _loop(call: Callable[[Any], Awaitable[object]], inputs: Sequence[Any]) -> Job:
    async def job() -> None:
        for one in inputs:
            await call(one)

    return job


def _in_transaction(
    lane: Lane, call: Callable[[Any], Awaitable[object]], inputs: Sequence[Any]
) -> Job:
    async def job() -> None:
        async with lane.conn.transaction():
            for one in inputs:
                await call(one)

    return job


@contender("insert", AUTOCOMMIT, family="single-row", tables=BOTH)
def save_each(lane: Lane, work: Work) -> Job:
    return _loop(lane.repository().save, work.items)


@contender("insert", IN_TRANSACTION, family="single-row", tables=BOTH)
def save_each_in_transaction(lane: Lane, work: Work) -> Job:
    return _in_transaction(lane, lane.repository().save, work.items)


@contender("load", AUTOCOMMIT, family="single-row", tables=BOTH)
def load_each(lane: Lane, work: Work) -> Job:
    return _loop(lane.repository().load, work.keys)


@contender("exists", AUTOCOMMIT, family="single-row", tables=BOTH)
def exists_each(lane: Lane, work: Work) -> Job:
    return _loop(lane.repository().exists, work.keys)


@contender("update", AUTOCOMMIT, family="single-row", tables=BOTH)
def update_each(lane: Lane, work: Work) -> Job:
    return _loop(lane.repository().update, work.items)


@contender("update", IN_TRANSACTION, family="single-row", tables=BOTH)
def update_each_in_transaction(lane: Lane, work: Work) -> Job:
    return _in_transaction(lane, lane.repository().update, work.items)


@contender("delete", AUTOCOMMIT, family="single-row", tables=BOTH)
def delete_each(lane: Lane, work: Work) -> Job:
    return _loop(lane.repository().delete, work.keys)


@contender("delete", IN_TRANSACTION, family="single-row", tables=BOTH)
def delete_each_in_transaction(lane: Lane, work: Work) -> Job:
    return _in_transaction(lane, lane.repository().delete, work.keys)


@contender("upsert", AUTOCOMMIT, family="single-row")
def upsert_each(lane: Lane, work: Work) -> Job:
    return _loop(lane.repository().upsert, work.items)


@contender("upsert", IN_TRANSACTION, family="single-row")
def upsert_each_in_transaction(lane: Lane, work: Work) -> Job:
    return _in_transaction(lane, lane.repository().upsert, work.items)
