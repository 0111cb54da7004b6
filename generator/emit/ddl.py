"""The DDL of a schema (``schema.sql``): enums, tables in foreign-key order, constraints,
indexes and comments, every piece resolved here so the template only prints it. The audit
objects (:mod:`batchrepo_codegen.model.audit_tables`) follow their kind: ``audit_operation`` after
the
schema's enums, ``audit_log`` and the history tables after the schema's tables.

Tables come in topological order of their foreign keys (ties broken by schema order). A foreign
key to the table itself stays inline; a foreign key to a table not created yet (a cycle) is added
afterwards with ``ALTER TABLE ... ADD CONSTRAINT``. Identifiers are always quoted, descriptions
and literal defaults are SQL string literals (:func:`names.sql_literal`), numbers are rendered
from validated Python numbers only.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import Decimal

from ..model import Check, Column, ForeignKey, GenerationError, Index, Schema, Table, TableCheck
from ..schema.names import quote_ident, sql_literal

_ON_DELETE = {
    "restrict": "RESTRICT",
    "no_action": "NO ACTION",
    "cascade": "CASCADE",
    "set_null": "SET NULL",
}


@dataclass(frozen=True, slots=True)
class IndexDdl:
    notes: tuple[str, ...]
    """Comment lines above the statement (without ``--``)."""
    statement: str


@dataclass(frozen=True, slots=True)
class TableDdl:
    name: str
    create: str
    """``CREATE TABLE "t" (`` (the elements follow, one per line)."""
    elements: tuple[str, ...]
    """Column definitions and table constraints, without separating commas."""
    notes: tuple[str, ...]
    """Comment lines after the table (foreign keys an existing index already covers)."""
    indexes: tuple[IndexDdl, ...]
    comments: tuple[str, ...]
    """``COMMENT ON`` statements."""


@dataclass(frozen=True, slots=True)
class SchemaDdl:
    enums: tuple[str, ...]
    enum_comments: tuple[str, ...]
    tables: tuple[TableDdl, ...]
    deferred: tuple[str, ...]
    """Foreign keys of table cycles, added once every table exists."""


def schema_ddl(schema: Schema) -> SchemaDdl:
    order, deferred = _creation_order(schema)
    all_enums = (*schema.enums, *schema.audit_enums)
    enums = tuple(
        f"CREATE TYPE {quote_ident(e.name)} AS ENUM ({_literals(e.values)});" for e in all_enums
    )
    enum_comments = tuple(
        f"COMMENT ON TYPE {quote_ident(e.name)} IS {sql_literal(e.description)};"
        for e in all_enums
        if e.description is not None
    )
    # The audit tables refer to audit_log only, which comes first among them.
    tables = tuple(_table(t, deferred) for t in (*order, *schema.audit_tables))
    alters = tuple(
        f"ALTER TABLE {quote_ident(table.name)} ADD {foreign_key_constraint(table, fk)};"
        for table in order
        for fk in table.foreign_keys
        if fk.constraint in deferred
    )
    return SchemaDdl(enums, enum_comments, tables, alters)


def _creation_order(schema: Schema) -> tuple[list[Table], frozenset[str]]:
    """Tables parents first; when only cycles remain, the first remaining table in schema order
    goes next and its foreign keys to tables not created yet are deferred."""
    remaining = list(schema.tables)
    created: set[str] = set()
    order: list[Table] = []
    deferred: set[str] = set()
    while remaining:
        ready = next(
            (
                t
                for t in remaining
                if all(fk.parent in created or fk.parent == t.name for fk in t.foreign_keys)
            ),
            remaining[0],
        )
        for fk in ready.foreign_keys:
            if fk.parent not in created and fk.parent != ready.name:
                deferred.add(fk.constraint)
        remaining.remove(ready)
        created.add(ready.name)
        order.append(ready)
    return order, frozenset(deferred)


def _table(table: Table, deferred: frozenset[str]) -> TableDdl:
    t = quote_ident(table.name)
    elements = [column_definition(c) for c in table.columns]
    pk = table.primary_key
    elements.append(
        f"CONSTRAINT {quote_ident(pk.constraint)} PRIMARY KEY ({_names(table, pk.columns)})"
    )
    elements += [
        f"CONSTRAINT {quote_ident(u.constraint)} UNIQUE ({_names(table, u.columns)})"
        for u in table.uniques
    ]
    elements += [
        foreign_key_constraint(table, fk)
        for fk in table.foreign_keys
        if fk.constraint not in deferred
    ]
    elements += [check_constraint(c, check) for c in table.columns for check in c.checks]
    elements += [table_check_constraint(check) for check in table.checks]
    notes = tuple(
        f"Foreign key {covered.constraint}: the index of {covered.index} leads with its "
        "columns, so it gets no index of its own."
        for covered in table.covered_foreign_keys
    )
    indexes = tuple(
        IndexDdl(
            notes=(
                (
                    f"Index for foreign key {index.foreign_key} (deleting a parent and "
                    "load_grouped_by look children up by these columns).",
                )
                if index.foreign_key is not None
                else ()
            ),
            statement=f"{index_statement(table, index)};",
        )
        for index in table.indexes
    )
    comments: list[str] = []
    if table.description is not None:
        comments.append(f"COMMENT ON TABLE {t} IS {sql_literal(table.description)};")
    comments += [
        f"COMMENT ON COLUMN {t}.{quote_ident(c.name)} IS {sql_literal(c.description)};"
        for c in table.columns
        if c.description is not None
    ]
    return TableDdl(
        table.name, f"CREATE TABLE {t} (", tuple(elements), notes, indexes, tuple(comments)
    )


def _literals(values: tuple[str, ...]) -> str:
    return ", ".join(sql_literal(v) for v in values)


def _names(table: Table, positions: tuple[int, ...]) -> str:
    return ", ".join(quote_ident(n) for n in table.names(positions))


def index_statement(table: Table, index: Index) -> str:
    """``CREATE [UNIQUE] INDEX "name" ON "t" (...) [WHERE ...]``, without the semicolon."""
    unique = "UNIQUE " if index.unique else ""
    return f"CREATE {unique}INDEX {quote_ident(index.name)} {index_body(table, index)}"


def index_body(table: Table, index: Index) -> str:
    """``ON "t" ("a", "b")`` and a partial index's ``WHERE`` (canonical text)."""
    body = f"ON {quote_ident(table.name)} ({_names(table, index.columns)})"
    return body if index.where is None else f"{body} WHERE {index.where.sql}"


def table_check_constraint(check: TableCheck) -> str:
    """``CONSTRAINT "name" CHECK (...)`` of a table check, in canonical text."""
    return f"CONSTRAINT {quote_ident(check.constraint)} CHECK ({check.expression.sql})"


def column_definition(column: Column) -> str:
    """A column as ``CREATE TABLE`` and ``ADD COLUMN`` declare it: name, type, identity or
    ``NOT NULL`` and default."""
    parts = [quote_ident(column.name), column.type.ddl]
    if column.serial:
        return f"{quote_ident(column.name)} bigserial"
    if column.identity:
        parts.append("GENERATED ALWAYS AS IDENTITY")
        return " ".join(parts)
    if not column.nullable:
        parts.append("NOT NULL")
    if column.version:
        parts.append("DEFAULT 1")
    elif column.server_default is not None:
        parts.append(f"DEFAULT {column.server_default}")
    elif column.default is not None:
        parts.append(f"DEFAULT {default_literal(column)}")
    return " ".join(parts)


def default_literal(column: Column) -> str:
    """A literal default as SQL: numbers and booleans bare, everything else a string literal
    that PostgreSQL reads as the column's type."""
    value = column.default
    if column.type.is_array:
        raise GenerationError(f"column {column.name!r}: array columns take no literal default")
    if column.type.kind == "jsonb":
        return sql_literal(json.dumps(value, ensure_ascii=False))
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else sql_literal(repr(value))
    if isinstance(value, str):
        return sql_literal(value)
    raise GenerationError(f"column {column.name!r}: unsupported default {value!r}")


def foreign_key_constraint(table: Table, fk: ForeignKey) -> str:
    """``CONSTRAINT "name" FOREIGN KEY (...) REFERENCES ...`` of ``table``."""
    parent_columns = ", ".join(quote_ident(n) for n in fk.parent_columns)
    return (
        f"CONSTRAINT {quote_ident(fk.constraint)} FOREIGN KEY ({_names(table, fk.columns)}) "
        f"REFERENCES {quote_ident(fk.parent)} ({parent_columns}) "
        f"ON DELETE {_ON_DELETE[fk.on_delete]}"
        + (f" ON UPDATE {_ON_DELETE[fk.on_update]}" if fk.on_update is not None else "")
    )


def _number(value: int | Decimal) -> str:
    if isinstance(value, int):
        return str(value)
    return format(value, "f")


def check_constraint(column: Column, check: Check) -> str:
    """``CONSTRAINT "name" CHECK (...)`` of one check of ``column``."""
    c = quote_ident(column.name)
    if check.rule == "elements":
        # array_position finds NULL elements too (it compares with IS NOT DISTINCT FROM); a NULL
        # array passes, as every CHECK passes on NULL.
        expression = f"array_position({c}, NULL) IS NULL"
    elif check.rule == "min_length":
        expression = _min_length(c, column, int(check.value))
    elif check.rule == "min_trimmed_length":
        # btrim with one argument cuts spaces only, as the runtime does
        expression = f"length(btrim({c})) >= {int(check.value)}"
    elif check.rule == "in":
        expression = f"{c} IN ({_allowed(check.allowed)})"
    else:
        op = _COMPARISONS[check.rule]
        bound = _number(check.value)
        if column.type.is_array:
            expression = f"{bound} {_FLIPPED[op]} ALL ({c})"
        else:
            expression = f"{c} {op} {bound}"
    return f"CONSTRAINT {quote_ident(check.constraint)} CHECK ({expression})"


#: The comparison of each bound rule, value on the right; flipped for ``bound op ALL (array)``.
_COMPARISONS = {"min": ">=", "max": "<=", "min_exclusive": ">", "max_exclusive": "<"}
_FLIPPED = {">=": "<=", "<=": ">=", ">": "<", "<": ">"}


def _allowed(values: tuple[int | str, ...]) -> str:
    """The list of an ``in`` check: integers bare, texts as string literals."""
    return ", ".join(str(v) if isinstance(v, int) else sql_literal(v) for v in values)


def _min_length(c: str, column: Column, length: int) -> str:
    if not column.type.is_array:
        return f"char_length({c}) >= {length}"
    # A CHECK cannot hold a subquery, so the elements are visited by a JSON path: no element
    # (NULL elements aside) may be shorter than the minimum.
    path = f'$[*] ? (@ like_regex "^.{{0,{length - 1}}}$" flag "s")'
    return f"NOT jsonb_path_exists(to_jsonb({c}), {sql_literal(path)})"


# --- Citus placement -------------------------------------------------------------------------
# ``citus.sql``: the Citus placement of a schema's tables, run after ``schema.sql`` on the
# coordinator of a Citus cluster (a plain PostgreSQL never runs it; docs/citus.md).
#
# Only packages whose schema places a table (``distribution`` or ``reference: true``) get the file.
# Citus refuses to distribute a table that a table not yet placed refers to, and a table whose
# parent is not placed yet, so the foreign keys between the tables are dropped first and added
# again once every table is placed (the tables are empty then: that costs nothing). A
# ``colocate_with`` target must be placed before the tables that name it, so the calls come in
# that order: reference tables first (``audit_log``
# among them: the history tables refer to it), then distributed tables, the history tables after
# the schema's, each co-located with its table. A distributed table that names no ``colocate_with``
# starts a co-location group of its own (``colocate_with => 'none'``), so two tables share shards
# only where the schema says so, as the front end's foreign key checks assume
# (:mod:`batchrepo_codegen.schema.checks.distribution`).

#: The file, beside ``schema.sql`` in the package.
CITUS_PATH = "citus.sql"

_SEQUENTIAL = "SET citus.multi_shard_modify_mode TO 'sequential';"
_RESET = "RESET citus.multi_shard_modify_mode;"


def citus_ddl(schema: Schema) -> tuple[str, ...]:
    """The ``create_reference_table`` / ``create_distributed_table`` calls, in an order Citus
    accepts; empty when the schema places no table."""
    if not schema.placed:
        return ()
    tables = _placement_order((*schema.tables, *schema.audit_tables))
    keys = [(t, fk) for t in tables for fk in t.foreign_keys]
    drops = [
        f"ALTER TABLE {quote_ident(t.name)} DROP CONSTRAINT {quote_ident(fk.constraint)};"
        for t, fk in keys
    ]
    references = [_call(t) for t in tables if t.reference]
    distributed = [_call(t) for t in tables if t.distribution is not None]
    adds = [
        f"ALTER TABLE {quote_ident(t.name)} ADD {foreign_key_constraint(t, fk)};" for t, fk in keys
    ]
    # Run as one transaction (as asyncpg sends a script), the foreign keys to reference tables
    # need every statement on one connection per node.
    return (_SEQUENTIAL, *drops, *references, *distributed, *adds, _RESET)


def _placement_order(tables: tuple[Table, ...]) -> list[Table]:
    """Parents (foreign keys, ``colocate_with``) before the tables that need them; ties in
    schema order. The front end refuses what cannot be ordered (co-location circles); a foreign
    key cycle falls back to schema order."""
    by_name = {t.name: t for t in tables}
    remaining = list(tables)
    placed: set[str] = set()
    order: list[Table] = []
    while remaining:

        def ready(table: Table) -> bool:
            needs = {fk.parent for fk in table.foreign_keys} - {table.name}
            if table.colocate_with is not None:
                needs.add(table.colocate_with)
            return all(n in placed or n not in by_name for n in needs)

        table = next((t for t in remaining if ready(t)), remaining[0])
        remaining.remove(table)
        placed.add(table.name)
        order.append(table)
    return order


def _call(table: Table) -> str:
    name = sql_literal(quote_ident(table.name))
    if table.reference:
        return f"SELECT create_reference_table({name});"
    if table.distribution is None:
        raise GenerationError(f"table {table.name!r} is not placed")
    colocate = quote_ident(table.colocate_with) if table.colocate_with is not None else "none"
    return (
        f"SELECT create_distributed_table({name}, {sql_literal(table.distribution)}, "
        f"colocate_with => {sql_literal(colocate)});"
    )
