"""The key cache: primary keys of rows known to exist, so reference checks can skip the database.

Two tiers (``docs/units-of-work.md``, "Key cache"):

* :class:`KeyCache`, global and per database (one per pool by default, :func:`shared_cache`):
  per table an LRU of comparable primary keys (as :func:`batchrepo.key_matching.keys_of_columns`
  makes
  them: a plain value for one column, a tuple for several, ``char(n)`` without its padding), each
  with the row's version (None when not audited or not known). It only ever says "exists" or
  "don't know": what it holds may be stale (someone else deleted the row), so every positive
  answer that would refuse a row is confirmed by the database, and a parent that vanished makes
  the write fail with 23503, which evicts it.
* a unit of work's own layer, and the views the write path talks to, live in
  :mod:`batchrepo.cache.views`.

Everything here is plain single-threaded asyncio code: no locks, no awaits except in
:meth:`KeyCache.warm`. Share a cache between threads only with your own lock.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from batchrepo.cache.entity_cache import EntityCache
from batchrepo.db.executor import Executor
from batchrepo.key_matching import keys_of_records
from batchrepo.spec import TableSpec

#: Keys per table the global cache holds by default.
DEFAULT_MAX_ENTRIES = 100_000


@dataclass(frozen=True, slots=True)
class CacheStats:
    """Counters of one table: lookups answered (``hits``) or not (``misses``), keys dropped to
    stay within the table's limit (``evictions``) and keys forgotten because they were deleted
    or refuted (``invalidations``)."""

    hits: int = 0
    misses: int = 0
    evictions: int = 0
    invalidations: int = 0


class _TableStats:  # the mutable counters behind CacheStats
    __slots__ = ("evictions", "hits", "invalidations", "misses")

    def __init__(self) -> None:
        self.hits = self.misses = self.evictions = self.invalidations = 0


class KeyCache:
    """Primary keys known to exist, per table, with their versions; see the module docstring.

    ``max_entries`` bounds every table not named in ``limits`` (``None``: unbounded); a limit of
    0 or a table in ``disabled`` stores nothing, and its lookups always answer None.
    """

    def __init__(
        self,
        *,
        max_entries: int | None = DEFAULT_MAX_ENTRIES,
        limits: Mapping[str, int | None] | None = None,
        disabled: Iterable[str] = (),
    ) -> None:
        for table, limit in {"*": max_entries, **(limits or {})}.items():
            if limit is not None and limit < 0:
                raise ValueError(f"key cache limit of {table} is negative: {limit}")
        self._max_entries = max_entries
        self._limits = dict(limits or {})
        self._disabled = frozenset(disabled)
        self._tables: dict[str, OrderedDict[Hashable, int | None]] = {}
        self._stats: dict[str, _TableStats] = {}
        self.entities = EntityCache()
        """Rows of the tables that opted in (:mod:`batchrepo.cache.entity_cache`): whatever
        this cache learns is written is forgotten there, whatever it learns is deleted evicted."""

    def limit(self, table: str) -> int | None:
        """How many keys the table may hold (None: no limit)."""
        return self._limits.get(table, self._max_entries)

    def enabled(self, table: str) -> bool:
        return table not in self._disabled and self.limit(table) != 0

    def lookup(self, table: str, keys: Sequence[Hashable]) -> list[bool | None]:
        """Per key: True when known to exist, None when unknown (never False: the global cache
        does not know absence)."""
        entries = self._tables.get(table)
        stats = self._stats_of(table)
        if not entries:
            stats.misses += len(keys)
            return [None] * len(keys)
        answers: list[bool | None] = []
        for key in keys:
            if key in entries:
                entries.move_to_end(key)  # recently used: evicted last
                answers.append(True)
            else:
                answers.append(None)
        found = answers.count(True)
        stats.hits += found
        stats.misses += len(keys) - found
        return answers

    def version(self, table: str, key: Hashable) -> int | None:
        """The version stored with a key (None when absent or not known)."""
        entries = self._tables.get(table)
        return None if entries is None else entries.get(key)

    def add(
        self,
        table: str,
        keys: Sequence[Hashable],
        versions: Sequence[int | None] | None = None,
        *,
        written: bool = True,
    ) -> None:
        """Record keys as existing; ``versions`` (as long as ``keys``) default to None.

        A None version replaces a known one: learning that a row exists says nothing about
        whether the version held is still current. ``written=False``: the rows were only read
        (by a statement that committed by itself), so the entity cache keeps what it holds.
        """
        if versions is not None and len(versions) != len(keys):
            raise ValueError(f"{table}: {len(keys)} keys but {len(versions)} versions")
        if written:
            self.entities.forget(table, keys)  # a held row may be older than the write
        if not keys or not self.enabled(table):
            return
        entries = self._tables.setdefault(table, OrderedDict())
        for key, version in zip(keys, versions or [None] * len(keys), strict=True):
            entries[key] = version
            entries.move_to_end(key)
        limit = self.limit(table)
        if limit is not None and len(entries) > limit:
            excess = len(entries) - limit
            for _ in range(excess):
                entries.popitem(last=False)  # least recently used first
            self._stats_of(table).evictions += excess

    def evict(self, table: str, keys: Iterable[Hashable]) -> None:
        """Forget keys (deleted rows, refuted entries); unknown keys are ignored."""
        keys = list(keys)
        self.entities.evict(table, keys)
        entries = self._tables.get(table)
        if not entries:
            return
        gone = sum(entries.pop(key, _ABSENT) is not _ABSENT for key in keys)
        self._stats_of(table).invalidations += gone

    def clear(self, table: str | None = None) -> None:
        """Forget every key of one table, or of every table (statistics stay)."""
        self.entities.clear(table)
        if table is None:
            self._tables.clear()
        else:
            self._tables.pop(table, None)

    def size(self, table: str) -> int:
        return len(self._tables.get(table, ()))

    def entries(self, table: str) -> dict[Hashable, int | None]:
        """A copy of every key the table holds, with its version, least recently used first.

        For inspection (tests, diagnostics): unlike :meth:`lookup` it neither reorders the LRU
        nor counts hits and misses, so looking does not change what is evicted next.
        """
        return dict(self._tables.get(table, {}))

    def stats(self, table: str) -> CacheStats:
        found = self._stats.get(table) or _TableStats()
        return CacheStats(found.hits, found.misses, found.evictions, found.invalidations)

    async def warm(
        self, executor: Executor, spec: TableSpec[Any, Any], limit: int | None = None
    ) -> int:
        """Fill the table's cache from ``spec.sql.select_keys``; the number of keys read.

        At most ``limit`` keys, and never more than the table may hold. Run it on a pool or a
        connection outside a transaction: keys of uncommitted rows must not reach this cache.
        """
        select_keys = spec.sql.select_keys
        if select_keys is None:
            raise TypeError(f"table {spec.table} has no select_keys statement to warm from")
        if not self.enabled(spec.table):
            return 0
        capacity = self.limit(spec.table)
        if capacity is not None:
            limit = capacity if limit is None else min(limit, capacity)
        records = await executor.fetch(select_keys, limit)
        width = len(spec.key_columns)
        keys = keys_of_records(spec, records, spec.key_columns, at=range(width))
        # audited tables return the version after the key columns
        versions = None if spec.audit is None else [record[width] for record in records]
        self.add(spec.table, keys, versions)
        return len(records)

    def _stats_of(self, table: str) -> _TableStats:
        stats = self._stats.get(table)
        if stats is None:
            stats = self._stats[table] = _TableStats()
        return stats


_ABSENT = object()

# asyncpg.Pool has __slots__ without __weakref__, so a plain pool cannot be held weakly: such
# pools are held here until they are closed (every call drops the caches of closed pools).
# Pools that can be weakly referenced (subclasses without __slots__) are held weakly.
_by_weak_pool: weakref.WeakKeyDictionary[Any, KeyCache] = weakref.WeakKeyDictionary()
_by_pool_id: dict[int, tuple[asyncpg.Pool, KeyCache]] = {}


def shared_cache(pool: asyncpg.Pool) -> KeyCache:
    """The key cache of a pool: one per pool object, created with the defaults on first use."""
    for key, (held, _cache) in list(_by_pool_id.items()):
        if held.is_closing():
            del _by_pool_id[key]
    try:
        cache = _by_weak_pool.get(pool)
    except TypeError:  # not weakly referenceable
        held_cache = _by_pool_id.get(id(pool))
        if held_cache is None:
            held_cache = _by_pool_id[id(pool)] = (pool, KeyCache())
        return held_cache[1]
    if cache is None:
        cache = _by_weak_pool[pool] = KeyCache()
    return cache
