"""A chunked write over a stream gives what the same write over a list gives.

Hypothesis draws inputs for table person that meet every kind of failure a chunk can meet
(field rules, a key that exists, a key repeated in a later chunk, a unique value taken, a parent
written by an earlier chunk, a missing parent, an update of a missing row) and runs each through:

* a list, ``atomic=False`` (today's path, the reference);
* a generator and an async generator, ``atomic=False``: the same rows back, the same errors
  (class, row indexes counted over the whole input, keys, message), the same stats and
  committed ranges, the same table and the same key cache afterwards;
* a generator, ``atomic=True``: when the reference met no error, the same outcome; else it
  raises the reference's first chunk error and leaves the table (and, but for deletes, the
  cache) as it was;
* a list, ``atomic=True``: when it succeeds, the atomic stream succeeds alike.

Synchronous tests on a loop of their own, as in the property suite, since Hypothesis drives them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from batchrepo_codegen import devdb
from hypothesis import event, given
from hypothesis import strategies as st

from batchrepo import errors
from batchrepo import operations as ops
from batchrepo.cache.key_cache import shared_cache
from batchrepo.write.chunk_results import BatchResult
from tests.property.profiles import property_settings
from tests.runtime.builders import person
from tests.runtime.tables import DDL, PERSON, Person

SEEDS = 3
MODES = ("insert", "update", "upsert", "delete")
#: Every column but created_at, which now() sets differently in each run.
COMPARED = [c.attr for c in PERSON.columns if c.attr != "created_at"]

key_plans = st.tuples(st.sampled_from(["fresh"] * 6 + ["seed", "repeat"]), st.integers(0, 30))
parent_plans = st.tuples(
    st.sampled_from([None] * 6 + ["seed", "earlier", "missing"]), st.integers(0, 30)
)
row_plans = st.tuples(
    key_plans,
    st.sampled_from(["ok"] * 12 + ["long_name", "bad_scale"]),
    parent_plans,
    st.sampled_from([None] * 8 + ["x1", "x2"]),
)
cases = st.fixed_dictionaries(
    {
        "mode": st.sampled_from(MODES),
        "clean_rows": st.integers(0, 8),
        "rows": st.lists(row_plans, max_size=10),
        "chunk_size": st.integers(1, 6),
        "cold_cache": st.booleans(),
    }
)


def seed_id(i: int) -> uuid.UUID:
    return uuid.UUID(int=1000 + i)


CLEAN_ROW = (("fresh", 0), "ok", (None, 0), None)


def build(rows: list[tuple[Any, ...]]) -> list[Person]:
    """The entities a plan describes (fresh objects every call: writes fill them in)."""
    keys: list[uuid.UUID] = []
    built = []
    for row, ((kind, n), field, parent, external) in enumerate(rows):
        if kind == "seed":
            key = seed_id(n % SEEDS)
        elif kind == "repeat" and keys:
            key = keys[n % len(keys)]
        else:
            key = uuid.UUID(int=2000 + row)
        keys.append(key)
        parent_id = None
        pkind, m = parent
        if pkind is not None:
            parent_id = {
                "seed": seed_id(m % SEEDS),
                "earlier": keys[m % len(keys)],
                "missing": uuid.UUID(int=9999),
            }[pkind]
        item = person(
            id=key,
            display_name=f"p{row}",
            organization_person_id=parent_id,
            external_identifier=external,
        )
        if field == "long_name":
            item.display_name = "x" * 101
        elif field == "bad_scale":
            item.balance = Decimal("0.125")
        built.append(item)
    return built


def canonical(item: Any) -> Any:
    if isinstance(item, Person):
        return tuple(getattr(item, attr) for attr in COMPARED)
    return item  # a key (deletes)


def error_shape(error: errors.BatchRepoError) -> tuple[Any, ...]:
    return (type(error).__name__, error.rows, error.keys, str(error))


def outcome(result: BatchResult[Any]) -> dict[str, Any]:
    stats = result.stats
    return {
        "items": [canonical(item) for item in result.items],
        "errors": [(e.start, e.stop, *error_shape(e.error)) for e in result.errors],
        "stats": (stats.total, stats.succeeded, stats.failed, stats.chunks, stats.affected),
        "committed": result.committed,
    }


class Bench:
    """The pool of the module's database and the loop it lives on."""

    def __init__(self, loop: asyncio.AbstractEventLoop, pool: asyncpg.Pool) -> None:
        self.loop = loop
        self.pool = pool

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    async def reset(self, cold_cache: bool) -> None:
        await self.pool.execute("TRUNCATE person CASCADE")
        shared_cache(self.pool).clear()
        seeds = [person(id=seed_id(i), display_name=f"seed {i}") for i in range(SEEDS)]
        seeds[2].external_identifier = "x1"
        await ops.save_batch(self.pool, PERSON, seeds)
        if cold_cache:
            shared_cache(self.pool).clear()

    async def table(self) -> list[tuple[Any, ...]]:
        columns = ", ".join(f'"{attr}"' for attr in COMPARED)
        return [
            tuple(r) for r in await self.pool.fetch(f"SELECT {columns} FROM person ORDER BY id")
        ]

    def cache(self) -> dict[Any, Any]:
        return shared_cache(self.pool).entries("person")


