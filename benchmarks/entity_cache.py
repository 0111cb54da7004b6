"""The entity read cache: hit rate and load speed-up (issue 14, "Entity read cache").

10,000 rows of the ledger's audited ``person`` on the embedded PostgreSQL. Each repetition runs
every variant once, in a rotating order, each making ``--calls`` calls of ``load_batch`` of
``--keys`` keys on a pool, keys drawn from a fixed seed:

* ``no cache``: the table not opted in: every call is one ``= ANY`` statement;
* ``hot set, cached``: keys drawn from 1,000 of the rows, cache bound 10,000 rows: after the
  first calls nearly every key is a hit and most calls send no statement;
* ``uniform, cached``: keys drawn from all 10,000 rows with a bound of 2,000 rows: about one
  key in five is a hit, and every call still sends a statement for the rest.

Each cached variant starts from an empty cache in every repetition (its warm-up counts). Prints
the median ms per call, the speed-up against ``no cache`` and the hit rate.

    PYTHONPATH=generated .venv/bin/python -m benchmarks.entity_cache [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import uuid
from collections.abc import Sequence

import asyncpg
import ledger
from batchrepo_codegen import devdb
from ledger import Person, PersonRepository, PersonType
from ledger.person import PERSON_TABLE

from batchrepo import KeyCache, Session, as_session, cache_entities

from .options import add_repeat, check_repeat, environment
from .timing import Samples, markdown_table, ms, ratio, rotated

ROWS = 10_000
VARIANTS = ("no cache", "hot set, cached", "uniform, cached")


def _people(count: int) -> list[Person]:
    return [
        Person(
            person_type=PersonType.NATURAL,
            display_name=f"person {i}",
            external_identifier=f"x-{i}",
        )
        for i in range(count)
    ]


def _draws(keys: Sequence[uuid.UUID], calls: int, size: int, seed: int) -> list[list[uuid.UUID]]:
    chooser = random.Random(seed)
    return [chooser.sample(list(keys), size) for _ in range(calls)]


async def _run(
    pool: asyncpg.Pool, variant: str, draws: list[list[uuid.UUID]]
) -> tuple[float, float]:
    """(median ms per call, hit rate) of one variant over ``draws``."""
    cache = KeyCache()
    if variant != "no cache":
        bound = 10_000 if variant.startswith("hot") else 2_000
        cache_entities(cache, PERSON_TABLE, ttl=600, max_rows=bound)
    people = PersonRepository(Session(pool, cache=cache))
    samples = Samples()
    for keys in draws:
        start = time.perf_counter()
        await people.load_batch(keys)
        samples.add((time.perf_counter() - start) * 1000)
    return samples.median, cache.entities.stats("person").hit_rate


async def main(repeat: int, calls: int, size: int) -> None:
    with devdb.server() as admin:
        url = await devdb.create_database(admin, devdb.unique_database_name("entity_cache"))
        pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
        try:
            await pool.execute(ledger.ddl())
            saved = await PersonRepository(as_session(pool, actor="bench")).save_batch(
                _people(ROWS)
            )
            keys = [p.id for p in saved]
            hot = _draws(keys[:1000], calls, size, seed=1)
            uniform = _draws(keys, calls, size, seed=2)
            medians: dict[str, Samples] = {v: Samples() for v in VARIANTS}
            rates: dict[str, Samples] = {v: Samples() for v in VARIANTS}
            for repetition in range(repeat):
                for variant in rotated(VARIANTS, repetition):
                    draws = uniform if variant.startswith("uniform") else hot
                    median, rate = await _run(pool, variant, draws)
                    medians[variant].add(median)
                    rates[variant].add(rate * 100)
            async with pool.acquire() as conn:
                print(await environment(conn))
            base = medians["no cache"].median
            rows = [
                [
                    variant,
                    ms(medians[variant].median),
                    ratio(base, medians[variant].median),
                    f"{rates[variant].median:.0f}%",
                ]
                for variant in VARIANTS
            ]
            headers = [f"load_batch of {size} keys, {calls} calls", "ms/call", "speed-up", "hits"]
            print(markdown_table(headers, rows))
        finally:
            await pool.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.entity_cache")
    add_repeat(parser, 5)
    parser.add_argument("--calls", type=int, default=200, help="load_batch calls per variant")
    parser.add_argument("--keys", type=int, default=100, help="keys per call")
    args = parser.parse_args()
    check_repeat(parser, args)
    asyncio.run(main(args.repeat, args.calls, args.keys))
    sys.exit(0)
