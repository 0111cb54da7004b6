"""The entity read cache: rows of the tables that opted in, served to ``load`` and ``load_batch``
without a round trip (``docs/units-of-work.md``, "Entity cache").

Opt-in per aggregate: :meth:`EntityCache.enable` with the table's ``TableSpec``, a TTL and a
bound. Each :class:`~batchrepo.cache.key_cache.KeyCache` has one (``KeyCache.entities``), so a
pool's shared key cache has one too, empty until a table is enabled.

What it holds: per table an LRU of rows as the database returned them (decoded, every column),
by comparable primary key, each with the moment it was read. A hit builds a new entity from the
row (``from_record``, mutable values copied), so no caller ever shares an object with the cache
or with another caller.

How it stays right, within the process (:mod:`.entity_reads` decides who may read and fill it):

* every write the key cache hears of forgets the rows written (:meth:`forget`) and clears the
  tables whose foreign key follows the parent's updates (ON UPDATE CASCADE or SET NULL); every
  delete evicts them (:meth:`evict`), and an eviction cascades: rows of enabled tables whose
  foreign key references an evicted key go too (ON DELETE CASCADE or SET NULL changed them in
  the database), through every level of references; a foreign key to a unique key, which the
  cache cannot match, clears the child table;
* a fill (rows read by a statement that committed by itself) is dropped for any key forgotten
  after the read began: the read may predate that write (:meth:`mark`, :meth:`still_valid`);
* what it cannot hear of (another process, SQL sent outside batchrepo, a bare connection without
  the cache) is bounded by the TTL: an entry older than ``ttl`` seconds is never served.

Plain single-threaded asyncio code, like the key cache.
"""

from __future__ import annotations

import copy
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from batchrepo.key_matching import keys_of_records
from batchrepo.spec import TableSpec

#: Rows per table an enabled table holds by default.
DEFAULT_MAX_ROWS = 10_000


@dataclass(frozen=True, slots=True)
class EntityCacheStats:
    """Counters of one table: keys served (``hits``), asked of the database (``misses``, of
    which ``expired`` were held but older than the TTL), rows dropped for the bound
    (``evictions``) and forgotten because written, deleted or cascaded (``invalidations``)."""

    hits: int = 0
    misses: int = 0
    expired: int = 0
    evictions: int = 0
    invalidations: int = 0

    @property
    def hit_rate(self) -> float:
        asked = self.hits + self.misses
        return self.hits / asked if asked else 0.0


class _Table:
    __slots__ = (
        "cleared_at",
        "dropped_at",
        "evictions",
        "expired",
        "hits",
        "invalidations",
        "max_rows",
        "misses",
        "mutable",
        "recent",
        "rows",
        "spec",
        "ttl",
    )

    def __init__(self, spec: TableSpec[Any, Any], ttl: float, max_rows: int) -> None:
        self.spec = spec
        self.ttl = ttl
        self.max_rows = max_rows
        self.rows: OrderedDict[Hashable, tuple[float, Sequence[Any]]] = OrderedDict()
        self.mutable = tuple(
            i for i, c in enumerate(spec.columns) if c.is_array or c.kind == "jsonb"
        )
        """Positions whose values a caller could mutate in place (lists, JSON data)."""
        self.recent: OrderedDict[Hashable, int] = OrderedDict()
        """Keys forgotten lately, with the sequence number of the forgetting."""
        self.dropped_at = 0
        """The newest sequence number dropped from ``recent`` (fills older than it are lost)."""
        self.cleared_at = 0
        self.hits = self.misses = self.expired = self.evictions = self.invalidations = 0


