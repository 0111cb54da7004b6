"""The key cache: LRU per table, limits, disabled tables, unit-of-work layers and their
visibility, views, the per-pool registry, and warming up from a real table."""

from __future__ import annotations

import dataclasses
from typing import Any

import asyncpg
import pytest

from batchrepo.cache import key_cache as cache_module
from batchrepo.cache.key_cache import CacheStats, KeyCache, shared_cache
from batchrepo.cache.views import CacheLayer, DirectView, ReadOnlyView
from batchrepo.db.arguments import batch_arguments
from batchrepo.spec import AuditSpec, E, TableSpec
from tests.runtime.builders import account, people, person
from tests.runtime.conftest import CountingConnection
from tests.runtime.tables import ACCOUNT, CURRENCY, PERSON, AccountKey, Currency


async def save(db: asyncpg.Pool, spec: TableSpec[E, Any], *items: E) -> list[E]:
    """Rows stored by the spec's own insert statement: these tests need no operations."""
    columns = spec.to_columns(items)
    arguments = batch_arguments(spec, columns, spec.insert_columns)
    return [
        spec.from_record(record) for record in await db.fetch(spec.sql.insert_batch, *arguments)
    ]


# The hand-written specs predate select_keys; warm-up needs it.
PERSON_KEYS = dataclasses.replace(
    PERSON, sql=dataclasses.replace(PERSON.sql, select_keys='SELECT "id" FROM "person" LIMIT $1')
)
ACCOUNT_KEYS = dataclasses.replace(
    ACCOUNT,
    sql=dataclasses.replace(
        ACCOUNT.sql,
        select_keys='SELECT "branch_code", "account_number" FROM "account" LIMIT $1::int8',
    ),
)
CURRENCY_KEYS = dataclasses.replace(
    CURRENCY,
    sql=dataclasses.replace(
        CURRENCY.sql, select_keys='SELECT "code" FROM "currency" LIMIT $1::int8'
    ),
)
# An audited table's select_keys returns the version after the key columns; the account number
# plays the version here, so the test can tell which value was read.
ACCOUNT_AUDITED = dataclasses.replace(
    ACCOUNT,
    sql=dataclasses.replace(
        ACCOUNT.sql,
        select_keys=(
            'SELECT "branch_code", "account_number", "account_number" * 10 FROM "account" '
            "LIMIT $1::int8"
        ),
    ),
    audit=AuditSpec(history_table="account_history", version_column=4, insert_log_sql=""),
)


# --- the global cache ------------------------------------------------------------------------


def test_unknown_keys_are_none_and_added_keys_true_with_their_versions() -> None:
    cache = KeyCache()
    assert cache.lookup("t", [1, 2]) == [None, None]
    cache.add("t", [1, 2], [5, None])
    assert cache.lookup("t", [2, 3, 1]) == [True, None, True]
    assert (cache.version("t", 1), cache.version("t", 2), cache.version("t", 3)) == (5, None, None)
    assert cache.lookup("other", [1]) == [None]  # tables are separate
    cache.add("t", [1])  # learned to exist again, version unknown: the old one may be stale
    assert cache.version("t", 1) is None
    assert cache.stats("t") == CacheStats(hits=2, misses=3, evictions=0, invalidations=0)


def test_composite_keys_are_tuples_and_named_tuples_find_them() -> None:
    cache = KeyCache()
    cache.add("account", [("B001", 1)])
    assert cache.lookup("account", [AccountKey("B001", 1), ("B001", 2)]) == [True, None]


def test_least_recently_used_keys_go_first_at_the_limit() -> None:
    cache = KeyCache(max_entries=3)
    cache.add("t", ["a", "b", "c"])
    assert cache.lookup("t", ["a"]) == [True]  # a is now the most recent
    cache.add("t", ["d"])
    assert cache.lookup("t", ["a", "b", "c", "d"]) == [True, None, True, True]
    cache.add("t", ["e", "f"])
    assert cache.size("t") == 3
    assert cache.lookup("t", ["d", "e", "f"]) == [True, True, True]
    assert cache.stats("t").evictions == 3


def test_limits_per_table_override_the_default() -> None:
    cache = KeyCache(max_entries=2, limits={"big": None, "small": 1})
    cache.add("big", range(1000))
    cache.add("small", [1, 2, 3])
    cache.add("default", [1, 2, 3])
    assert (cache.size("big"), cache.size("small"), cache.size("default")) == (1000, 1, 2)
    assert cache.lookup("small", [3]) == [True]  # the last added survives
    assert (cache.limit("big"), cache.limit("small"), cache.limit("default")) == (None, 1, 2)


