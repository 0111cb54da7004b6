"""Checks of Citus placement (``distribution: {column, colocate_with}`` and ``reference: true``).

Citus refuses, at ``create_distributed_table`` time or at the first write, what these checks
refuse at generation time, each with the table and key it is about:

* a table is distributed or a reference table, not both; the distribution column exists and is
  not an identity (the database would draw the value that decides the shard);
* the primary key and every unique key of a distributed table include the distribution column
  (a shard can only enforce uniqueness within itself);
* ``colocate_with`` names another distributed table whose distribution column has the same
  type, and co-location does not go round in a circle;
* foreign keys: distributed -> reference is fine, and so is reference -> reference; distributed
  -> distributed needs the two tables co-located (same ``colocate_with`` chain) and the key to
  map the child's distribution column onto the parent's; reference -> distributed, and a key
  between a placed table and a plain (local) one, are refused.

Tables that declare neither stay plain PostgreSQL tables; a schema without any placement passes
untouched. Placement is ignored by a plain PostgreSQL: ``schema.sql`` is the same either way and
the Citus calls live in ``citus.sql`` (:mod:`batchrepo_codegen.emit.ddl`, "Citus placement").
"""

from __future__ import annotations

from ..declared_keys import ForeignKey, foreign_keys, primary_key, unique_keys
from ..document import SchemaDef, TableDef
from ..issues import Path, Problem
from ..types import TypeSyntaxError, parse_type


def distribution_problems(schema: SchemaDef) -> list[Problem]:
    problems: list[Problem] = []
    for name, table in schema.tables.items():
        problems += _table_problems(schema, name, table)
    problems += _colocation_problems(schema)
    if any(placement(table) != "plain" for table in schema.tables.values()):
        # audit_log becomes a reference table, which a plain table's history cannot refer to
        problems += [
            Problem(
                ("tables", name, "audit"),
                f"audited table {name!r} must be distributed or a reference table in a schema "
                "that places tables on Citus (its history refers to audit_log, a reference "
                "table there)",
            )
            for name, table in schema.tables.items()
            if table.audit and placement(table) == "plain"
        ]
    for name, table in schema.tables.items():
        for key in foreign_keys(name, table):
            problems += _foreign_key_problems(schema, name, table, key)
    return problems


def placement(table: TableDef) -> str:
    """``distributed``, ``reference`` or ``plain`` (neither declared)."""
    if table.distribution is not None:
        return "distributed"
    return "reference" if table.reference else "plain"


def colocation_root(schema: SchemaDef, name: str) -> str:
    """The first table of ``name``'s ``colocate_with`` chain: tables with the same root are
    co-located. A chain that breaks or goes round ends where it does (reported elsewhere)."""
    seen = {name}
    while True:
        table = schema.tables.get(name)
        if table is None or table.distribution is None:
            return name
        target = table.distribution.colocate_with
        if target is None or target in seen or target not in schema.tables:
            return name
        seen.add(target)
        name = target


def _table_problems(schema: SchemaDef, name: str, table: TableDef) -> list[Problem]:
    base: Path = ("tables", name)
    if table.distribution is None:
        return []
    if table.reference:
        return [
            Problem(
                (*base, "reference"),
                f"table {name!r} is both distributed and a reference table; keep one "
                "(reference tables are copied whole to every node, distributed ones are split)",
            )
        ]
    column = table.distribution.column
    where: Path = (*base, "distribution", "column")
    if column not in table.columns:
        return [Problem(where, f"distribution column {column!r} is not a column of {name!r}")]
    problems: list[Problem] = []
    if table.columns[column].identity:
        problems.append(
            Problem(
                where,
                f"distribution column {column!r} of {name!r} is an identity: the shard of a "
                "row must be known before the database draws its key; distribute by a key the "
                "application knows (a uuid, an owner id)",
            )
        )
    pk = primary_key(name, table)
    if pk is not None and column not in pk.columns:
        problems.append(
            Problem(
                pk.path,
                f"the primary key ({', '.join(pk.columns)}) of distributed table {name!r} must "
                f"include its distribution column {column!r} (Citus enforces keys per shard)",
            )
        )
    for key in unique_keys(name, table):
        if column not in key.columns:
            problems.append(
                Problem(
                    key.path,
                    f"unique key {key.name!r} ({', '.join(key.columns)}) of distributed table "
                    f"{name!r} must include its distribution column {column!r} (Citus "
                    "enforces keys per shard)",
                )
            )
    return problems


