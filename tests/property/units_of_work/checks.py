"""What must hold after every step of the unit-of-work machine, as lists of readable problems.

* :func:`history_differences`: both databases hold the same history: per audited table the
  snapshots, versions and operations, each with the actor of its ``audit_log`` row, grouped by
  that row (so "the changes of one unit of work share one log row" is compared too) but never
  by its id, which differs between the databases.
* :func:`cache_problems`: a global key cache holds only keys of committed rows: every key it
  holds exists in the database as committed (read on a connection outside the unit of work),
  with the version cached when one is.
* :func:`entity_problems`: an entity cache holds only rows as committed: every row it holds is
  the committed row of its key (every write of the machine goes through the caches, so no TTL
  is needed for this to hold).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import asyncpg

from batchrepo.cache.key_cache import KeyCache
from batchrepo.db.arguments import decoded_rows
from batchrepo.key_matching import keys_of_records

from ..strategies.rows import Spec
from ..twin import canonical, canonical_row, quote

#: One history row: the snapshot (table columns, version included), operation and actor.
HistoryRow = tuple[Any, ...]


async def history_groups(conn: asyncpg.Connection, spec: Spec) -> list[tuple[HistoryRow, ...]]:
    """The history rows of ``spec``'s table, grouped by audit log row, in a canonical order."""
    assert spec.audit is not None
    columns = ", ".join(f"h.{quote(c.name)}" for c in spec.columns)
    records = await conn.fetch(
        f"SELECT {columns}, h.operation::text, l.actor, h.audit_log_id"
        f" FROM {quote(spec.audit.history_table)} AS h"
        " JOIN audit_log AS l ON l.id = h.audit_log_id"
    )
    width = len(spec.columns)
    groups: dict[int, list[HistoryRow]] = {}
    for record in records:
        values = tuple(record.values())
        row = (*canonical_row(spec, values[:width]), values[width], values[width + 1])
        groups.setdefault(values[width + 2], []).append(row)
    return sorted((tuple(sorted(rows, key=repr)) for rows in groups.values()), key=repr)


async def history_differences(
    batch: asyncpg.Connection, single: asyncpg.Connection, specs: Sequence[Spec]
) -> list[str]:
    found = []
    for spec in specs:
        if spec.audit is None:
            continue
        after_batch = await history_groups(batch, spec)
        after_single = await history_groups(single, spec)
        if after_batch != after_single:
            found.append(
                f"history of {spec.table} differs (rows grouped by audit log row)"
                f"\n  only after batch:  {[g for g in after_batch if g not in after_single]}"
                f"\n  only after single: {[g for g in after_single if g not in after_batch]}"
            )
    return found


async def stored_versions(conn: asyncpg.Connection, spec: Spec) -> dict[Hashable, int | None]:
    """Comparable key -> version (None for tables without versions) of every row."""
    keys = ", ".join(quote(spec.columns[p].name) for p in spec.key_columns)
    version = "" if spec.audit is None else ", version"
    records = await conn.fetch(f"SELECT {keys}{version} FROM {quote(spec.table)}")
    width = len(spec.key_columns)
    found = keys_of_records(spec, records, spec.key_columns, at=range(width))
    versions = [None if spec.audit is None else r[width] for r in records]
    return dict(zip(found, versions, strict=True))


async def cache_problems(
    committed: asyncpg.Connection, cache: KeyCache, specs: Sequence[Spec], side: str
) -> list[str]:
    """Keys ``cache`` holds that no committed row backs, or with another version."""
    found = []
    for spec in specs:
        cached = cache.entries(spec.table)
        if not cached:
            continue
        stored = await stored_versions(committed, spec)
        for key, version in cached.items():
            if key not in stored:
                found.append(
                    f"{side} cache holds {spec.table} key {canonical(key)!r} (version {version})"
                    " of no committed row"
                )
            elif version is not None and stored[key] != version:
                found.append(
                    f"{side} cache holds {spec.table} key {canonical(key)!r} at version"
                    f" {version}, the committed row is at version {stored[key]}"
                )
    return found


async def entity_problems(
    committed: asyncpg.Connection, cache: KeyCache, specs: Sequence[Spec], side: str
) -> list[str]:
    """Rows the entity cache of ``cache`` holds that differ from the committed rows."""
    found = []
    for spec in specs:
        held = cache.entities.rows(spec.table)
        if not held:
            continue
        columns = ", ".join(quote(c.name) for c in spec.columns)
        query = f"SELECT {columns} FROM {quote(spec.table)}"
        records = decoded_rows(spec, await committed.fetch(query))
        stored = dict(zip(keys_of_records(spec, records, spec.key_columns), records, strict=True))
        for key, row in held.items():
            shown = f"{side} entity cache holds {spec.table} key {canonical(key)!r}"
            if key not in stored:
                found.append(f"{shown} of no committed row")
            elif canonical_row(spec, row) != canonical_row(spec, stored[key]):
                found.append(
                    f"{shown} as {canonical_row(spec, row)}, committed as "
                    f"{canonical_row(spec, stored[key])}"
                )
    return found