def test_disabled_tables_and_a_zero_limit_store_nothing() -> None:
    cache = KeyCache(disabled={"off"}, limits={"zero": 0})
    for table in ("off", "zero"):
        cache.add(table, [1, 2])
        assert not cache.enabled(table)
        assert cache.size(table) == 0
        assert cache.lookup(table, [1]) == [None]
    assert cache.enabled("on")


def test_bad_limits_and_mismatched_versions_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        KeyCache(limits={"t": -1})
    with pytest.raises(ValueError, match="2 keys but 1 versions"):
        KeyCache().add("t", [1, 2], [1])


def test_evict_and_clear_forget_keys() -> None:
    cache = KeyCache()
    cache.add("t", [1, 2, 3])
    cache.add("u", [1])
    cache.evict("t", [2, 99])
    assert cache.lookup("t", [1, 2, 3]) == [True, None, True]
    assert cache.stats("t").invalidations == 1  # 99 was not there
    cache.clear("t")
    assert (cache.size("t"), cache.size("u")) == (0, 1)
    cache.clear()
    assert cache.size("u") == 0


def test_entries_list_keys_and_versions_without_touching_order_or_statistics() -> None:
    cache = KeyCache(max_entries=2)
    assert cache.entries("t") == {}
    cache.add("t", ["a", "b"], [3, None])
    entries = cache.entries("t")
    assert entries == {"a": 3, "b": None} and list(entries) == ["a", "b"]
    entries["c"] = 1  # a copy: changing it changes nothing in the cache
    assert cache.size("t") == 2 and cache.stats("t") == CacheStats()
    cache.add("t", ["c"])  # "a" is still the least recently used: listing did not use it
    assert cache.entries("t") == {"b": None, "c": None}


# --- views -----------------------------------------------------------------------------------


def test_direct_view_writes_through_and_read_only_view_only_forgets() -> None:
    cache = KeyCache()
    direct = DirectView(cache)
    direct.record_present("t", [1, 2], [3, 4])
    assert cache.lookup("t", [1, 2]) == [True, True]
    assert direct.version("t", 2) == 4
    read_only = ReadOnlyView(cache)
    read_only.record_present("t", [5])
    assert cache.lookup("t", [5]) == [None]
    assert read_only.lookup("t", [1, 5]) == [True, None]
    read_only.record_absent("t", [1])
    assert cache.lookup("t", [1]) == [None]
    direct.record_absent("t", [2])
    assert cache.size("t") == 0


# --- unit-of-work layers ---------------------------------------------------------------------


def test_a_layer_keeps_what_it_wrote_until_commit() -> None:
    cache = KeyCache()
    cache.add("t", [1])
    layer = CacheLayer(cache)
    layer.record_present("t", [2], [7])
    assert layer.lookup("t", [1, 2, 3]) == [True, True, None]
    assert layer.version("t", 2) == 7
    assert cache.lookup("t", [2]) == [None]  # not committed: invisible to everyone else
    layer.commit()
    assert cache.lookup("t", [1, 2]) == [True, True]
    assert cache.version("t", 2) == 7
    assert layer.lookup("t", [2]) == [True]  # now from the global cache


def test_a_layer_deletion_evicts_globally_at_once_and_reads_as_known_absent() -> None:
    cache = KeyCache()
    cache.add("t", [1, 2], [1, 1])
    layer = CacheLayer(cache)
    layer.record_absent("t", [1])
    assert cache.lookup("t", [1]) == [None]
    assert layer.lookup("t", [1, 2]) == [False, True]
    assert layer.version("t", 1) is None
    cache.add("t", [1])  # another unit of work committed the key meanwhile
    assert layer.lookup("t", [1]) == [False]  # this transaction deleted it: still absent here
    layer.record_present("t", [1])  # inserted again in this unit of work
    assert layer.lookup("t", [1]) == [True]


def test_rolled_back_layer_leaves_the_global_cache_without_its_keys() -> None:
    cache = KeyCache()
    cache.add("t", [1])
    layer = CacheLayer(cache)
    layer.record_present("t", [2])
    layer.record_absent("t", [1])
    layer.discard()
    assert cache.lookup("t", [1, 2]) == [None, None]  # the eviction stays: forgetting is safe
    assert layer.lookup("t", [1, 2]) == [None, None]


def test_savepoint_layers_see_their_parent_and_merge_on_release_only() -> None:
    cache = KeyCache()
    unit = CacheLayer(cache)
    unit.record_present("t", [1])
    unit.record_absent("t", [9])
    savepoint = unit.child()
    assert savepoint.lookup("t", [1, 9, 5]) == [True, False, None]
    savepoint.record_present("t", [2], [3])
    savepoint.record_absent("t", [1])
    assert unit.lookup("t", [1, 2]) == [True, None]  # not released yet
    assert savepoint.lookup("t", [1, 2]) == [False, True]
    savepoint.merge_into_parent()
    assert unit.lookup("t", [1, 2]) == [False, True]
    assert unit.version("t", 2) == 3
    assert cache.lookup("t", [2]) == [None]  # still inside the unit of work
    unit.commit()
    assert cache.lookup("t", [1, 2, 9]) == [None, True, None]


