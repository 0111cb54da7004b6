"""One-owner batches on a Citus cluster, routed to one shard against the statement that runs on
every shard, and the insert forms side by side (docs/citus.md, "Which statements run on one
shard").

The ``distributed`` golden case (package ``sharded``) on a coordinator and two workers started by
``batchrepo_codegen.devcluster`` (4 shards), or on the database ``--url`` names (its schema made
by ``schema.sql`` and ``citus.sql`` already). Every batch holds the rows of one owner. "routed"
is the generated spec (its ``RoutingSpec`` picks the routed twin), "unrouted" the same spec
without it; each has an owner of its own, so their rows never meet. Inserts have no routed twin:
``INSERT ... SELECT FROM unnest`` (what ``save_batch`` sends) is set beside COPY (``save_batch``
with a policy that copies) and a multi-row ``VALUES`` prepared for the batch size, which Citus
router-plans. Every repetition runs each contender once, in alternating order; medians are
printed as rows per second.

    PYTHONPATH=. .venv/bin/python -m benchmarks.citus_routing [--sizes 100,1000] [--repeat 7]
        [--url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import asyncpg
from batchrepo_codegen import devcluster

import batchrepo
from batchrepo import operations as ops
from batchrepo.session import WritePolicy, as_session
from tests.citus.conftest import CITUS_SETTINGS, SHARDED, create_schema
from tests.property.packages import import_from

sharded = import_from(SHARDED, "sharded")
ACCOUNT = sharded.account.ACCOUNT_TABLE
POSTING = sharded.posting.POSTING_TABLE
UNROUTED = {
    "account": dataclasses.replace(ACCOUNT, routing=None),
    "posting": dataclasses.replace(POSTING, routing=None),
}
ROUTED = {"account": ACCOUNT, "posting": POSTING}


def _accounts(owner: uuid.UUID, n: int) -> list[Any]:
    return [
        sharded.Account(
            owner_id=owner,
            id=uuid.uuid4(),
            kind=sharded.AccountKind.CURRENT,
            iban=f"DE{i:08d}",
            country="DE",
        )
        for i in range(n)
    ]


def _postings(account: Any, n: int) -> list[Any]:
    return [
        sharded.Posting(
            owner_id=account.owner_id, id=uuid.uuid4(), account_id=account.id, amount=Decimal(i)
        )
        for i in range(n)
    ]


async def _timed(work: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


class Owner:
    """One owner's rows: ``n`` accounts and ``n`` postings on the first, written through
    ``specs`` (routed or not)."""

    def __init__(self, pool: asyncpg.Pool, specs: dict[str, Any], n: int) -> None:
        self.pool, self.specs, self.n = pool, specs, n
        self.id = uuid.uuid4()
        self.session = as_session(pool, actor="bench")
        self.accounts: list[Any] = []
        self.postings: list[Any] = []
        self.balance = 0

    async def seed(self) -> None:
        self.accounts = await ops.save_batch(
            self.session, self.specs["account"], _accounts(self.id, self.n)
        )
        await self.new_postings()

    async def new_postings(self) -> None:
        self.postings = await ops.save_batch(
            self.session, self.specs["posting"], _postings(self.accounts[0], self.n)
        )

    def keys(self) -> list[Any]:
        return [sharded.AccountKey(a.owner_id, a.id) for a in self.accounts]

    async def load(self) -> None:
        found = await ops.load_batch(self.session, self.specs["account"], self.keys())
        assert all(found)

    async def exists(self) -> None:
        assert all(await ops.exists_batch(self.session, self.specs["account"], self.keys()))

    async def update_audited(self) -> None:
        self.balance += 1
        changed = [dataclasses.replace(a, balance=Decimal(self.balance)) for a in self.accounts]
        self.accounts = await ops.update_batch(self.session, self.specs["account"], changed)

    async def update_plain(self) -> None:
        changed = [dataclasses.replace(p, amount=p.amount + 1) for p in self.postings]
        self.postings = await ops.update_batch(self.session, self.specs["posting"], changed)

    async def delete_plain(self) -> None:
        keys = [sharded.PostingKey(p.owner_id, p.id) for p in self.postings]
        assert await ops.delete_batch(self.session, self.specs["posting"], keys) == self.n


async def _values_insert(conn: asyncpg.Connection, rows: list[Any]) -> None:
    """A multi-row VALUES of the batch's size (not generated: one statement per size)."""
    values = ", ".join(
        f"(${k + 1}::uuid, ${k + 2}::uuid, ${k + 3}::uuid, ${k + 4}::numeric, now())"
        for k in range(0, 4 * len(rows), 4)
    )
    sql = (
        'INSERT INTO "posting" ("owner_id", "id", "account_id", "amount", "booked_at")\n'
        f"VALUES {values}\n"
        'RETURNING "owner_id", "id", "account_id", "amount", "booked_at"'
    )
    await conn.fetch(sql, *[v for p in rows for v in (p.owner_id, p.id, p.account_id, p.amount)])


