"""The steps that carry a database from one schema to the next, in an order that applies cleanly
in one transaction (each phase only needs what earlier phases made):

1. ``enum``: new types, new values (placed with BEFORE/AFTER so the declared order holds);
2. ``drop constraint``: constraints and indexes that change, so their names are free again;
3. ``rename``: tables, columns, then the constraints and indexes named after them;
4. ``create table``: new tables, parents first, with their keys, checks, indexes and comments;
5. ``column``: columns added and altered (type, default, identity, nullability);
6. ``constraint``, ``foreign key``, ``index``: added once every table and column exists;
7. ``comment``: descriptions that changed;
8. ``drop``: columns, then tables (their foreign keys first), then enum types.

Destructive steps are marked; impossible changes (removing or reordering enum values, using an
enum value in the transaction that adds it) are reported as problems.
"""

from __future__ import annotations

from .migration_columns import column_steps
from .migration_match import Correspondence, TablePair, all_enums, correspond
from .migration_plan import Plan, Step
from .migration_sql import (
    NamedObject,
    add_enum_value,
    add_object,
    column_comment,
    constraints,
    create_enum,
    create_table,
    drop_object,
    enum_comment,
    indexes,
    rename_object,
    table_comment,
    table_comments,
)
from .model import Schema, Table
from .names import quote_ident
from .resolve import resolve
from .schema import SchemaDef


def diff_schemas(
    old_def: SchemaDef, new_def: SchemaDef
) -> tuple[tuple[Step, ...], tuple[str, ...]]:
    """Every step from ``old_def`` to ``new_def``, and the changes no step can make."""
    old, new = resolve(old_def), resolve(new_def)
    plan = Plan()
    _enums(plan, old, new)
    match = correspond(old_def, new_def, old, new)
    for pair in match.pairs:
        _renames(plan, pair)
    for pair in match.pairs:
        _objects(plan, pair)
    _new_tables(plan, match.added)
    main_tables = {t.history_table: t for t in new.tables if t.history_table is not None}
    for pair in match.pairs:
        column_steps(plan, pair, main_tables.get(pair.new.name))
        _comments(plan, pair)
    _drops(plan, match, old, new)
    return plan.steps(), tuple(plan.problems)


def _enums(plan: Plan, old: Schema, new: Schema) -> None:
    before = {e.name: e for e in all_enums(old)}
    for enum in all_enums(new):
        previous = before.get(enum.name)
        if previous is None:
            plan.add("enum", create_enum(enum), f"create enum {enum.name}")
            if enum.description is not None:
                plan.add("comment", enum_comment(enum.name, enum.description), "enum comment")
            continue
        if enum.description != previous.description:
            plan.add("comment", enum_comment(enum.name, enum.description), "enum comment")
        removed = [v for v in previous.values if v not in enum.values]
        if removed:
            plan.problems.append(
                f"enum {enum.name}: values {', '.join(removed)} removed; PostgreSQL cannot "
                "drop an enum value: move the rows off them and recreate the type by hand"
            )
            continue
        if [v for v in enum.values if v in previous.values] != list(previous.values):
            plan.problems.append(
                f"enum {enum.name}: existing values reordered ({', '.join(previous.values)} -> "
                f"{', '.join(enum.values)}); PostgreSQL cannot reorder enum values: keep their "
                "order (new values may go anywhere)"
            )
            continue
        for i, value in enumerate(enum.values):
            if value in previous.values:
                continue
            # Values go in declared order, so the one before this is already there; the first
            # value goes before the first old one.
            after = enum.values[i - 1] if i > 0 else None
            first_old = next(v for v in enum.values if v in previous.values)
            plan.add(
                "enum",
                add_enum_value(enum.name, value, before=first_old, after=after),
                f"add value {value} to enum {enum.name}",
            )
            plan.new_enum_values.add((enum.name, value))


def _renames(plan: Plan, pair: TablePair) -> None:
    t = quote_ident(pair.new.name)
    if pair.renamed:
        plan.add(
            "rename",
            f"ALTER TABLE {quote_ident(pair.old_name)} RENAME TO {t};",
            f"rename table {pair.old_name} to {pair.new.name}",
        )
    for old_name, new_name in pair.column_renames:
        plan.add(
            "rename",
            f"ALTER TABLE {t} RENAME COLUMN {quote_ident(old_name)} TO {quote_ident(new_name)};",
            f"rename column {pair.new.name}.{old_name} to {new_name}",
        )