def test_a_rolled_back_savepoint_loses_its_keys_but_not_its_parents() -> None:
    cache = KeyCache()
    unit = CacheLayer(cache)
    unit.record_present("t", [1])
    savepoint = unit.child()
    savepoint.record_present("t", [2])
    savepoint.discard()
    unit.commit()
    assert cache.lookup("t", [1, 2]) == [True, None]


def test_only_a_top_layer_commits_and_only_a_savepoint_merges() -> None:
    unit = CacheLayer(KeyCache())
    with pytest.raises(RuntimeError, match="commit"):
        unit.merge_into_parent()
    with pytest.raises(RuntimeError, match="parent"):
        unit.child().commit()


def test_layers_of_disabled_tables_answer_none_and_store_nothing() -> None:
    cache = KeyCache(disabled={"off"})
    layer = CacheLayer(cache)
    layer.record_present("off", [1])
    layer.record_absent("off", [2])
    assert layer.lookup("off", [1, 2]) == [None, None]
    layer.commit()
    assert cache.size("off") == 0


def test_a_layer_holds_at_most_the_table_limit_newest_first() -> None:
    cache = KeyCache(max_entries=2)
    layer = CacheLayer(cache)
    layer.record_present("t", [1, 2, 3])
    assert layer.lookup("t", [1, 2, 3]) == [None, True, True]
    layer.commit()
    assert cache.lookup("t", [1, 2, 3]) == [None, True, True]


# --- with a database -------------------------------------------------------------------------


async def test_one_shared_cache_per_pool_dropped_when_the_pool_closes(
    db: asyncpg.Pool, database_url: str
) -> None:
    assert shared_cache(db) is shared_cache(db)
    other = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    try:
        assert shared_cache(other) is not shared_cache(db)
        shared_cache(other).add("t", [1])
    finally:
        await other.close()
    shared_cache(db)  # any call drops the caches of closed pools
    assert all(held is not other for held, _ in cache_module._by_pool_id.values())


async def test_warm_reads_the_keys_of_a_table(db: asyncpg.Pool) -> None:
    saved = await save(db, PERSON, *people(5))
    cache = KeyCache()
    assert await cache.warm(db, PERSON_KEYS) == 5
    assert cache.lookup("person", [p.id for p in saved]) == [True] * 5
    assert cache.version("person", saved[0].id) is None  # not audited


async def test_warm_stops_at_the_limit_asked_and_at_the_table_limit(db: asyncpg.Pool) -> None:
    await save(db, PERSON, *people(6))
    assert await KeyCache().warm(db, PERSON_KEYS, limit=2) == 2
    bounded = KeyCache(limits={"person": 3})
    assert await bounded.warm(db, PERSON_KEYS) == 3
    assert await bounded.warm(db, PERSON_KEYS, limit=10) == 3
    assert bounded.stats("person").evictions == 0  # never read more than it can hold


async def test_warm_makes_composite_and_char_keys_comparable(db: asyncpg.Pool) -> None:
    (owner,) = await save(db, PERSON, person())
    await save(db, ACCOUNT, account(owner.id, 1), account(owner.id, 2))
    await save(db, CURRENCY, Currency(code="USD", name="US dollar"))
    cache = KeyCache()
    assert await cache.warm(db, ACCOUNT_KEYS) == 2
    assert await cache.warm(db, CURRENCY_KEYS) == 1
    assert cache.lookup("account", [AccountKey("B001", 1), ("B001", 2)]) == [True, True]
    assert cache.lookup("currency", ["USD"]) == [True]  # stored as 'USD ', compared unpadded


async def test_warm_reads_versions_of_audited_tables(db: asyncpg.Pool) -> None:
    (owner,) = await save(db, PERSON, person())
    await save(db, ACCOUNT, account(owner.id, 4))
    cache = KeyCache()
    assert await cache.warm(db, ACCOUNT_AUDITED) == 1
    assert cache.version("account", ("B001", 4)) == 40


async def test_warm_of_a_disabled_table_sends_nothing(counting: CountingConnection) -> None:
    assert await KeyCache(disabled={"person"}).warm(counting, PERSON_KEYS) == 0
    assert counting.statements == []
    with pytest.raises(TypeError, match="person has no select_keys"):
        await KeyCache().warm(counting, PERSON)
