"""How ``load`` and ``load_batch`` use the entity cache of an enabled table
(:mod:`.entity_cache`): the keys it holds are answered from it, the rest are asked of the
database in the one statement the load sends anyway, and what that statement returns is held,
when it may be.

Transaction-aware like the key cache (``docs/units-of-work.md``, "Entity cache"):

* on a pool, or a connection outside a transaction, every statement commits by itself: the
  cache answers, and rows read are held (only those no write forgot while they were read);
* in a unit of work: the cache answers only for keys the unit has not written, deleted or read
  (it sees its own writes through the database), and nothing the unit reads is held (it may be
  its own uncommitted write); its writes reach the cache at COMMIT, as forgotten rows, and a
  rollback changes nothing;
* in a caller's own transaction (a connection in ``conn.transaction()``): bypassed, both ways.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Generic

import asyncpg

from batchrepo.cache.entity_cache import DEFAULT_MAX_ROWS, EntityCache
from batchrepo.cache.key_cache import KeyCache, shared_cache
from batchrepo.cache.recording import Recorder
from batchrepo.cache.views import CacheLayer, DirectView
from batchrepo.db.arguments import decoded_rows
from batchrepo.key_matching import comparable_keys, keys_of_records
from batchrepo.session import Session
from batchrepo.spec import E, TableSpec


class EntityReads(Generic[E]):
    """One load's use of the entity cache: :meth:`misses`, then the statement for them, then
    :meth:`read` (which records the rows in the key cache instead of the load's recorder) and
    :meth:`answer`."""

    __slots__ = ("_cache", "_found", "_keys", "_layer", "_since", "_spec", "_valid", "fill")

    def __init__(
        self, keys: KeyCache, spec: TableSpec[E, Any], layer: CacheLayer | None, fill: bool
    ) -> None:
        self._keys = keys
        cache = self._cache = keys.entities
        self._spec = spec
        self._layer = layer
        self.fill = fill
        self._since = cache.mark()  # before the statement: a write after it is not missed
        self._found: dict[Hashable, Sequence[Any]] = {}
        self._valid: list[tuple[Hashable, Sequence[Any]]] = []

    def misses(self, keys: Sequence[Any]) -> list[Any]:
        """The keys (as asked) the cache cannot answer: those the load must ask."""
        spec = self._spec
        comparable = comparable_keys(spec, spec.key_columns, keys)
        allowed = [True] * len(keys)
        if self._layer is not None:
            touched = self._layer.touched(spec.table, comparable)
            if touched is None:
                return list(keys)
            allowed = [not t for t in touched]
        asked = [key for key, ok in zip(comparable, allowed, strict=True) if ok]
        for key, row in zip(asked, self._cache.get(spec.table, asked), strict=True):
            if row is not None:
                self._found[key] = row
        return [k for k, c in zip(keys, comparable, strict=True) if c not in self._found]

    def read(self, records: Sequence[Any], recorder: Recorder) -> Sequence[Any]:
        """The load's rows, decoded and recorded as the load records them (with no await
        between deciding which of them the cache may hold and recording them)."""
        spec = self._spec
        rows = decoded_rows(spec, records)
        keys = keys_of_records(spec, rows, spec.key_columns)
        if not self.fill:
            recorder.rows(spec, rows)  # into the unit's layer
            self._found.update(zip(keys, rows, strict=True))
            return rows
        valid = self._cache.still_valid(spec.table, keys, self._since)
        for key, row, ok in zip(keys, rows, valid, strict=True):
            self._found[key] = row
            if ok:
                self._valid.append((key, row))
        # what recorder.rows tells the shared cache, as read rows: held rows stay
        at = None if spec.audit is None else spec.audit.version_column
        versions = None if at is None else [row[at] for row in rows]
        self._keys.add(spec.table, keys, versions, written=False)
        return rows

    def answer(self, keys: Sequence[Any]) -> list[E | None]:
        """One entry per key asked, in that order; holds the rows :meth:`read` allowed."""
        if self._valid:
            held, rows = zip(*self._valid, strict=True)
            self._cache.put(self._spec.table, list(held), list(rows))
            self._valid = []
        spec = self._spec
        built: list[E | None] = []
        for key in comparable_keys(spec, spec.key_columns, keys):
            row = self._found.get(key)
            built.append(None if row is None else spec.from_record(row))
        return built


def entity_reads(session: Session, spec: TableSpec[E, Any]) -> EntityReads[E] | None:
    """The load's use of the entity cache, or None when the table is not cached or the load runs
    in a caller's own transaction."""
    key_cache = session.cache
    if key_cache is None or not key_cache.entities.enabled(spec.table):
        return None
    view = session.cache_view()
    if isinstance(view, CacheLayer):
        return EntityReads(key_cache, spec, view, fill=False)
    if type(view) is DirectView:
        return EntityReads(key_cache, spec, None, fill=True)
    return None


def cache_entities(
    where: asyncpg.Pool | KeyCache,
    spec: TableSpec[Any, Any],
    *,
    ttl: float,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> EntityCache:
    """Opt ``spec``'s table in to the entity cache of a pool (its shared key cache) or of a key
    cache given to sessions and units of work: loads answer from rows read at most ``ttl``
    seconds ago, at most ``max_rows`` of them. Writes this process does not see (another
    process, SQL outside batchrepo, a bare connection without this cache) are read stale for
    at most ``ttl`` seconds. Returns the entity cache (its ``stats(table)``: hits, misses)."""
    cache = where if isinstance(where, KeyCache) else shared_cache(where)
    if not cache.enabled(spec.table):
        raise ValueError(
            f"{spec.table}: the key cache is off for this table, so writes would not reach the "
            "entity cache; enable both or neither"
        )
    cache.entities.enable(spec, ttl=ttl, max_rows=max_rows)
    return cache.entities
