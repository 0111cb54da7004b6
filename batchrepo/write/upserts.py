"""Upserts on any key: ``upsert(item, on=...)`` and ``upsert_batch(items, on=...)``.

On the primary key the table's own statements serve (``TableSQL.upsert_*``). On a unique key the
generator writes that key's statements (``UniqueSpec.upsert_*_sql``): ``ON CONFLICT (<key>) DO
UPDATE``, where a row found keeps its primary key. The runtime runs them as the upsert of a
derived spec (:func:`upserting`) marked with the key (``TableSpec.conflict_key``), so the checks,
savepoint and probes are the upsert's, and rows come back matched to the input by that key.

Audited tables (``batchrepo_codegen.emit.audit_sql.audited_upserts``) leave an unchanged row
unwritten and read it back from the statement's snapshot. Under READ COMMITTED a row another
transaction inserted and committed while this statement waited on it is not in that snapshot:
:func:`missing_rows` reads such rows afterwards, so every input row still comes back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from batchrepo.db.arguments import value_arrays
from batchrepo.db.executor import Connection
from batchrepo.db.routing import keyed
from batchrepo.key_matching import keys_of_columns, keys_of_records
from batchrepo.spec import E, K, TableSpec, derived

PRIMARY_KEY = "primary_key"


def upserting(spec: TableSpec[E, K], on: str) -> TableSpec[E, K]:
    """``spec`` whose upserts resolve clashes on the key ``on`` (the primary key: ``spec``)."""
    if on == PRIMARY_KEY:
        return spec

    def make() -> TableSpec[E, K]:
        unique = spec.unique(on)
        one, batch = unique.upsert_sql, unique.upsert_batch_sql
        if one is None or batch is None:
            raise TypeError(
                f"table {spec.table} has no upsert on {on!r}: it has no column to update"
            )
        sql = dataclasses.replace(
            spec.sql,
            upsert_one=one,
            upsert_batch=batch,
            upsert_batch_count=unique.upsert_batch_count_sql,
        )
        return dataclasses.replace(spec, sql=sql, copy=None, conflict_key=on)

    return derived(spec, ("upsert", on), make)


def conflict_positions(spec: TableSpec[Any, Any]) -> tuple[int, ...]:
    """The columns rows are matched to the input by: the conflict key, else the primary key."""
    if spec.conflict_key is None:
        return spec.key_columns
    return spec.unique(spec.conflict_key).columns


async def missing_rows(
    conn: Connection,
    spec: TableSpec[Any, Any],
    columns: Sequence[Sequence[Any]],
    records: Sequence[Any],
) -> list[Any]:
    """The rows of an upsert's input that its statement did not return (see the module
    docstring), read now by their conflict key."""
    positions = conflict_positions(spec)
    returned = set(keys_of_records(spec, records, positions))
    wanted = keys_of_columns(spec, columns, positions)
    raw = list(zip(*(columns[p] for p in positions), strict=True))
    missing = [raw[row] for row, key in enumerate(wanted) if key not in returned]
    if not missing:
        return []
    if spec.conflict_key is None:
        keys = [m[0] for m in missing] if len(positions) == 1 else missing
        by_key, arguments = keyed(spec, spec.sql.select_batch, keys)
        return list(await conn.fetch(by_key, *arguments))
    select = spec.unique(spec.conflict_key).select_batch_sql
    assert select is not None, "every unique key has its select_batch_sql"
    values = [m[0] for m in missing] if len(positions) == 1 else missing
    return list(await conn.fetch(select, *value_arrays(len(positions), values)))
