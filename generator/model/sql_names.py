"""SQL name checks: the names PostgreSQL will see, distinct where it needs them distinct.

The IR names constraints and indexes after their table (``person_pkey``, ``person_email_key``,
``person_parent_id_fkey``, ``person_age_min_check``, ``person_parent_id_idx``: see
:mod:`batchrepo_codegen.model.resolve`), and an index shares one namespace with the tables of the
schema. Two schema names can meet there although neither collides on its own: table ``a_b``
with unique key ``c`` and table ``a`` with unique key ``b_c`` both give ``a_b_c_key``; a table
named ``person_pkey`` meets the primary key of ``person``.

The audit objects (``audit_log`` and the history tables) take their names first: they are
fixed, so a clash is reported at the schema's own name, which the author can change.

The names come from :func:`resolve.resolve` itself, so this check and the IR cannot disagree. It
runs after the front end accepted the schema (resolving needs valid keys and types), as one of
the front end's ``later_checks`` (:data:`batchrepo_codegen.model.MODEL_CHECKS`).
"""

from __future__ import annotations

from ..schema.declared_keys import foreign_keys, unique_keys
from ..schema.document import SchemaDef
from ..schema.issues import Path, Problem
from .elements import GenerationError, Schema, Table
from .resolve import resolve


def sql_name_problems(schema: SchemaDef) -> list[Problem]:
    """Constraint and index names that collide with each other, a table or an enum."""
    try:
        resolved = resolve(schema)
    except GenerationError:
        # A problem the other checks report; this check runs on checked schemas only.
        return []
    owners: dict[str, str] = {}
    # Tables and enums against each other are the naming and audit checks' concern; here they
    # only occupy their names.
    for enum in (*resolved.enums, *resolved.audit_enums):
        owners.setdefault(enum.name, f"enum {enum.name!r}")
    for table in (*resolved.tables, *resolved.audit_tables):
        owners.setdefault(table.name, f"table {table.name!r}")
    problems = []
    # The audit objects' names are fixed, so they come first: a clash is reported at the
    # schema's name, which can change.
    derived = _audit_derived_names(resolved)
    for table in resolved.tables:
        derived += _derived_names(schema, table)
    for name, what, path in derived:
        first = owners.setdefault(name, what)
        if first != what:
            problems.append(
                Problem(
                    path,
                    f"{what} gets the SQL name {name!r}, which {first} already has; "
                    "PostgreSQL needs them distinct, so rename one of them",
                    at_key=True,
                )
            )
    return problems


def _audit_derived_names(resolved: Schema) -> list[tuple[str, str, Path]]:
    """The constraint and index names of ``audit_log`` and the history tables, each located at
    the ``audit`` flag that brings it (``audit_log``: the first audited table's)."""
    audited = {t.history_table: t.name for t in resolved.tables if t.history_table is not None}
    names: list[tuple[str, str, Path]] = []
    for table in resolved.audit_tables:
        owner = audited.get(table.name) or next(iter(audited.values()))
        path: Path = ("tables", owner, "audit")
        on = f"of the audit table {table.name!r}"
        names.append((table.primary_key.constraint, f"the primary key {on}", path))
        names += [
            (fk.constraint, f"foreign key {fk.name!r} {on}", path) for fk in table.foreign_keys
        ]
        names += [(index.name, f"index {index.name!r} {on}", path) for index in table.indexes]
    return names


def _derived_names(schema: SchemaDef, table: Table) -> list[tuple[str, str, Path]]:
    """Every constraint and index name of one table: (name, what it names, where declared)."""
    definition = schema.tables[table.name]
    base: Path = ("tables", table.name)
    on = f"of table {table.name!r}"
    # an explicit name is reported where it is written
    pk_path: Path = base
    if definition.primary_key_constraint is not None:
        pk_path = (*base, "primary_key_constraint")
    names = [(table.primary_key.constraint, f"the primary key {on}", pk_path)]
    unique_paths = {
        key.name: (*base, "unique", key.name, "constraint") if key.constraint else key.path
        for key in unique_keys(table.name, definition)
    }
    names += [
        (key.constraint, f"unique key {key.name!r} {on}", unique_paths.get(key.name, base))
        for key in table.uniques
    ]
    fk_paths = {
        key.name: (*key.path, "constraint") if key.constraint else key.path
        for key in foreign_keys(table.name, definition)
    }
    names += [
        (key.constraint, f"foreign key {key.name!r} {on}", fk_paths.get(key.name, base))
        for key in table.foreign_keys
    ]
    for column in table.columns:
        column_path: Path = (*base, "columns", column.name)
        names += [
            (
                check.constraint,
                f"the {check.rule} check of column {table.name}.{column.name}",
                column_path if check.rule == "elements" else (*column_path, "check"),
            )
            for check in column.checks
        ]
    names += [
        (check.constraint, f"check {check.constraint!r} {on}", (*base, "checks", check.constraint))
        for check in table.checks
    ]
    by_constraint = {key.constraint: key.name for key in table.foreign_keys}
    for index in table.indexes:
        if index.foreign_key is None:
            path: Path = (*base, "indexes", index.name)
            names.append((index.name, f"index {index.name!r} {on}", path))
        else:
            fk_name = by_constraint[index.foreign_key]
            what = f"the index of foreign key {fk_name!r} {on}"
            names.append((index.name, what, fk_paths.get(fk_name, base)))
    return names