class EntityCache:
    """Rows of enabled tables by primary key; see the module docstring.

    ``clock`` (seconds, monotonic) is what TTLs are measured with; tests give their own.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tables: dict[str, _Table] = {}
        self._sequence = 0

    def enable(
        self, spec: TableSpec[Any, Any], *, ttl: float, max_rows: int = DEFAULT_MAX_ROWS
    ) -> None:
        """Cache the rows of ``spec``'s table, each for at most ``ttl`` seconds after it was
        read, at most ``max_rows`` of them (least recently used go first). Enabling again
        changes the policy and forgets the rows held."""
        if not ttl > 0:
            raise ValueError(f"{spec.table}: the entity cache TTL must be positive, not {ttl}")
        if max_rows < 1:
            raise ValueError(f"{spec.table}: max_rows must be at least 1, not {max_rows}")
        self._tables[spec.table] = _Table(spec, ttl, max_rows)

    def disable(self, table: str) -> None:
        self._tables.pop(table, None)

    def enabled(self, table: str) -> bool:
        return table in self._tables

    def mark(self) -> int:
        """The sequence number a read takes before its statement: :meth:`put` it as ``since``."""
        return self._sequence

    def get(self, table: str, keys: Sequence[Hashable]) -> list[Sequence[Any] | None]:
        """Per comparable key: a row to build an entity from (mutable values copied), or None."""
        held = self._tables.get(table)
        if held is None:
            return [None] * len(keys)
        oldest = self._clock() - held.ttl
        found: list[Sequence[Any] | None] = []
        for key in keys:
            entry = held.rows.get(key)
            if entry is not None and entry[0] < oldest:
                del held.rows[key]
                held.expired += 1
                entry = None
            if entry is None:
                held.misses += 1
                found.append(None)
                continue
            held.rows.move_to_end(key)
            held.hits += 1
            found.append(_copied(entry[1], held.mutable))
        return found

    def still_valid(self, table: str, keys: Sequence[Hashable], since: int) -> list[bool]:
        """Per key: whether a row read by a statement that began at ``since`` (:meth:`mark`)
        may be held, i.e. nothing forgot the key since then (the read may predate that write).
        Ask it right before recording the read, with no await between it and :meth:`put`."""
        held = self._tables.get(table)
        if held is None or max(held.dropped_at, held.cleared_at) > since:
            return [False] * len(keys)
        return [held.recent.get(key, 0) <= since for key in keys]

    def put(self, table: str, keys: Sequence[Hashable], rows: Sequence[Sequence[Any]]) -> None:
        """Hold rows just read (only those :meth:`still_valid` allowed)."""
        held = self._tables.get(table)
        if held is None or not keys:
            return
        now = self._clock()
        for key, row in zip(keys, rows, strict=True):
            # the caller builds its entity from the same row: hold a copy of what it could mutate
            held.rows[key] = (now, _copied(row, held.mutable))
            held.rows.move_to_end(key)
        excess = len(held.rows) - held.max_rows
        for _ in range(max(0, excess)):
            held.rows.popitem(last=False)
        held.evictions += max(0, excess)

    def forget(self, table: str, keys: Iterable[Hashable]) -> None:
        """Rows written (inserted, updated, upserted): not served again until read again. The
        tables whose foreign key follows this one's updates (ON UPDATE CASCADE or SET NULL: the
        database rewrote children of a changed unique key) are cleared, level by level: which
        children referenced the old values, the cache cannot tell."""
        held = self._tables.get(table)
        if held is not None:
            self._forget(held, keys)
        for follower in self.followers(table):
            self.clear(follower)

    def followers(self, parent: str) -> list[str]:
        """The enabled tables whose rows a write to ``parent`` may change in the database
        through a foreign key that follows the parent's updates, level by level."""
        found: list[str] = []
        pending = [parent]
        while pending:
            current = pending.pop()
            for name, held in self._tables.items():
                if name not in found and any(
                    fk.parent_table == current and fk.follows_parent_updates
                    for fk in held.spec.foreign_keys
                ):
                    found.append(name)
                    pending.append(name)
        return found

    def evict(self, table: str, keys: Iterable[Hashable]) -> None:
        """Rows deleted: forgotten, and every cached row whose foreign key references one of
        them, level by level (the database cascaded, or set it NULL)."""
        pending: list[tuple[str, list[Hashable]]] = [(table, list(keys))]
        seen: set[tuple[str, Hashable]] = set()
        while pending:
            parent, gone = pending.pop()
            gone = [k for k in gone if (parent, k) not in seen]
            seen.update((parent, k) for k in gone)
            if not gone:
                continue
            held = self._tables.get(parent)
            if held is not None:
                self._forget(held, gone)
            pending += self._children(parent, set(gone))

    def clear(self, table: str | None = None) -> None:
        """Forget every row of one table, or of every table (statistics stay)."""
        self._sequence += 1
        for name, held in self._tables.items():
            if table is None or name == table:
                held.rows.clear()
                held.cleared_at = self._sequence

    def rows(self, table: str) -> dict[Hashable, Sequence[Any]]:
        """A copy of every row held for the table, by comparable key, expired ones included.

        For inspection (tests, diagnostics): it neither reorders the LRU nor counts anything."""
        held = self._tables.get(table)
        return {} if held is None else {key: entry[1] for key, entry in held.rows.items()}

    def size(self, table: str) -> int:
        held = self._tables.get(table)
        return 0 if held is None else len(held.rows)

    def stats(self, table: str) -> EntityCacheStats:
        held = self._tables.get(table)
        if held is None:
            return EntityCacheStats()
        return EntityCacheStats(
            held.hits, held.misses, held.expired, held.evictions, held.invalidations
        )

    def _forget(self, held: _Table, keys: Iterable[Hashable]) -> None:
        self._sequence += 1
        for key in keys:
            if held.rows.pop(key, None) is not None:
                held.invalidations += 1
            held.recent[key] = self._sequence
            held.recent.move_to_end(key)
        while len(held.recent) > max(1000, held.max_rows):
            _key, dropped = held.recent.popitem(last=False)
            held.dropped_at = max(held.dropped_at, dropped)

    def _children(self, parent: str, gone: set[Hashable]) -> list[tuple[str, list[Hashable]]]:
        """The cached rows referencing ``gone`` keys of ``parent``, per child table; a child
        whose reference the cache cannot match is cleared."""
        found: list[tuple[str, list[Hashable]]] = []
        for name, held in self._tables.items():
            spec = held.spec
            for fk in spec.foreign_keys:
                if fk.parent_table != parent:
                    continue
                if not fk.references_primary_key:
                    self.clear(name)
                    continue
                keys = list(held.rows)
                rows = [entry[1] for entry in held.rows.values()]
                references = keys_of_records(spec, rows, fk.columns)
                hit = [k for k, ref in zip(keys, references, strict=True) if ref in gone]
                # rows being read now may reference them too: their fills are dropped
                self._sequence += 1
                held.cleared_at = self._sequence
                if hit:
                    found.append((name, hit))
        return found


def _copied(row: Sequence[Any], mutable: tuple[int, ...]) -> Sequence[Any]:
    if not mutable:
        return row
    copied = list(row)
    for position in mutable:
        copied[position] = copy.deepcopy(copied[position])
    return copied
