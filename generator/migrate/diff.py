"""The steps that carry a database from one schema to the next, in an order that applies cleanly
in one transaction (each phase only needs what earlier phases made):

1. ``enum``: new types, new values (placed with BEFORE/AFTER so the declared order holds);
2. ``drop foreign key``: foreign keys that change or go, those of dropped tables, and those
   whose columns change type at either end (PostgreSQL rejects a type change that leaves
   the two ends of a foreign key incomparable, so they are added again after it); before
   any key, as a foreign key depends on the parent's primary or unique key it uses;
3. ``drop constraint``: other constraints and indexes that change, so their names are free;
4. ``rename``: tables, columns, then the constraints and indexes named after them;
5. ``create table``: new tables, parents first, with their keys, checks, indexes and comments;
6. ``column``: columns added and altered (type, default, identity, nullability);
7. ``constraint``, ``foreign key``, ``index``: added once every table and column exists;
8. ``comment``: descriptions that changed;
9. ``drop``: columns, then tables, then enum types.

Destructive steps are marked; impossible changes (removing or reordering enum values, using an
enum value in the transaction that adds it) are reported as problems.
"""

from __future__ import annotations

import dataclasses

from ..model import Schema, Table, resolve
from ..schema.document import SchemaDef
from ..schema.names import quote_ident
from .columns import column_steps
from .match import Correspondence, TablePair, all_enums, correspond
from .phases import Plan, Step
from .renames import Rename, ordered_renames, schema_names
from .statements import (
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


def diff_schemas(
    old_def: SchemaDef, new_def: SchemaDef
) -> tuple[tuple[Step, ...], tuple[str, ...]]:
    """Every step from ``old_def`` to ``new_def``, and the changes no step can make."""
    old, new = resolve(old_def), resolve(new_def)
    plan = Plan()
    _enums(plan, old, new)
    match = correspond(old_def, new_def, old, new)
    taken = schema_names(old, new)
    _renames(plan, match.pairs, taken)
    retyped = _retyped_columns(match.pairs)
    object_renames = [r for pair in match.pairs for r in _objects(plan, pair, retyped)]
    for move in ordered_renames(object_renames, taken):
        table, item = move.subject
        plan.add(
            "rename",
            rename_object(table, dataclasses.replace(item, name=move.old), move.new),
            f"rename {item.kind} {move.old} to {move.new}" + _parked(move.temporary),
        )
    _new_tables(plan, match.added)
    main_tables = {t.history_table: t for t in new.tables if t.history_table is not None}
    for pair in match.pairs:
        column_steps(plan, pair, main_tables.get(pair.new.name))
        _comments(plan, pair)
    _dropped_tables_foreign_keys(plan, match.dropped)
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


def _renames(plan: Plan, pairs: tuple[TablePair, ...], taken: frozenset[str]) -> None:
    tables = [Rename(None, p.old_name, p.new.name) for p in pairs if p.renamed]
    for move in ordered_renames(tables, taken):
        plan.add(
            "rename",
            f"ALTER TABLE {quote_ident(move.old)} RENAME TO {quote_ident(move.new)};",
            f"rename table {move.old} to {move.new}" + _parked(move.temporary),
        )
    for pair in pairs:
        t = quote_ident(pair.new.name)
        columns = [Rename(None, old, new) for old, new in pair.column_renames]
        for move in ordered_renames(columns, taken):
            plan.add(
                "rename",
                f"ALTER TABLE {t} RENAME COLUMN {quote_ident(move.old)} "
                f"TO {quote_ident(move.new)};",
                f"rename column {pair.new.name}.{move.old} to {move.new}" + _parked(move.temporary),
            )


def _parked(temporary: bool) -> str:
    return ", a temporary name: the new one is still taken" if temporary else ""


def _retyped_columns(pairs: tuple[TablePair, ...]) -> frozenset[tuple[str, str]]:
    """(table, column), by their new names, of every kept column whose type changes."""
    found: set[tuple[str, str]] = set()
    for pair in pairs:
        before = {c.name: c.type.ddl for c in pair.old.columns}
        found.update(
            (pair.new.name, c.name)
            for c in pair.new.columns
            if c.name in before and before[c.name] != c.type.ddl
        )
    return frozenset(found)


def _objects(
    plan: Plan, pair: TablePair, retyped: frozenset[tuple[str, str]]
) -> list[Rename[tuple[str, NamedObject]]]:
    """Constraints and indexes: kept when name and body match, renamed when only the name
    differs (returned: renames are ordered across tables), otherwise dropped (early, freeing the
    name) and added (late). A foreign key whose columns change type at either end is dropped
    and added again even when it stays the same."""
    table = pair.new
    rebuilt = {
        fk.constraint
        for fk in table.foreign_keys
        if any((table.name, c) in retyped for c in table.names(fk.columns))
        or any((fk.parent, c) in retyped for c in fk.parent_columns)
    }
    remaining = [*constraints(pair.old), *indexes(pair.old)]
    unmatched: list[NamedObject] = []
    added: list[NamedObject] = []
    for item in (*constraints(table), *indexes(table)):
        if item.kind == "foreign key" and item.name in rebuilt:
            added.append(item)  # its old self stays in ``remaining``: dropped
        elif item in remaining:
            remaining.remove(item)
        else:
            unmatched.append(item)
    renames: list[Rename[tuple[str, NamedObject]]] = []
    for item in unmatched:
        same = next((o for o in remaining if (o.body, o.kind) == (item.body, item.kind)), None)
        if same is None:
            added.append(item)
            continue
        remaining.remove(same)
        renames.append(Rename((table.name, same), same.name, item.name))
    for item in remaining:
        plan.add(
            "drop foreign key" if item.kind == "foreign key" else "drop constraint",
            drop_object(pair.old_name, item),
            f"drop {item.kind} {item.name} of {table.name}",
        )
    for item in added:
        kind = {"foreign key": "foreign key", "index": "index"}.get(item.kind, "constraint")
        plan.add(kind, add_object(table.name, item), f"add {item.kind} {item.name}")
    return renames


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


def _dropped_tables_foreign_keys(plan: Plan, dropped: tuple[Table, ...]) -> None:
    """A dropped table's foreign keys go early: until its ``DROP TABLE`` (in the last phase)
    they would hold on to keys of other tables that change, go, or change type."""
    for table in dropped:
        for fk in table.foreign_keys:
            plan.add(
                "drop foreign key",
                drop_object(table.name, NamedObject(fk.constraint, "foreign key", "")),
                f"drop foreign key {fk.constraint} of {table.name}, which is dropped",
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