async def _run(url: str, fresh: bool, sizes: list[int], repeat: int) -> None:
    if fresh:
        await create_schema(url, sharded)
    pool = await batchrepo.create_pool(
        url, sharded, min_size=2, max_size=2, server_settings=CITUS_SETTINGS
    )
    await sharded.CountryRepository(pool).upsert(sharded.Country(code="DE", name="Germany"))
    print("| operation | rows | routed rows/s | unrouted rows/s | routed / unrouted |")
    print("|---|---:|---:|---:|---:|")
    for n in sizes:
        routed, unrouted = Owner(pool, ROUTED, n), Owner(pool, UNROUTED, n)
        await routed.seed()
        await unrouted.seed()
        for name, work in (
            ("load_batch", Owner.load),
            ("exists_batch", Owner.exists),
            ("update_batch (audited account)", Owner.update_audited),
            ("update_batch (posting)", Owner.update_plain),
            ("delete_batch (posting)", Owner.delete_plain),
        ):
            times: dict[str, list[float]] = {"r": [], "u": []}
            for rep in range(repeat):
                order = [("r", routed), ("u", unrouted)]
                for label, owner in order if rep % 2 == 0 else order[::-1]:
                    times[label].append(await _timed(functools.partial(work, owner)))
                    if work is Owner.delete_plain:
                        await owner.new_postings()
            r, u = n / statistics.median(times["r"]), n / statistics.median(times["u"])
            print(f"| {name} | {n} | {r:,.0f} | {u:,.0f} | {r / u:.2f} |")
    print()
    print("| insert of one owner's postings | rows | rows/s |")
    print("|---|---:|---:|")
    copying = WritePolicy(copy_from_rows=0)
    for n in sizes:
        owner = Owner(pool, ROUTED, n)
        await owner.seed()
        account = owner.accounts[0]
        statement = WritePolicy(copy_from_rows=None)
        contenders: dict[str, Callable[[], Awaitable[object]]] = {
            "INSERT ... SELECT FROM unnest (save_batch)": functools.partial(
                _copied, pool, statement, account, n
            ),
            "COPY (save_batch, copy_from_rows=0)": functools.partial(
                _copied, pool, copying, account, n
            ),
            "multi-row VALUES (not generated)": functools.partial(_values, pool, account, n),
        }
        times2: dict[str, list[float]] = {name: [] for name in contenders}
        for rep in range(repeat):
            names = list(contenders)
            for name in names if rep % 2 == 0 else names[::-1]:
                times2[name].append(await _timed(contenders[name]))
        for name, spent in times2.items():
            print(f"| {name} | {n} | {n / statistics.median(spent):,.0f} |")
    await pool.close()


async def _copied(pool: asyncpg.Pool, policy: WritePolicy, account: Any, n: int) -> None:
    """``save_batch`` on one connection, by COPY or by statement as ``policy`` says."""
    async with pool.acquire() as conn:
        await ops.save_batch(as_session(conn, policy=policy), POSTING, _postings(account, n))


async def _values(pool: asyncpg.Pool, account: Any, n: int) -> None:
    async with pool.acquire() as conn:
        await _values_insert(conn, _postings(account, n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.url is not None:
        asyncio.run(_run(args.url, False, sizes, args.repeat))
        return
    with devcluster.cluster(workers=2) as nodes:

        async def fresh() -> None:
            url = await devcluster.create_database(nodes, "bench_routing")
            try:
                await _run(url, True, sizes, args.repeat)
            finally:
                await devcluster.drop_database(nodes, url)

        asyncio.run(fresh())


if __name__ == "__main__":
    main()
