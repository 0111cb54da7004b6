"""History reads on both sides, as comparable :class:`~.outcome.Outcome` values: the batch side
asks every key in one call (``load_history_batch``, ``load_as_of_batch``), the single side one
key at a time (``load_history``, ``load_as_of``).

The two databases wrote the same changes at different moments under different ``audit_log``
ids, so an entry compares by version, operation, actor and its snapshot, not by time or log id.
One snapshot differs by design (docs/design.md, "Known differences"): deleting a parent and a
child that references it through an ``ON DELETE SET NULL`` self reference in one batch records
the child's last snapshot before the cascade, a loop after it. A ``delete`` entry therefore
compares without the columns of self-referencing foreign keys.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import asyncpg

from batchrepo.read import history

from .outcome import Outcome, _attempt, _loop
from .strategies.rows import Spec
from .twin import canonical_entity

MASKED = "<set null by a cascade, or not>"


def _self_reference_positions(spec: Spec) -> frozenset[int]:
    return frozenset(
        position
        for fk in spec.foreign_keys
        if fk.self_parent_columns is not None
        for position in fk.columns
    )


def _entry(spec: Spec) -> Callable[[history.HistoryEntry[Any] | None], Any]:
    masked = _self_reference_positions(spec)

    def shape(entry: history.HistoryEntry[Any] | None) -> Any:
        if entry is None:
            return None
        snapshot = canonical_entity(spec, entry.entity)
        assert snapshot is not None
        if entry.operation == "delete" and masked:
            snapshot = tuple(MASKED if p in masked else v for p, v in enumerate(snapshot))
        return (entry.version, entry.operation, entry.actor, snapshot)

    return shape


def _lists(spec: Spec) -> Callable[[Sequence[Sequence[Any]]], Any]:
    entry = _entry(spec)
    return lambda found: tuple(tuple(entry(e) for e in entries) for entries in found)


def _optional(spec: Spec) -> Callable[[Sequence[Any]], Any]:
    entry = _entry(spec)
    return lambda found: tuple(entry(e) for e in found)


async def batch_history(
    conn: asyncpg.Connection,
    spec: Spec,
    keys: Sequence[Any],
    versions: Sequence[int | None] | None = None,
) -> Outcome:
    """``versions`` None: every version of each key; else the entry of each key's version."""
    if versions is None:
        return await _attempt(lambda: history.load_history_batch(conn, spec, keys), _lists(spec))
    return await _attempt(
        lambda: history.load_as_of_batch(conn, spec, keys, versions=versions), _optional(spec)
    )


async def single_history(
    conn: asyncpg.Connection,
    spec: Spec,
    keys: Sequence[Any],
    versions: Sequence[int | None] | None = None,
) -> Outcome:
    if versions is None:
        return await _loop(conn, keys, lambda k: history.load_history(conn, spec, k), _lists(spec))
    asked = list(zip(keys, versions, strict=True))
    return await _loop(
        conn,
        asked,
        lambda kv: history.load_as_of(conn, spec, kv[0], version=kv[1]),
        _optional(spec),
    )