@pytest.fixture(scope="module")
def bench(pg_admin_url: str) -> Iterator[Bench]:
    """A database of its own, created on the module's loop (pytest-asyncio's is not running
    while a synchronous test runs)."""
    loop = asyncio.new_event_loop()
    run = loop.run_until_complete
    name = devdb.unique_database_name("stream_equivalence")
    url = run(devdb.create_database(pg_admin_url, name))
    pool = run(asyncpg.create_pool(url, min_size=1, max_size=2, loop=loop))
    try:
        run(pool.execute(DDL))
        yield Bench(loop, pool)
    finally:
        run(pool.close())
        run(devdb.drop_database(pg_admin_url, name))
        loop.close()


def as_generator(values: list[Any]) -> Iterator[Any]:
    yield from values


async def as_async_generator(values: list[Any]) -> AsyncIterator[Any]:
    for value in values:
        await asyncio.sleep(0)
        yield value


Shape = Callable[[list[Any]], Any]


async def chunked(bench: Bench, case: dict[str, Any], shape: Shape, atomic: bool) -> Any:
    """One run from the seeded state: (outcome or raised error shape, table, cache)."""
    await bench.reset(case["cold_cache"])
    # clean rows first, so the first failing chunk is often a later one: that is where row
    # indexes counted over the whole input, and chunks written before a failure, show
    items: list[Any] = build([CLEAN_ROW] * case["clean_rows"] + case["rows"])
    mode = case["mode"]
    if mode == "delete":
        items = [item.id for item in items]
    call = {
        "insert": ops.save_batch_chunked,
        "update": ops.update_batch_chunked,
        "upsert": ops.upsert_batch_chunked,
        "delete": ops.delete_batch_chunked,
    }[mode]
    try:
        result = await call(
            bench.pool, PERSON, shape(items), chunk_size=case["chunk_size"], atomic=atomic
        )
        done: Any = outcome(result)
    except errors.BatchRepoError as error:
        done = error_shape(error)
    return done, await bench.table(), bench.cache()


def check_streams_match_the_list(bench: Bench, case: dict[str, Any]) -> None:
    reference = bench.run(chunked(bench, case, list, atomic=False))
    bench.run(bench.reset(case["cold_cache"]))
    before = (bench.run(bench.table()), bench.cache())
    for shape in (as_generator, as_async_generator):
        assert bench.run(chunked(bench, case, shape, atomic=False)) == reference, shape.__name__

    atomic_done, atomic_table, atomic_cache = bench.run(
        chunked(bench, case, as_generator, atomic=True)
    )
    reference_done, _table, _cache = reference
    failed = reference_done["errors"]
    event(f"first failing chunk starts at row {failed[0][0] if failed else None}")
    if reference_done["errors"]:
        first = reference_done["errors"][0][2:]
        assert atomic_done == first
        assert atomic_table == before[0]
        if case["mode"] != "delete":  # deletes forget keys at once, as a savepoint's layer does
            assert atomic_cache == before[1]
        assert set(atomic_cache) <= set(before[1])
    else:
        assert (atomic_done, atomic_table, atomic_cache) == reference

    listed = bench.run(chunked(bench, case, list, atomic=True))
    event(f"list atomic: {'ok' if isinstance(listed[0], dict) else listed[0][0]}")
    if isinstance(listed[0], dict):
        assert (atomic_done, atomic_table, atomic_cache) == listed


@property_settings(scale=2)
@given(case=cases)
def test_a_stream_writes_as_the_list_does(bench: Bench, case: dict[str, Any]) -> None:
    check_streams_match_the_list(bench, case)
