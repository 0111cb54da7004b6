"""The contenders of ``make bench-citus``: one registered function per operation measured.

A contender makes its start state (untimed, :mod:`.workload`) and returns the job the runner
times, as in ``make bench`` (:mod:`benchmarks.bench.registry`)::

    @contender("load_batch", POSTING, lambda rows, shape, n: postings(rows, shape, n, stored=n))
    def load_batch(target: Target, work: Work) -> Job:
        return lambda: target.postings().load_batch(work.keys)

The runner measures each one on every target and shape; ``loop=True`` marks the row-by-row
loop, measured only up to ``--loop-max`` rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from .targets import Target
from .workload import Rows, Work, audited_accounts, changed, postings

Job = Callable[[], Awaitable[object]]
Start = Callable[[Rows, str, int], Awaitable[Work]]
POSTING, ACCOUNT = "posting", "account (audited)"


@dataclasses.dataclass(frozen=True, slots=True)
class Contender:
    name: str
    table: str
    start: Start
    prepare: Callable[[Target, Work], Job]
    loop: bool


CONTENDERS: list[Contender] = []


def contender(
    name: str, table: str, start: Start, *, loop: bool = False
) -> Callable[[Callable[[Target, Work], Job]], Callable[[Target, Work], Job]]:
    def register(prepare: Callable[[Target, Work], Job]) -> Callable[[Target, Work], Job]:
        CONTENDERS.append(Contender(name, table, start, prepare, loop))
        return prepare

    return register


def _keys(items: list[Any]) -> list[Any]:
    return [(item.owner_id, item.id) for item in items]


async def _new_postings(rows: Rows, shape: str, size: int) -> Work:
    return Work(items=await postings(rows, shape, size, stored=0))


async def _stored_postings(rows: Rows, shape: str, size: int) -> Work:
    items = await postings(rows, shape, size, stored=size)
    return Work(items=changed(items, amount=Decimal(1)), keys=_keys(items))


async def _half_stored_postings(rows: Rows, shape: str, size: int) -> Work:
    items = await postings(rows, shape, size, stored=size // 2)
    return Work(items=changed(items, amount=Decimal(2)))


async def _new_accounts(rows: Rows, shape: str, size: int) -> Work:
    return Work(items=await audited_accounts(rows, shape, size, stored=False))


async def _stored_accounts(rows: Rows, shape: str, size: int) -> Work:
    items = await audited_accounts(rows, shape, size, stored=True)
    return Work(items=changed(items, balance=Decimal(1), version=1))


@contender("save_batch", POSTING, _new_postings)
def save_batch(target: Target, work: Work) -> Job:
    return lambda: target.postings().save_batch(work.items)


@contender("save, row by row", POSTING, _new_postings, loop=True)
def save_loop(target: Target, work: Work) -> Job:
    async def loop() -> None:
        repository = target.postings()
        for item in work.items:
            await repository.save(item)

    return loop


@contender("load_batch", POSTING, _stored_postings)
def load_batch(target: Target, work: Work) -> Job:
    keys = [target.package.PostingKey(*k) for k in work.keys]
    return lambda: target.postings().load_batch(keys)


@contender("update_batch", POSTING, _stored_postings)
def update_batch(target: Target, work: Work) -> Job:
    return lambda: target.postings().update_batch(work.items)


@contender("upsert_batch", POSTING, _half_stored_postings)
def upsert_batch(target: Target, work: Work) -> Job:
    return lambda: target.postings().upsert_batch(work.items)


@contender("delete_batch", POSTING, _stored_postings)
def delete_batch(target: Target, work: Work) -> Job:
    keys = [target.package.PostingKey(*k) for k in work.keys]
    return lambda: target.postings().delete_batch(keys)


@contender("save_batch", ACCOUNT, _new_accounts)
def audited_save_batch(target: Target, work: Work) -> Job:
    return lambda: target.accounts().save_batch(work.items)


@contender("update_batch", ACCOUNT, _stored_accounts)
def audited_update_batch(target: Target, work: Work) -> Job:
    return lambda: target.accounts().update_batch(work.items)