def _objects(plan: Plan, pair: TablePair) -> None:
    """Constraints and indexes: kept when name and body match, renamed when only the name
    differs, otherwise dropped (early, freeing the name) and added (late)."""
    remaining = [*constraints(pair.old), *indexes(pair.old)]
    unmatched: list[NamedObject] = []
    for item in (*constraints(pair.new), *indexes(pair.new)):
        if item in remaining:
            remaining.remove(item)
        else:
            unmatched.append(item)
    added: list[NamedObject] = []
    for item in unmatched:
        same = next((o for o in remaining if (o.body, o.kind) == (item.body, item.kind)), None)
        if same is None:
            added.append(item)
            continue
        remaining.remove(same)
        plan.add(
            "rename",
            rename_object(pair.new.name, same, item.name),
            f"rename {item.kind} {same.name} to {item.name}",
        )
    # Foreign keys first: a key they depend on cannot go before them.
    for item in sorted(remaining, key=lambda o: o.kind != "foreign key"):
        plan.add(
            "drop constraint",
            drop_object(pair.old_name, item),
            f"drop {item.kind} {item.name} of {pair.new.name}",
        )
    for item in added:
        kind = {"foreign key": "foreign key", "index": "index"}.get(item.kind, "constraint")
        plan.add(kind, add_object(pair.new.name, item), f"add {item.kind} {item.name}")


def _new_tables(plan: Plan, added: tuple[Table, ...]) -> None:
    for table in _parents_first(added):
        plan.add("create table", create_table(table), f"create table {table.name}")
        for item in indexes(table):
            plan.add("create table", add_object(table.name, item), f"index {item.name}")
        for statement in table_comments(table):
            plan.add("create table", statement, f"comments of {table.name}")
        for item in constraints(table):
            if item.kind == "foreign key":
                plan.add("foreign key", add_object(table.name, item), f"add {item.kind}")


def _parents_first(tables: tuple[Table, ...]) -> list[Table]:
    """New tables, each after the new tables it refers to (schema order otherwise; in a cycle
    the first remaining table goes next: foreign keys are added after every table anyway)."""
    remaining = list(tables)
    pending = {t.name for t in tables}
    order: list[Table] = []
    while remaining:
        ready = next(
            (
                t
                for t in remaining
                if all(fk.parent not in pending or fk.parent == t.name for fk in t.foreign_keys)
            ),
            remaining[0],
        )
        remaining.remove(ready)
        pending.discard(ready.name)
        order.append(ready)
    return order


def _comments(plan: Plan, pair: TablePair) -> None:
    table = pair.new
    if table.description != pair.old.description:
        plan.add("comment", table_comment(table.name, table.description), f"{table.name}")
    before = {c.name: c for c in pair.old.columns}
    for column in table.columns:
        previous = before.get(column.name)
        old_description = previous.description if previous is not None else None
        if column.description != old_description:
            plan.add(
                "comment",
                column_comment(table.name, column.name, column.description),
                f"{table.name}.{column.name}",
            )


def _drops(plan: Plan, match: Correspondence, old: Schema, new: Schema) -> None:
    for pair in match.pairs:
        kept = {c.name for c in pair.new.columns}
        for column in pair.old.columns:
            if column.name not in kept:
                plan.add(
                    "drop",
                    f"ALTER TABLE {quote_ident(pair.new.name)} DROP COLUMN "
                    f"{quote_ident(column.name)};",
                    f"drop column {pair.new.name}.{column.name}: its data is lost",
                    destructive=True,
                )
    dropped = {t.name for t in match.dropped}
    for table in match.dropped:
        for fk in table.foreign_keys:
            if fk.parent in dropped and fk.parent != table.name:
                item = NamedObject(fk.constraint, "foreign key", "")
                plan.add("drop", drop_object(table.name, item), f"drop foreign key {fk.constraint}")
    for table in match.dropped:
        plan.add(
            "drop",
            f"DROP TABLE {quote_ident(table.name)};",
            f"drop table {table.name}: its rows are lost",
            destructive=True,
        )
    kept_enums = {e.name for e in all_enums(new)}
    for enum in all_enums(old):
        if enum.name not in kept_enums:
            plan.add("drop", f"DROP TYPE {quote_ident(enum.name)};", f"drop enum {enum.name}")
