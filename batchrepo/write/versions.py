"""Optimistic concurrency: telling rows that changed since they were read from rows that are gone.

An update (or an audited delete) names each row by key and, for audited tables, by the version
the caller read. A row the statement did not touch is either missing or stale; one query on the
rows concerned tells which (``docs/units-of-work.md``, "Versions"). The error is that of the
first failing row, as running the rows one by one would stop there: ``StaleVersionError`` listing
every stale row, or ``MissingRowsError`` listing every missing one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from batchrepo import errors
from batchrepo.db.executor import Executor
from batchrepo.db.routing import keyed, routed, shard_of
from batchrepo.key_matching import comparable_keys, keys_of_columns, keys_of_records, row_key
from batchrepo.spec import TableSpec


def version_position(spec: TableSpec[Any, Any]) -> int | None:
    """Where the version sits among the columns (and in returned rows); None without audit."""
    return None if spec.audit is None else spec.audit.version_column


async def unwritten_rows_error(
    ex: Executor,
    spec: TableSpec[Any, Any],
    items: Sequence[Any],
    columns: Sequence[Sequence[Any]],
    rows: Sequence[int],
) -> errors.MissingRowsError | errors.StaleVersionError | None:
    """Why the update did not write ``rows``: the error of the first missing or stale one.

    Run it where the rows' state is the one the update met (before rolling its savepoint back,
    or after, when the statement itself failed and wrote nothing).
    """
    if not rows:
        return None
    wanted = keys_of_columns(spec, columns, spec.key_columns)
    arrays = [[columns[p][r] for r in rows] for p in spec.key_columns]
    at = version_position(spec)
    stored: dict[Any, int | None] = {}
    if at is None:
        shard = shard_of(spec, spec.key_columns, arrays)
        exists, on_shard = routed(spec, spec.sql.exists_batch, shard)
        records = await ex.fetch(exists, *arrays, *on_shard)
        # exists_batch returns the key columns only
        found = keys_of_records(spec, records, spec.key_columns, range(len(spec.key_columns)))
        stored = dict.fromkeys(found)
    else:
        shard = shard_of(spec, spec.key_columns, arrays)
        select, on_shard = routed(spec, spec.sql.select_batch, shard)
        records = await ex.fetch(select, *arrays, *on_shard)
        found = keys_of_records(spec, records, spec.key_columns)
        stored = {key: record[at] for key, record in zip(found, records, strict=True)}
    missing = [r for r in rows if wanted[r] not in stored]
    stale: list[int] = []
    if at is not None:
        sent = columns[at]
        stale = [
            r
            for r in rows
            if wanted[r] in stored and sent[r] is not None and stored[wanted[r]] != sent[r]
        ]
    if stale and (not missing or stale[0] < missing[0]):
        assert at is not None
        return errors.StaleVersionError(
            spec.table,
            keys=[row_key(spec, items, columns, r) for r in stale],
            rows=stale,
            expected=[columns[at][r] for r in stale],
            found=[stored[wanted[r]] for r in stale],
        )
    if missing:
        return errors.MissingRowsError(
            spec.table,
            rows=missing,
            keys=[row_key(spec, items, columns, r) for r in missing],
            reason="nothing was written",
        )
    return None


async def stale_deletes_error(
    ex: Executor,
    spec: TableSpec[Any, Any],
    keys: Sequence[Any],
    versions: Sequence[int | None],
) -> errors.StaleVersionError | None:
    """The keys a versioned delete left in place because their version moved on (run it
    before the delete's savepoint rolls back: the rows deleted are gone, the stale ones stay)."""
    at = version_position(spec)
    checked = [r for r, version in enumerate(versions) if version is not None]
    if at is None or not checked:
        return None
    select, arguments = keyed(spec, spec.sql.select_batch, [keys[r] for r in checked])
    records = await ex.fetch(select, *arguments)
    found = keys_of_records(spec, records, spec.key_columns)
    stored = {key: record[at] for key, record in zip(found, records, strict=True)}
    asked = comparable_keys(spec, spec.key_columns, keys)
    stale = [r for r in checked if asked[r] in stored and stored[asked[r]] != versions[r]]
    if not stale:
        return None
    return errors.StaleVersionError(
        spec.table,
        keys=[keys[r] for r in stale],
        rows=stale,
        expected=[versions[r] for r in stale],
        found=[stored[asked[r]] for r in stale],
    )
