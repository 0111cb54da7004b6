"""Column steps of a migration: columns added to existing tables and columns altered (type,
default, identity, nullability), in the order PostgreSQL needs them: a default that may not
convert is dropped before the type changes, NULLs take the default before NOT NULL.
"""

from __future__ import annotations

from ..model import Column, Table
from ..schema.names import quote_ident, sql_literal
from .match import TablePair
from .phases import Plan
from .statements import alter_column, column_definition, default_sql
from .type_changes import conversion, is_widening


def column_steps(plan: Plan, pair: TablePair, main_table: Table | None) -> None:
    """``main_table``: the audited table when ``pair`` is its history table."""
    before = {c.name: c for c in pair.old.columns}
    main_columns = {c.name: c for c in main_table.columns} if main_table is not None else {}
    for column in pair.new.columns:
        previous = before.get(column.name)
        if previous is None:
            _add_column(plan, pair.new.name, column, main_columns.get(column.name))
        else:
            _alter_column(plan, pair.new.name, previous, column)


def _add_column(plan: Plan, table: str, column: Column, snapshot_of: Column | None) -> None:
    """``snapshot_of``: the audited table's column when ``table`` is its history table."""
    where = f"{table}.{column.name}"
    check_default(plan, where, column)
    definition = column_definition(column)
    needs_value = not column.nullable and default_sql(column) is None and not column.identity
    fill = default_sql(snapshot_of) if snapshot_of is not None and needs_value else None
    if fill is not None:
        # A history table has no defaults. Its snapshot columns are nullable (older snapshots
        # keep NULL for a column added later) except the key columns, so this is a new key
        # column: its old rows need a value, and take the audited table's default, as the
        # audited rows themselves did.
        plan.add(
            "column",
            f"ALTER TABLE {quote_ident(table)} ADD COLUMN {definition} DEFAULT {fill};",
            f"add column {where}, history rows take the default of the audited table",
        )
        plan.add("column", alter_column(table, column.name, "DROP DEFAULT"), where)
        return
    plan.add(
        "column",
        f"ALTER TABLE {quote_ident(table)} ADD COLUMN {definition};",
        f"add NOT NULL column {where} without a default: fails if the table has rows"
        if needs_value
        else f"add column {where}",
        destructive=needs_value,
    )


def check_default(plan: Plan, where: str, column: Column) -> None:
    enum = column.type.enum
    if isinstance(column.default, str) and (enum, column.default) in plan.new_enum_values:
        plan.problems.append(
            f"{where}: the default {column.default!r} is a value this migration adds to "
            f"enum {enum}, and PostgreSQL cannot use a new enum value in the transaction "
            "that adds it; add the value in one migration and use it in the next"
        )


def _alter_column(plan: Plan, table: str, before: Column, after: Column) -> None:
    where = f"{table}.{after.name}"
    old_default, new_default = default_sql(before), default_sql(after)
    if before.identity and not after.identity:
        plan.add("column", alter_column(table, after.name, "DROP IDENTITY"), f"{where}: identity")
    if before.type.ddl != after.type.ddl:
        if old_default is not None:
            # The old default may not convert to the new type; it is set again below.
            plan.add("column", alter_column(table, after.name, "DROP DEFAULT"), where)
            old_default = None
        widening = is_widening(before.type, after.type)
        plan.add(
            "column",
            alter_column(table, after.name, conversion(after.name, before.type, after.type)),
            f"change type of {where} from {before.type.ddl} to {after.type.ddl}"
            + ("" if widening else ": a narrowing or a conversion that may lose or reject data"),
            destructive=not widening,
        )
    if new_default != old_default:
        check_default(plan, where, after)
        action = "DROP DEFAULT" if new_default is None else f"SET DEFAULT {new_default}"
        plan.add("column", alter_column(table, after.name, action), f"default of {where}")
    was_not_null = before.identity or not before.nullable
    if after.identity and not before.identity:
        _make_identity(plan, table, after, was_not_null)
    elif not after.nullable and not was_not_null:
        _set_not_null(plan, table, after, new_default is not None)
    elif after.nullable and was_not_null:
        plan.add("column", alter_column(table, after.name, "DROP NOT NULL"), f"{where} nullable")


def _set_not_null(plan: Plan, table: str, column: Column, has_default: bool) -> None:
    where = f"{table}.{column.name}"
    if has_default:
        c = quote_ident(column.name)
        plan.add(
            "column",
            f"UPDATE {quote_ident(table)} SET {c} = DEFAULT WHERE {c} IS NULL;",
            f"{where}: NULLs take the default before NOT NULL",
        )
    plan.add(
        "column",
        alter_column(table, column.name, "SET NOT NULL"),
        f"{where} NOT NULL"
        if has_default
        else f"NOT NULL on existing column {where} without a default: fails if any row holds NULL",
        destructive=not has_default,
    )


def _make_identity(plan: Plan, table: str, column: Column, was_not_null: bool) -> None:
    if not was_not_null:
        _set_not_null(plan, table, column, has_default=False)
    plan.add(
        "column",
        alter_column(table, column.name, "ADD GENERATED ALWAYS AS IDENTITY"),
        f"{table}.{column.name}: identity",
    )
    # The new sequence starts at 1; existing rows may hold any value, so it starts past them.
    c = quote_ident(column.name)
    sequence = (
        f"pg_get_serial_sequence({sql_literal(quote_ident(table))}, {sql_literal(column.name)})"
    )
    plan.add(
        "column",
        f"SELECT setval({sequence}, coalesce(max({c}), 0) + 1, false) FROM {quote_ident(table)};",
        f"{table}.{column.name}: identity continues after the existing values",
    )
