"""What a write talks to: a view of the key cache that knows where its statement commits.

* :class:`CacheLayer`, a unit of work's own knowledge: keys it wrote (present) and deleted
  (absent). Its present keys reach the global :class:`~batchrepo.cache.key_cache.KeyCache` only
  by :meth:`CacheLayer.commit`, after COMMIT succeeded; its absent keys are evicted from the
  global cache at once (forgetting is always safe). A savepoint gets a child layer.
* :class:`DirectView`, for statements that committed by themselves: what they learn goes
  straight to the global cache.
* :class:`ReadOnlyView`, inside a caller's own transaction (whose commit is unknown): it asks
  the global cache and teaches it nothing.

All of them implement :class:`CacheView`, the protocol the write path uses.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from batchrepo.cache.key_cache import KeyCache


class CacheView(Protocol):
    """What the write path asks and tells the cache."""

    def lookup(self, table: str, keys: Sequence[Hashable]) -> list[bool | None]:
        """Per key: True present, False known absent (in this unit of work), None unknown."""
        ...

    def version(self, table: str, key: Hashable) -> int | None: ...

    def record_present(
        self,
        table: str,
        keys: Sequence[Hashable],
        versions: Sequence[int | None] | None = None,
    ) -> None: ...

    def record_absent(self, table: str, keys: Sequence[Hashable]) -> None: ...

    def record_unknown_rows(self, table: str) -> None:
        """Rows of ``table`` were written whose keys are not known (an upsert on a unique key
        that returned no rows): the entity cache must forget the table's rows."""
        ...


class DirectView:
    """For statements that committed by themselves (a pool, a connection outside any
    transaction): what they learn goes straight to the global cache."""

    def __init__(self, cache: KeyCache) -> None:
        self.cache = cache

    def lookup(self, table: str, keys: Sequence[Hashable]) -> list[bool | None]:
        return self.cache.lookup(table, keys)

    def version(self, table: str, key: Hashable) -> int | None:
        return self.cache.version(table, key)

    def record_present(
        self,
        table: str,
        keys: Sequence[Hashable],
        versions: Sequence[int | None] | None = None,
    ) -> None:
        self.cache.add(table, keys, versions)

    def record_absent(self, table: str, keys: Sequence[Hashable]) -> None:
        self.cache.evict(table, keys)

    def record_unknown_rows(self, table: str) -> None:
        self.cache.entities.clear(table)


class ReadOnlyView(DirectView):
    """Inside a caller's own transaction: its commit is unknown, so nothing is added; evictions
    still apply at once (forgetting is always safe), and rows written are forgotten by the
    entity cache."""

    def record_present(
        self,
        table: str,
        keys: Sequence[Hashable],
        versions: Sequence[int | None] | None = None,
    ) -> None:
        self.cache.entities.forget(table, keys)