def _colocation_problems(schema: SchemaDef) -> list[Problem]:
    problems: list[Problem] = []
    for name, table in schema.tables.items():
        if table.distribution is None or table.distribution.colocate_with is None:
            continue
        target = table.distribution.colocate_with
        where: Path = ("tables", name, "distribution", "colocate_with")
        other = schema.tables.get(target)
        if target == name:
            problems.append(Problem(where, f"table {name!r} cannot be co-located with itself"))
        elif other is None:
            problems.append(Problem(where, f"colocate_with names {target!r}, not a table"))
        elif other.distribution is None:
            problems.append(
                Problem(
                    where,
                    f"colocate_with names {target!r}, which is not distributed (give it a "
                    "distribution)",
                )
            )
        elif _goes_round(schema, name):
            problems.append(Problem(where, f"co-location of {name!r} goes round in a circle"))
        else:
            mine = _type(schema, table, table.distribution.column)
            theirs = _type(schema, other, other.distribution.column)
            if mine is not None and theirs is not None and mine != theirs:
                problems.append(
                    Problem(
                        where,
                        f"table {name!r} is distributed by a {mine} and {target!r} by a "
                        f"{theirs}; co-located tables need distribution columns of one type",
                    )
                )
    return problems


def _goes_round(schema: SchemaDef, name: str) -> bool:
    """Whether following ``colocate_with`` from ``name`` comes back to ``name``."""
    seen: set[str] = set()
    current: str | None = name
    while current is not None and current not in seen:
        seen.add(current)
        table = schema.tables.get(current)
        current = table.distribution.colocate_with if table and table.distribution else None
        if current == name:
            return True
    return False


def _type(schema: SchemaDef, table: TableDef, column: str) -> str | None:
    definition = table.columns.get(column)
    if definition is None:
        return None
    try:
        return parse_type(definition.type, frozenset(schema.enums)).ddl
    except TypeSyntaxError:
        return None


def _foreign_key_problems(
    schema: SchemaDef, name: str, table: TableDef, key: ForeignKey
) -> list[Problem]:
    parent = schema.tables.get(key.parent_table)
    if parent is None:
        return []  # reported by the foreign key checks
    child_kind, parent_kind = placement(table), placement(parent)
    fk = f"foreign key {key.name!r} of {child_kind} table {name!r}"
    target = f"{parent_kind} table {key.parent_table!r}"
    if parent_kind == "reference" and child_kind != "plain":
        return []
    if child_kind == "plain" and parent_kind == "plain":
        return []
    if child_kind == "reference" or "plain" in (child_kind, parent_kind):
        hint = (
            "a reference table may only refer to reference tables"
            if child_kind == "reference"
            else "Citus cannot keep a foreign key between a plain table and a distributed or "
            "reference one; place both"
        )
        return [Problem(key.path, f"{fk} refers to {target}: {hint}")]
    # both distributed
    assert table.distribution is not None and parent.distribution is not None
    if colocation_root(schema, name) != colocation_root(schema, key.parent_table):
        return [
            Problem(
                key.path,
                f"{fk} refers to {target}, which is not co-located with it; add "
                f"colocate_with: {key.parent_table} to the distribution of {name!r}",
            )
        ]
    parent_columns = key.parent_columns
    if parent_columns is None:
        parent_pk = primary_key(key.parent_table, parent)
        parent_columns = parent_pk.columns if parent_pk is not None else None
    if parent_columns is None:
        return []
    pairs = dict(zip(key.columns, parent_columns, strict=False))
    if pairs.get(table.distribution.column) != parent.distribution.column:
        return [
            Problem(
                key.path,
                f"{fk} must map its distribution column {table.distribution.column!r} onto "
                f"the distribution column {parent.distribution.column!r} of "
                f"{key.parent_table!r} "
                "(Citus checks foreign keys within one shard)",
            )
        ]
    return []
