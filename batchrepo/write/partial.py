"""Updates of some columns only: ``update(item, columns=[...])`` and
``update_batch(items, columns=[...])``.

The generator writes one masked twin of each update statement (``TableSQL.update_one_columns``,
``update_batch_columns`` and its counting twin): one more argument, ``bool[]`` with a flag per
column of the table, and ``SET col = CASE WHEN flag THEN new ELSE stored END``. One fixed statement
serves every choice of columns, so asyncpg prepares it once, as for every batch.

The runtime runs it as the update of a derived spec (:func:`partial`): its statements are the
masked ones, it carries the mask (``TableSpec.update_columns``, appended to the arguments by the
write path), and the columns not updated are relaxed (None accepted, no other check) and sent as
None. So checks look at the columns being written only: a row read with a stale value elsewhere,
or an entity built with placeholders for the other fields, updates what was named. The key
columns and the version (audited tables) are always sent: they find the row and check it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from batchrepo.spec import ColumnSpec, E, K, TableSpec, derived


def partial(spec: TableSpec[E, K], names: Sequence[str]) -> TableSpec[E, K]:
    """``spec`` updating only the columns whose attribute (or column) names are ``names``."""
    chosen = frozenset(names)

    def make() -> TableSpec[E, K]:
        written = _positions(spec, chosen)
        sql = spec.sql
        if sql.update_one_columns is None or sql.update_batch_columns is None:
            raise TypeError(
                f"table {spec.table} has no update of chosen columns "
                "(TableSQL.update_*_columns): regenerate its package"
            )
        return dataclasses.replace(
            spec,
            columns=tuple(
                column if at in written else _relaxed(column)
                for at, column in enumerate(spec.columns)
            ),
            to_columns=_only(spec.to_columns, written, len(spec.columns)),
            sql=dataclasses.replace(
                sql,
                update_one=sql.update_one_columns,
                update_batch=sql.update_batch_columns,
                update_batch_count=sql.update_batch_columns_count,
            ),
            copy=None,
            update_columns=tuple(at in written for at in range(len(spec.columns))),
        )

    return derived(spec, ("columns", chosen), make)


def _positions(spec: TableSpec[Any, Any], chosen: frozenset[str]) -> frozenset[int]:
    """The positions written: the named columns, the key and the version."""
    by_name = {c.attr: at for at, c in enumerate(spec.columns)}
    by_name.update({c.name: at for at, c in enumerate(spec.columns)})
    unknown = sorted(chosen - by_name.keys())
    if unknown:
        known = ", ".join(c.attr for c in spec.columns)
        raise ValueError(
            f"table {spec.table} has no column {', '.join(map(repr, unknown))} "
            f"to update (its columns: {known})"
        )
    if not chosen:
        raise ValueError(f"table {spec.table}: columns=[] updates nothing; name at least one")
    written = {by_name[name] for name in chosen} | set(spec.key_columns)
    if spec.audit is not None:
        written.add(spec.audit.version_column)
    return frozenset(written)


def _relaxed(column: ColumnSpec) -> ColumnSpec:
    """A column not written: sent as None, which it accepts, and checked for nothing else (what
    it is, a server default or an array, stays as it was)."""
    return dataclasses.replace(
        column,
        nullable=True,
        nullable_elements=True,
        none_on_insert=True,
        none_on_update=True,
        max_length=None,
        min_length=None,
        minimum=None,
        maximum=None,
        precision=None,
        scale=None,
        enum_values=None,
    )


def _only(
    to_columns: Callable[[Sequence[Any]], list[list[Any]]], written: frozenset[int], width: int
) -> Callable[[Sequence[Any]], list[list[Any]]]:
    def columns(items: Sequence[Any]) -> list[list[Any]]:
        values = to_columns(items)
        blank = [None] * len(items)
        return [values[at] if at in written else blank for at in range(width)]

    return columns
