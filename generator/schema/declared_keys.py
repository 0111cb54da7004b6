"""The keys of a table as the schema declares them, with the column shorthands expanded.

A key can be declared on the table (``primary_key: [a, b]``, ``unique: {name: [...]}``,
``foreign_keys: {name: {...}}``) or on one column (``primary_key: true``, ``unique: true``,
``references: table`` or ``table.column``). These functions give one view of both, in one fixed
order: column shorthands in column order first, then the table's own entries in document order.
Each key keeps the document path it was declared at, so a check can point at it.

The checks use them on any schema; after :func:`batchrepo_codegen.schema.parse.parse_schema` has
accepted a schema they are exact (every column exists, every shorthand is well-formed).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .document import IndexDef, OnDelete, TableDef
from .issues import Path


@dataclass(frozen=True, slots=True)
class Key:
    """A primary or unique key: its name and columns, in key order."""

    name: str
    """``primary_key``, or the unique key's name (the column's for ``unique: true``)."""
    columns: tuple[str, ...]
    path: Path
    """Where it is declared: the table's list (a long-form unique key's ``columns``), or the
    column's ``primary_key``/``unique`` flag."""
    shorthand: bool
    constraint: str | None = None
    """The SQL name the schema gives it (``constraint:``), None for the derived one."""


@dataclass(frozen=True, slots=True)
class ForeignKey:
    """A foreign key; ``parent_columns`` is None when it refers to the parent's primary key."""

    name: str
    """The name in ``foreign_keys``, or the column's name for a ``references`` shorthand."""
    columns: tuple[str, ...]
    parent_table: str
    parent_columns: tuple[str, ...] | None
    on_delete: OnDelete
    path: Path
    shorthand: bool
    constraint: str | None = None
    """The SQL name the schema gives it (``constraint:``), None for the derived one."""
    on_update: OnDelete | None = None


#: The name of the primary key among a table's keys (``UniqueSpec.name``); no unique key takes it.
PRIMARY_KEY_NAME = "primary_key"


def primary_key_declarations(table_name: str, table: TableDef) -> list[Key]:
    """Every primary key the table declares: exactly one in a valid schema."""
    base: Path = ("tables", table_name)
    declared = [
        Key(PRIMARY_KEY_NAME, (column,), (*base, "columns", column, "primary_key"), True)
        for column, definition in table.columns.items()
        if definition.primary_key
    ]
    if table.primary_key is not None:
        declared.append(
            Key(PRIMARY_KEY_NAME, tuple(table.primary_key), (*base, "primary_key"), False)
        )
    if table.primary_key_constraint is not None:
        declared = [
            dataclasses.replace(k, constraint=table.primary_key_constraint) for k in declared
        ]
    return declared


def primary_key(table_name: str, table: TableDef) -> Key | None:
    """The primary key, or None when the table declares none or several."""
    declared = primary_key_declarations(table_name, table)
    return declared[0] if len(declared) == 1 else None


def unique_keys(table_name: str, table: TableDef) -> list[Key]:
    """Unique keys (not the primary key): ``unique: true`` columns, then the ``unique`` table."""
    base: Path = ("tables", table_name)
    keys = [
        Key(column, (column,), (*base, "columns", column, "unique"), True)
        for column, definition in table.columns.items()
        if definition.unique
    ]
    for name, declared in table.unique.items():
        path: Path = (*base, "unique", name)
        if declared.constraint is not None:  # the long form: the columns are a level down
            path = (*path, "columns")
        keys.append(Key(name, tuple(declared.columns), path, False, declared.constraint))
    return keys


def split_reference(text: str) -> tuple[str, str | None] | None:
    """``country`` -> ``("country", None)``, ``country.code`` -> ``("country", "code")``;
    None when malformed (names cannot hold a dot, so one dot at most)."""
    parts = text.split(".")
    if len(parts) > 2 or not all(parts):
        return None
    return (parts[0], parts[1]) if len(parts) == 2 else (parts[0], None)


def foreign_keys(table_name: str, table: TableDef) -> list[ForeignKey]:
    """Foreign keys: ``references`` shorthands (malformed ones left out), then ``foreign_keys``."""
    base: Path = ("tables", table_name)
    keys = []
    for column, definition in table.columns.items():
        if definition.references is None:
            continue
        target = split_reference(definition.references)
        if target is None:
            continue
        parent, parent_column = target
        keys.append(
            ForeignKey(
                name=column,
                columns=(column,),
                parent_table=parent,
                parent_columns=None if parent_column is None else (parent_column,),
                on_delete=definition.on_delete or "restrict",
                path=(*base, "columns", column, "references"),
                shorthand=True,
            )
        )
    for name, declared in table.foreign_keys.items():
        columns = declared.references.columns
        keys.append(
            ForeignKey(
                name=name,
                columns=tuple(declared.columns),
                parent_table=declared.references.table,
                parent_columns=None if columns is None else tuple(columns),
                on_delete=declared.on_delete,
                path=(*base, "foreign_keys", name),
                shorthand=False,
                constraint=declared.constraint,
                on_update=declared.on_update,
            )
        )
    return keys


def index_columns(declared: list[str] | IndexDef) -> tuple[str, ...]:
    """The columns of an index in either form (``[a, b]`` or ``{columns: [a, b], ...}``)."""
    return tuple(declared.columns if isinstance(declared, IndexDef) else declared)
