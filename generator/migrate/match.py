"""Which table and column of the old schema each one of the new schema is.

A table or column keeps its identity under the same name, or under a new name that declares the
old one as ``renamed_from``. A ``renamed_from`` is only a rename while it explains a difference:
once a migration has renamed ``customer`` to ``client``, the next migration finds ``client`` in
the old schema already (declaring the same ``renamed_from``) and ignores the stale declaration.
Names may trade places: ``b: {renamed_from: a}`` with ``a: {renamed_from: b}`` swaps two columns
(or tables), and ``c`` from ``b`` with ``b`` from ``a`` moves both along; the SQL goes through a
temporary name (:mod:`migration_renames`).

The history table of an audited table (``<table>_history``) follows its main table: renaming
the table renames its history, renaming a column renames the history's column of the same name.

Old tables come back *translated*: spelled with the new names of the table, its columns and the
parents of its foreign keys, so comparing a translated old table with the new one shows what
really changed, and a constraint whose only difference is its derived name is a rename.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from ..model import Enum, Schema, Table
from ..schema.document import SchemaDef
from ..schema.names import history_table_name


def all_tables(schema: Schema) -> tuple[Table, ...]:
    """The schema's tables and the audit tables it implies (audit log, history tables)."""
    return (*schema.tables, *schema.audit_tables)


def all_enums(schema: Schema) -> tuple[Enum, ...]:
    return (*schema.enums, *schema.audit_enums)


@dataclass(frozen=True, slots=True)
class TablePair:
    """One table in both schemas."""

    old_name: str
    old: Table
    """The old table translated to the new names."""
    new: Table
    column_renames: tuple[tuple[str, str], ...]
    """(old name, new name) of every renamed column."""

    @property
    def renamed(self) -> bool:
        return self.old_name != self.new.name


@dataclass(frozen=True, slots=True)
class Correspondence:
    pairs: tuple[TablePair, ...]
    """Tables in both schemas, in new schema order."""
    added: tuple[Table, ...]
    dropped: tuple[Table, ...]
    """Old tables, under their old names."""


def correspond(old_def: SchemaDef, new_def: SchemaDef, old: Schema, new: Schema) -> Correspondence:
    old_tables = {t.name: t for t in all_tables(old)}
    new_tables = {t.name: t for t in all_tables(new)}
    table_renames = _table_renames(old_def, new_def, old_tables, new_tables)
    column_renames = _column_renames(old_def, new_def, table_renames, old_tables, new_tables)
    old_to_new = {old_name: new_name for new_name, old_name in table_renames.items()}
    new_column_names = {
        table_renames.get(table, table): {o: n for n, o in renames.items()}
        for table, renames in column_renames.items()
    }
    pairs: list[TablePair] = []
    added: list[Table] = []
    for table in new_tables.values():
        old_name = table_renames.get(table.name, table.name)
        if old_name not in old_tables:
            added.append(table)
            continue
        renames = new_column_names.get(old_name, {})
        translated = _translated(
            old_tables[old_name], table.name, renames, old_to_new, new_column_names
        )
        pairs.append(TablePair(old_name, translated, table, tuple(renames.items())))
    kept = {p.old_name for p in pairs}
    dropped = tuple(t for name, t in old_tables.items() if name not in kept)
    return Correspondence(tuple(pairs), tuple(added), dropped)


def _effective_renames(
    declared: Mapping[str, str | None],
    base_declared: Mapping[str, str | None],
    old_names: Collection[str],
    new_names: Collection[str],
) -> dict[str, str]:
    """{new name: old name} of the ``renamed_from`` declarations (``declared``, by new name) that
    rename something in this migration.

    A declaration is stale when the base declares the same (``base_declared``, by old name):
    that migration has run. The old name must exist in the old schema. The new name may exist
    there too, and the old name in the new schema, only when that name moves itself (a swap, a
    chain): a declaration whose new name is held by a table or column that stays, or whose old
    name is still there in the new schema, renames nothing."""
    renames = {
        new: old
        for new, old in declared.items()
        if old is not None and old != new and old in old_names and base_declared.get(new) != old
    }
    return _moving(renames, old_names, new_names)


def _moving(
    renames: dict[str, str], old_names: Collection[str], new_names: Collection[str]
) -> dict[str, str]:
    """``renames`` less those whose new name stays taken or whose old name stays in use (until
    none is left: leaving one out may leave another's name taken)."""
    while True:
        sources, targets = set(renames.values()), set(renames)
        blocked = {
            new
            for new, old in renames.items()
            if (new in old_names and new not in sources)
            or (old in new_names and old not in targets)
        }
        if not blocked:
            return renames
        renames = {new: old for new, old in renames.items() if new not in blocked}


def _table_renames(
    old_def: SchemaDef,
    new_def: SchemaDef,
    old_tables: Mapping[str, Table],
    new_tables: Mapping[str, Table],
) -> dict[str, str]:
    """{new name: old name} of every renamed table, history tables included."""
    renames = _effective_renames(
        {name: table.renamed_from for name, table in new_def.tables.items()},
        {name: table.renamed_from for name, table in old_def.tables.items()},
        old_tables,
        new_tables,
    )
    histories = {
        history_table_name(name): history_table_name(source)
        for name, source in renames.items()
        if history_table_name(name) in new_tables and history_table_name(source) in old_tables
    }
    return {**renames, **_moving(histories, old_tables, new_tables)}


def _column_renames(
    old_def: SchemaDef,
    new_def: SchemaDef,
    table_renames: Mapping[str, str],
    old_tables: Mapping[str, Table],
    new_tables: Mapping[str, Table],
) -> dict[str, dict[str, str]]:
    """{new table name: {new column: old column}}; a history table follows its main table."""
    found: dict[str, dict[str, str]] = {}
    for name, table in new_def.tables.items():
        old_name = table_renames.get(name, name)
        old_table = old_tables.get(old_name)
        if old_table is None:
            continue
        base_table = old_def.tables.get(old_name)
        old_columns = {c.name for c in old_table.columns}
        renames = _effective_renames(
            {column: definition.renamed_from for column, definition in table.columns.items()},
            {c: d.renamed_from for c, d in base_table.columns.items()} if base_table else {},
            old_columns,
            {c.name for c in new_tables[name].columns},
        )
        if not renames:
            continue
        found[name] = renames
        history = history_table_name(name)
        old_history = old_tables.get(table_renames.get(history, history))
        if history in new_tables and old_history is not None:
            new_history_columns = {c.name for c in new_tables[history].columns}
            old_history_columns = {c.name for c in old_history.columns}
            found[history] = _moving(
                {
                    n: o
                    for n, o in renames.items()
                    if n in new_history_columns and o in old_history_columns
                },
                old_history_columns,
                new_history_columns,
            )
    return found


def _translated(
    table: Table,
    name: str,
    column_names: Mapping[str, str],
    table_names: Mapping[str, str],
    parent_column_names: Mapping[str, Mapping[str, str]],
) -> Table:
    """``table`` spelled with new names: its own, its columns', its foreign keys' parents'."""
    columns = tuple(
        dataclasses.replace(c, name=column_names.get(c.name, c.name)) for c in table.columns
    )
    foreign_keys = tuple(
        dataclasses.replace(
            fk,
            parent=table_names.get(fk.parent, fk.parent),
            parent_columns=tuple(
                parent_column_names.get(fk.parent, {}).get(c, c) for c in fk.parent_columns
            ),
        )
        for fk in table.foreign_keys
    )
    return dataclasses.replace(table, name=name, columns=columns, foreign_keys=foreign_keys)
