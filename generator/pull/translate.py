"""A live catalog as a schema document (the mapping ``schema.yaml`` holds), in the spellings
issue 13 agreed on, and what it could not say.

* every CHECK constraint is a table ``checks`` entry named by its constraint name (the
  expression as ``pg_get_constraintdef`` prints it), but the element check batchrepo itself
  derives for an array column, which is ``nullable_elements: false`` (the default);
* unique keys and foreign keys are named so that batchrepo derives their constraint names
  (``<table>_<key>_key``, ``<table>_<key>_fkey``); a name that does not fit that pattern is
  the key's name and also its ``constraint:``; a primary key not named ``<table>_pkey`` gets
  ``primary_key_constraint:``;
* a foreign key whose columns no key or index leads with gets ``index: false``;
* indexes that back no constraint are declared by their own names; plain btree over columns
  only, with an optional ``WHERE`` (``where:``) and ``unique: true``.

A table the language cannot represent (no primary key, a type batchrepo lacks, a foreign key
to a table left out, ...) is left out whole with its reason in :attr:`Translation.left_out`;
lesser losses (a default, an index) are :attr:`Translation.notes`. Nothing is dropped
silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..schema.names import class_name, derived_identifier
from .catalog import LiveCatalog, LiveTable
from .columns import Unrepresentable, column_entry, column_type
from .expressions import check_expression, written_expression

_ACTIONS = {"a": "no_action", "r": "restrict", "c": "cascade", "n": "set_null"}


@dataclass
class Translation:
    document: dict[str, Any]
    left_out: dict[str, str] = field(default_factory=dict)
    """Table -> why it is not in the schema."""
    notes: list[str] = field(default_factory=list)
    """What a written table lost or changed, one sentence each, located ``table.part``."""


def translate(
    catalog: LiveCatalog,
    package: str,
    left_out: dict[str, str] | None = None,
    on_update: dict[tuple[str, str], str] | None = None,
) -> Translation:
    """The schema document of ``catalog``, without the tables of ``left_out`` (and any table
    whose foreign key leads to a table left out); ``on_update`` gives ``(table, column)`` the
    expression an ``updated_at`` trigger sets (:mod:`.unmodelled`)."""
    blocked = dict(left_out or {})
    enums = frozenset(e.name for e in catalog.enums)
    while True:
        notes: list[str] = []
        tables: dict[str, Any] = {}
        newly: dict[str, str] = {}
        for table in catalog.tables:
            if table.name in blocked:
                continue
            try:
                tables[table.name] = _table(table, catalog, enums, blocked, notes)
                for (owner, column), expression in (on_update or {}).items():
                    if owner == table.name and column in tables[owner]["columns"]:
                        tables[owner]["columns"][column]["on_update"] = expression
            except Unrepresentable as why:
                newly[table.name] = str(why)
        if not newly:
            break
        blocked.update(newly)
    used = {c.element for t in catalog.tables if t.name in tables for c in t.columns}
    document: dict[str, Any] = {"version": 1, "package": package}
    enum_entries = {e.name: _enum(e.values, e.comment) for e in catalog.enums if e.name in used}
    if enum_entries:
        document["enums"] = enum_entries
    document["tables"] = tables
    return Translation(document, blocked, notes)


def _enum(values: tuple[str, ...], comment: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"values": list(values)}
    if comment:
        entry["description"] = comment
    return entry


def _table(
    table: LiveTable,
    catalog: LiveCatalog,
    enums: frozenset[str],
    blocked: dict[str, str],
    notes: list[str],
) -> dict[str, Any]:
    if table.kind == "p" or table.partition_of is not None:
        raise Unrepresentable("partitioned tables and partitions are not supported")
    (primary_key,) = table.constraint("p") or (None,)
    if primary_key is None:
        raise Unrepresentable("the table has no primary key, which batchrepo needs")
    entry: dict[str, Any] = {}
    if table.comment:
        entry["description"] = table.comment
    if (singular := singular_class_name(table.name)) != class_name(table.name):
        entry["class_name"] = singular
    if primary_key.name != derived_identifier(table.name, "pkey"):
        entry["primary_key_constraint"] = primary_key.name
    if len(primary_key.columns) > 1:
        entry["primary_key"] = list(primary_key.columns)
    checks = table.constraint("c")
    element_checks = {
        derived_identifier(table.name, c.name, "elements", "check") for c in table.columns
    }
    columns: dict[str, Any] = {}
    for column in table.columns:
        where = f"{table.name}.{column.name}"
        spelled = column_type(column, catalog.schema_name, enums)
        columns[column.name] = column_entry(column, spelled, notes, where)
        if primary_key.columns == (column.name,):  # next to the type, as people write it
            columns[column.name] = {"type": spelled, "primary_key": True, **columns[column.name]}
        if column.is_array and derived_identifier(
            table.name, column.name, "elements", "check"
        ) not in {c.name for c in checks if "array_position(" in c.definition}:
            columns[column.name]["nullable_elements"] = True
    entry["columns"] = columns
    table_checks = {}
    for check in checks:
        if check.name in element_checks and "array_position(" in check.definition:
            continue
        table_checks[check.name] = check_expression(check, notes, table.name)
    if table_checks:
        entry["checks"] = table_checks
    _keys(entry, table, notes)
    _indexes(entry, table, notes)
    _foreign_keys(entry, table, catalog, blocked, notes)
    return entry


#: Plural endings and what the singular ends with, tried in order; words ending in ``ss``,
#: ``us`` or ``is`` (``address``, ``status``, ``analysis``) are left alone.
_PLURALS = (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh"), ("s", ""))


def singular_class_name(table: str) -> str:
    """The entity class name for a plural table name: ``customer_addresses`` ->
    ``CustomerAddress``, ``countries`` -> ``Country`` (issue 13: ``Persons`` read badly)."""
    head, _, last = table.rpartition("_")
    if not last.endswith(("ss", "us", "is")):
        for plural, singular in _PLURALS:
            if last.endswith(plural) and len(last) > len(plural) + 1:
                last = last[: -len(plural)] + singular
                break
    return class_name(f"{head}_{last}" if head else last)


def _key_name(table: str, constraint: str, suffix: str) -> str | None:
    """The key name from which batchrepo derives ``constraint``; None when none does."""
    prefix, end = f"{table}_", f"_{suffix}"
    if constraint.startswith(prefix) and constraint.endswith(end):
        middle = constraint[len(prefix) : -len(end)]
        if middle and derived_identifier(table, middle, suffix) == constraint:
            return middle
    return None


def _keys(entry: dict[str, Any], table: LiveTable, notes: list[str]) -> None:
    unique: dict[str, Any] = {}
    for key in table.constraint("u"):
        if key.deferrable:
            notes.append(f"{table.name}.{key.name}: DEFERRABLE is not kept")
        name = _key_name(table.name, key.name, "key")
        if name is not None:
            unique[name] = list(key.columns)
        else:
            unique[key.name] = {"columns": list(key.columns), "constraint": key.name}
    if unique:
        entry["unique"] = unique
    for key in table.constraint("x"):
        notes.append(
            f"{table.name}.{key.name}: exclusion constraint not modelled ({key.definition})"
        )


def _indexes(entry: dict[str, Any], table: LiveTable, notes: list[str]) -> None:
    indexes: dict[str, Any] = {}
    for index in table.indexes:
        if index.constraint is not None:
            continue
        if None in index.columns or not index.plain:
            notes.append(f"{table.name}.{index.name}: index not modelled ({index.definition})")
            continue
        if not index.unique and index.predicate is None:
            indexes[index.name] = list(index.columns)
            continue
        long: dict[str, Any] = {"columns": list(index.columns)}
        if index.predicate is not None:
            long["where"] = written_expression(index.predicate)
        if index.unique:
            long["unique"] = True
        indexes[index.name] = long
    if indexes:
        entry["indexes"] = indexes


def _covered(table: LiveTable, columns: tuple[str, ...]) -> bool:
    """Whether a key or a whole-table index leads with ``columns`` (in any order), as batchrepo
    asks before it adds an index for a foreign key."""
    leads: list[tuple[str | None, ...]] = [
        c.columns for c in table.constraints if c.kind in ("p", "u")
    ]
    leads += [i.columns for i in table.indexes if i.predicate is None and None not in i.columns]
    wanted = set(columns)
    return any(set(lead[: len(columns)]) == wanted for lead in leads)


def _foreign_keys(
    entry: dict[str, Any],
    table: LiveTable,
    catalog: LiveCatalog,
    blocked: dict[str, str],
    notes: list[str],
) -> None:
    keys: dict[str, Any] = {}
    parents = {t.name: t for t in catalog.tables}
    for fk in table.constraint("f"):
        parent = parents.get(fk.parent or "")
        if fk.parent_schema != catalog.schema_name or parent is None:
            raise Unrepresentable(f"foreign key {fk.name!r} refers to another schema's table")
        if fk.parent in blocked:
            raise Unrepresentable(
                f"foreign key {fk.name!r} refers to table {fk.parent!r}, which is left out"
            )
        if "d" in (fk.on_delete, fk.on_update):
            raise Unrepresentable(f"foreign key {fk.name!r} uses SET DEFAULT")
        where = f"{table.name}.{fk.name}"
        if fk.match != "s":
            notes.append(f"{where}: MATCH FULL is not kept")
        if fk.deferrable:
            notes.append(f"{where}: DEFERRABLE is not kept")
        (parent_key,) = parent.constraint("p") or (None,)
        reference: dict[str, Any] = {"table": fk.parent}
        if parent_key is None or parent_key.columns != fk.parent_columns:
            reference["columns"] = list(fk.parent_columns)
        key: dict[str, Any] = {
            "columns": list(fk.columns),
            "references": reference,
            "on_delete": _ACTIONS[fk.on_delete],
        }
        if fk.on_update != "a":
            key["on_update"] = _ACTIONS[fk.on_update]
        name = _key_name(table.name, fk.name, "fkey")
        if name is None:
            name = fk.name
            key["constraint"] = fk.name
        if not _covered(table, fk.columns):
            key["index"] = False
        keys[name] = key
    if keys:
        entry["foreign_keys"] = keys
