"""SQL statements of a migration, built from the same pieces as the DDL (:mod:`ddl`), so a column,
key, foreign key or check reads exactly as ``schema.sql`` declares it.

Every object of a table that has a name of its own (primary key, unique keys, foreign keys,
checks, indexes) becomes a :class:`NamedObject`: its name and its *body*, the definition without
the name. Two objects with the same body are the same object, whatever their names: that is how a
migration recognises a constraint to rename (its name derives from a renamed table or column)
rather than drop and recreate.
"""

from __future__ import annotations

from dataclasses import dataclass

# The DDL's own column, foreign key and check renderers: one spelling of each for both outputs.
from ..emit.ddl import (
    check_constraint,
    column_definition,
    default_literal,
    foreign_key_constraint,
    index_body,
    table_check_constraint,
)
from ..model import Column, Enum, Table
from ..schema.names import quote_ident, sql_literal

__all__ = [
    "NamedObject",
    "add_enum_value",
    "add_object",
    "alter_column",
    "column_comment",
    "column_definition",
    "constraints",
    "create_enum",
    "create_table",
    "default_sql",
    "drop_object",
    "enum_comment",
    "indexes",
    "rename_object",
    "table_comment",
    "table_comments",
]


@dataclass(frozen=True, slots=True)
class NamedObject:
    """A constraint or an index of one table."""

    name: str
    kind: str
    """``primary key``, ``unique key``, ``foreign key``, ``check`` or ``index``."""
    body: str
    """The definition without the name: ``UNIQUE ("a", "b")``, ``ON "t" ("a")``."""

    @property
    def is_index(self) -> bool:
        return self.kind == "index"


def column_names(table: Table, positions: tuple[int, ...]) -> str:
    return ", ".join(quote_ident(n) for n in table.names(positions))


def _constraint_body(name: str, definition: str) -> str:
    return definition.removeprefix(f"CONSTRAINT {quote_ident(name)} ")


def constraints(table: Table) -> tuple[NamedObject, ...]:
    """Every named constraint of ``table``, foreign keys included."""
    pk = table.primary_key
    found = [
        NamedObject(
            pk.constraint, "primary key", f"PRIMARY KEY ({column_names(table, pk.columns)})"
        )
    ]
    found += [
        NamedObject(u.constraint, "unique key", f"UNIQUE ({column_names(table, u.columns)})")
        for u in table.uniques
    ]
    found += [
        NamedObject(check.constraint, "check", _constraint_body(check.constraint, sql))
        for column in table.columns
        for check in column.checks
        for sql in (check_constraint(column, check),)
    ]
    found += [
        NamedObject(check.constraint, "check", _constraint_body(check.constraint, sql))
        for check in table.checks
        for sql in (table_check_constraint(check),)
    ]
    found += [
        NamedObject(fk.constraint, "foreign key", _constraint_body(fk.constraint, sql))
        for fk in table.foreign_keys
        for sql in (foreign_key_constraint(table, fk),)
    ]
    return tuple(found)


def indexes(table: Table) -> tuple[NamedObject, ...]:
    """The body of a unique index starts with ``UNIQUE`` (a partial one's ends with its
    ``WHERE``): a change of either is a changed index."""
    return tuple(
        NamedObject(i.name, "index", f"{'UNIQUE ' if i.unique else ''}{index_body(table, i)}")
        for i in table.indexes
    )


def add_object(table: str, item: NamedObject) -> str:
    if item.is_index:
        unique = "UNIQUE " if item.body.startswith("UNIQUE ") else ""
        body = item.body.removeprefix("UNIQUE ")
        return f"CREATE {unique}INDEX {quote_ident(item.name)} {body};"
    return f"ALTER TABLE {quote_ident(table)} ADD CONSTRAINT {quote_ident(item.name)} {item.body};"


def drop_object(table: str, item: NamedObject) -> str:
    if item.is_index:
        return f"DROP INDEX {quote_ident(item.name)};"
    return f"ALTER TABLE {quote_ident(table)} DROP CONSTRAINT {quote_ident(item.name)};"


def rename_object(table: str, item: NamedObject, new_name: str) -> str:
    """Renaming a primary or unique key renames its index too."""
    if item.is_index:
        return f"ALTER INDEX {quote_ident(item.name)} RENAME TO {quote_ident(new_name)};"
    return (
        f"ALTER TABLE {quote_ident(table)} RENAME CONSTRAINT {quote_ident(item.name)} "
        f"TO {quote_ident(new_name)};"
    )


def create_table(table: Table) -> str:
    """``CREATE TABLE`` with columns, primary key, unique keys and checks; foreign keys come
    later (:func:`add_object`), once every table they need exists."""
    elements = [column_definition(c) for c in table.columns]
    elements += [
        f"CONSTRAINT {quote_ident(item.name)} {item.body}"
        for item in constraints(table)
        if item.kind != "foreign key"
    ]
    inner = ",\n".join(f"    {e}" for e in elements)
    return f"CREATE TABLE {quote_ident(table.name)} (\n{inner}\n);"


def default_sql(column: Column) -> str | None:
    """The column's DEFAULT expression, None when it has none (identity columns have none)."""
    if column.identity:
        return None
    if column.version:
        return "1"  # as the DDL declares it: a row starts at version 1
    if column.server_default is not None:
        return column.server_default
    if column.default is not None:
        return default_literal(column)
    return None


def alter_column(table: str, column: str, action: str) -> str:
    return f"ALTER TABLE {quote_ident(table)} ALTER COLUMN {quote_ident(column)} {action};"


def table_comment(table: str, description: str | None) -> str:
    return f"COMMENT ON TABLE {quote_ident(table)} IS {_comment(description)};"


def column_comment(table: str, column: str, description: str | None) -> str:
    return (
        f"COMMENT ON COLUMN {quote_ident(table)}.{quote_ident(column)} IS {_comment(description)};"
    )


def enum_comment(enum: str, description: str | None) -> str:
    return f"COMMENT ON TYPE {quote_ident(enum)} IS {_comment(description)};"


def _comment(description: str | None) -> str:
    return "NULL" if description is None else sql_literal(description)


def create_enum(enum: Enum) -> str:
    values = ", ".join(sql_literal(v) for v in enum.values)
    return f"CREATE TYPE {quote_ident(enum.name)} AS ENUM ({values});"


def add_enum_value(enum: str, value: str, *, before: str | None, after: str | None) -> str:
    place = f" AFTER {sql_literal(after)}" if after is not None else ""
    if after is None and before is not None:
        place = f" BEFORE {sql_literal(before)}"
    return f"ALTER TYPE {quote_ident(enum)} ADD VALUE {sql_literal(value)}{place};"


def table_comments(table: Table) -> list[str]:
    """``COMMENT ON`` statements of a new table, as the DDL declares them."""
    statements = []
    if table.description is not None:
        statements.append(table_comment(table.name, table.description))
    statements += [
        column_comment(table.name, c.name, c.description)
        for c in table.columns
        if c.description is not None
    ]
    return statements
