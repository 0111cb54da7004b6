"""Inserts that skip rows whose key is taken: ``save_if_new`` and ``save_batch_if_new``.

An ``INSERT ... ON CONFLICT (<key>) DO NOTHING`` leaves out a row whose key exists, whoever
inserted it and however late (no race: the unique index decides, under any isolation level). The
generator writes one such statement per key a row can clash on (``UniqueSpec.insert_if_new_sql``
and ``insert_batch_if_new_sql``; audited tables write history for the rows inserted only).

The rest of the write path is the insert's: the same checks before SQL, the same savepoint, the
same probes on failure, except that a clash on the skipped key is no problem (the checks do not
refuse a key known to exist when it is that key, the probes do not look for its clashes). So the
runtime runs these statements *as* the insert of a derived spec (:func:`skipping`, marked
``TableSpec.conflict_key``) rather than through a path of their own. The database returns the
inserted rows only: in input order on a plain PostgreSQL (the insert feeds rows ``ORDER BY``
their ordinal), in the order its shards answer on Citus. :func:`inserted_in_input_order` lays
them out against the input by key, one entry per row, None where skipped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from batchrepo.key_matching import keys_of_columns
from batchrepo.spec import E, K, TableSpec, UniqueSpec, derived


def skipping(spec: TableSpec[E, K], on: str) -> TableSpec[E, K]:
    """``spec`` whose insert statements skip rows whose key ``on`` exists (no COPY, no counting
    twin: the rows inserted must come back), marked ``conflict_key=on``."""

    def make() -> TableSpec[E, K]:
        unique = _unique(spec, on)
        one, batch = unique.insert_if_new_sql, unique.insert_batch_if_new_sql
        assert one is not None and batch is not None  # _unique refused the key otherwise
        sql = dataclasses.replace(
            spec.sql, insert_one=one, insert_batch=batch, insert_batch_count=None
        )
        return dataclasses.replace(spec, sql=sql, copy=None, conflict_key=on)

    return derived(spec, ("if_new", on), make)


def _unique(spec: TableSpec[Any, Any], on: str) -> UniqueSpec:
    unique = spec.unique(on)
    if unique.insert_if_new_sql is None or unique.insert_batch_if_new_sql is None:
        raise TypeError(
            f"table {spec.table}: key {on!r} is drawn by the database (identity), so no row can "
            "clash on it: use save_batch, or a unique key of the table"
        )
    return unique


def inserted_in_input_order(
    spec: TableSpec[E, Any], on: str, items: Sequence[E], inserted: Sequence[E]
) -> list[E | None]:
    """One entry per input row: its inserted row, or None where the row was skipped.

    Rows are matched by key, whatever order the database returned them in (a plain
    PostgreSQL returns them in input order; Citus in the order its shards answer). A key the
    batch repeats was inserted for its first row. A row whose key has a None (a NULL never
    clashes, and a None key takes its server default) was inserted: it takes the next inserted
    row no key of the input names, in the order returned.
    """
    positions = _unique(spec, on).columns
    asked = keys_of_columns(spec, spec.to_columns(items), positions)
    got = keys_of_columns(spec, spec.to_columns(inserted), positions)
    composite = len(positions) > 1

    def unknown(key: Any) -> bool:
        return key is None or (composite and None in key)

    named = {key for key in asked if not unknown(key)}
    by_key: dict[Any, E] = {}
    unnamed: list[E] = []
    for key, row in zip(got, inserted, strict=True):
        if key in named and key not in by_key:
            by_key[key] = row
        else:
            unnamed.append(row)
    drawn = iter(unnamed)
    laid_out = [next(drawn, None) if unknown(key) else by_key.pop(key, None) for key in asked]
    left = len(by_key) + sum(1 for _ in drawn)
    if left:
        raise AssertionError(
            f"{spec.table}: {len(inserted)} rows inserted but {left} matched no input row"
        )
    return laid_out