class CacheLayer:
    """A unit of work's knowledge of keys: rows it wrote (present, with versions) and deleted
    (absent). :meth:`child` makes the layer of a savepoint.

    Lookups answer from this layer, then the parent layer, then the global cache. Absent keys
    are evicted from the global cache at once; present keys reach it only by :meth:`commit`
    (after COMMIT succeeded), through :meth:`merge_into_parent` on savepoint release first. A
    layer holds at most the global cache's limit of keys per table, dropping its oldest: a
    forgotten key only means asking the database again.
    """

    def __init__(self, cache: KeyCache, parent: CacheLayer | None = None) -> None:
        self.cache = cache
        self.parent = parent
        self._present: dict[str, dict[Hashable, int | None]] = {}
        self._absent: dict[str, dict[Hashable, None]] = {}
        self._untracked: set[str] = set()
        """Entity-cached tables with keys this layer wrote but did not keep (over the limit,
        or the key cache is off for them): the entity cache is cleared for them at commit."""

    def child(self) -> CacheLayer:
        """The layer of a savepoint inside this one."""
        return CacheLayer(self.cache, parent=self)

    def lookup(self, table: str, keys: Sequence[Hashable]) -> list[bool | None]:
        if not self.cache.enabled(table):
            return [None] * len(keys)
        present = self._present.get(table, {})
        absent = self._absent.get(table, {})
        answers: list[bool | None] = [None] * len(keys)
        unknown: list[int] = []
        for index, key in enumerate(keys):
            if key in absent:
                answers[index] = False
            elif key in present:
                answers[index] = True
            else:
                unknown.append(index)
        if unknown:
            below: CacheLayer | KeyCache = self.parent if self.parent is not None else self.cache
            for index, answer in zip(
                unknown, below.lookup(table, [keys[i] for i in unknown]), strict=True
            ):
                answers[index] = answer
        return answers

    def version(self, table: str, key: Hashable) -> int | None:
        if key in self._absent.get(table, {}):
            return None
        present = self._present.get(table, {})
        if key in present:
            return present[key]
        below: CacheLayer | KeyCache = self.parent if self.parent is not None else self.cache
        return below.version(table, key)

    def record_present(
        self,
        table: str,
        keys: Sequence[Hashable],
        versions: Sequence[int | None] | None = None,
    ) -> None:
        if versions is not None and len(versions) != len(keys):
            raise ValueError(f"{table}: {len(keys)} keys but {len(versions)} versions")
        if keys and self.cache.enabled(table):
            self._mark_present(table, dict(zip(keys, versions or [None] * len(keys), strict=True)))
        elif keys:
            self._untrack(table)
        if keys:
            # ON UPDATE CASCADE / SET NULL may have changed rows of these in this transaction
            self._untracked.update(self.cache.entities.followers(table))

    def record_absent(self, table: str, keys: Sequence[Hashable]) -> None:
        self.cache.evict(table, keys)
        if keys and self.cache.enabled(table):
            self._mark_absent(table, keys)
        elif keys:
            self._untrack(table)

    def record_unknown_rows(self, table: str) -> None:
        self._untrack(table)  # the unit reads the table from the database; cleared at COMMIT

    def touched(self, table: str, keys: Sequence[Hashable]) -> list[bool] | None:
        """Per key: whether this unit of work wrote, deleted or read it (this layer or a parent
        layer): the entity cache must not answer for it. None: the unit lost track of some keys
        of the table, so no key may be answered from the entity cache."""
        layers: list[CacheLayer] = []
        layer: CacheLayer | None = self
        while layer is not None:
            if table in layer._untracked:
                return None
            layers.append(layer)
            layer = layer.parent
        known = [
            {*layer._present.get(table, {}), *layer._absent.get(table, {})} for layer in layers
        ]
        return [any(key in seen for seen in known) for key in keys]

    def merge_into_parent(self) -> None:
        """Savepoint released: the parent layer knows what this one knew; this one is empty."""
        if self.parent is None:
            raise RuntimeError("the layer of a unit of work has no parent: commit() it instead")
        for table, gone in self._absent.items():
            self.parent._mark_absent(table, gone)  # already evicted globally
        for table, entries in self._present.items():
            self.parent._mark_present(table, entries)
        self.parent._untracked |= self._untracked
        self.discard()

    def commit(self) -> None:
        """COMMIT succeeded: the global cache learns the keys written; this layer is empty."""
        if self.parent is not None:
            raise RuntimeError("a savepoint's layer merges into its parent layer, not the cache")
        for table, gone in self._absent.items():
            # evicted when recorded, but another unit of work may have added them since
            self.cache.evict(table, gone)
        for table, entries in self._present.items():
            self.cache.add(table, list(entries), list(entries.values()))
        for table in self._untracked:
            self.cache.entities.clear(table)  # which rows changed is not known: all may have
        self.discard()

    def discard(self) -> None:
        """Rolled back: forget everything this layer learned (its evictions stay done).

        The entity cache forgets the rows this layer touched, and clears the tables it lost
        track of: whether they changed is unknown when a COMMIT failed (it may have been
        applied), and forgetting is always safe. After :meth:`commit` or
        :meth:`merge_into_parent` this repeats what they did."""
        entities = self.cache.entities
        for table in {*self._present, *self._absent}:
            if entities.enabled(table):
                touched = [*self._present.get(table, ()), *self._absent.get(table, ())]
                entities.forget(table, touched)
        for table in self._untracked:
            entities.clear(table)
        self._present.clear()
        self._absent.clear()
        self._untracked.clear()

    def _untrack(self, table: str) -> None:
        if self.cache.entities.enabled(table):
            self._untracked.add(table)

    def _mark_present(self, table: str, entries: Mapping[Hashable, int | None]) -> None:
        absent = self._absent.get(table)
        present = self._present.setdefault(table, {})
        for key, version in entries.items():
            if absent:
                absent.pop(key, None)
            present.pop(key, None)  # re-inserted last: the newest survive trimming
            present[key] = version
        if _trim(present, self.cache.limit(table)):
            self._untrack(table)

    def _mark_absent(self, table: str, keys: Iterable[Hashable]) -> None:
        present = self._present.get(table)
        absent = self._absent.setdefault(table, {})
        for key in keys:
            if present:
                present.pop(key, None)
            absent.pop(key, None)
            absent[key] = None
        if _trim(absent, self.cache.limit(table)):
            self._untrack(table)


def _trim(entries: dict[Hashable, Any], limit: int | None) -> bool:
    """Drop the oldest entries beyond ``limit``; whether any went."""
    if limit is None or len(entries) <= limit:
        return False
    for key in list(entries)[: len(entries) - limit]:
        del entries[key]
    return True
