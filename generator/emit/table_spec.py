"""The ``TableSpec`` constant of an aggregate module, as a Python expression built from parts
that are each a ``repr()``, a resolved name or a number (see :mod:`batchrepo.spec`).

The aggregate module's spec holds only the table name, the entity, key and insert column positions
and the converters; each data part (columns, statements, unique and foreign keys, audit) goes to
the table's module (:class:`.TableModule`) as a constant and the spec names it there
(``columns=_person_table.COLUMNS``). A part names each statement it runs by its constant in the
same module (``insert_one=INSERT_ONE``), never writes it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from batchrepo.validate.expression_tree import ColumnRef, Node

from ..model import Column, ForeignKey, Key, Table, TableCheck
from ..model import audit_tables as audit
from ..schema.expressions import canonical_sql
from ..schema.names import derived_identifier, quote_ident, statement_name
from . import sql
from .audit_sql import (
    audited_inserts,
    audited_routed_writes,
    audited_statements,
    audited_upserts,
)
from .history_sql import history_statements, routed_history
from .pycode import Arg, Call, Scope, bound_literal, string_literal
from .table_module import TableModule


def call_text(call: Call) -> str:
    return f"{call.function}(" + ", ".join(f"{a.name}={a.value}" for a in call.args) + ")"


def tuple_text(items: Iterable[str]) -> str:
    parts = list(items)
    if len(parts) == 1:
        return f"({parts[0]},)"
    return "(" + ", ".join(parts) + ")"


def table_spec(
    table: Table,
    attrs: dict[int, str],
    entity: str,
    scope: Scope,
    enum_values: dict[str, tuple[str, ...]],
    parts: TableModule,
) -> Call:
    """The spec of ``table`` in the aggregate module (``scope``); its data parts, and the
    statements they run, join the table module ``parts``. The statements are named in the order
    the module lists them: ``TableSQL``, unique keys, foreign keys, audit."""
    rt = parts.scope.runtime
    written = audited_statements(table) if table.audited else sql.table_statements(table)
    table_sql = Call(
        rt("TableSQL"),
        tuple(
            Arg(field, parts.statement(field.upper(), getattr(written, field)))
            for field in sql.TableStatements.__dataclass_fields__
        ),
    )
    # statements of keys and history with a routed twin (distributed tables): name -> twin
    routes: dict[str, str] = {}
    uniques = [_unique(table, table.primary_key, parts, routes)]
    uniques += [_unique(table, u, parts, routes) for u in table.uniques]
    foreign_keys = [_foreign_key(table, fk, parts, routes) for fk in table.foreign_keys]
    audit_spec = "None"
    if table.history_table is not None and table.version_column is not None:
        audit_args = (
            Arg("history_table", repr(table.history_table)),
            Arg("version_column", str(table.version_column.position)),
            Arg("insert_log_sql", parts.statement("INSERT_AUDIT_LOG", audit.INSERT_LOG_SQL)),
            *(
                Arg(field, parts.statement(field.upper(), statement))
                for field, statement in history_statements(table).items()
            ),
        )
        if table.distribution is not None:
            named_history = {arg.name: arg.value for arg in audit_args}
            for field, twin in routed_history(table).items():
                routes[named_history[field]] = parts.statement(field.upper() + "_ROUTED", twin)
        audit_spec = call_text(Call(rt("AuditSpec"), audit_args))
    columns = (call_text(_column(c, attrs, parts.scope, enum_values)) for c in table.columns)
    args: tuple[Arg, ...] = (
        Arg("table", repr(table.name)),
        Arg("entity", entity),
        Arg("columns", parts.part("columns", tuple_text(columns))),
        Arg("key_columns", tuple_text(str(i) for i in table.primary_key.columns)),
        Arg("insert_columns", tuple_text(str(c.position) for c in table.insert_columns)),
        Arg("sql", parts.part("sql", call_text(table_sql))),
        Arg("to_columns", "_to_columns"),
        Arg("from_record", "_from_record"),
        Arg("key_of", "_key_of"),
        Arg("uniques", parts.part("uniques", tuple_text(uniques))),
        Arg("foreign_keys", parts.part("foreign_keys", tuple_text(foreign_keys))),
        Arg("audit", parts.part("audit", audit_spec)),
        Arg("copy", parts.part("copy", _copy(table, parts))),
    )
    if table.distribution is not None:
        named = {arg.name: arg.value for arg in table_sql.args}
        routing = _routing(table, named, parts, routes)
        args += (Arg("routing", parts.part("routing", routing)),)
    if table.checks:  # only tables with checks: the others keep the shape they had
        checks = tuple_text(_check(table, check, parts) for check in table.checks)
        args += (Arg("checks", parts.part("checks", checks)),)
    return Call(scope.runtime("TableSpec"), args)


def _routing(
    table: Table, named: dict[str, str], parts: TableModule, probes: dict[str, str]
) -> str:
    """The ``RoutingSpec`` of a distributed table: each batch statement that reads or writes
    rows by key, mapped to its twin that Citus routes to one shard (``<FIELD>_ROUTED``), which
    the runtime sends when every row of a batch has the same distribution value. Inserts have
    none (docs/citus.md: Citus pulls ``INSERT ... SELECT FROM unnest`` to the coordinator and
    routes each row from there, however the statement is written). ``probes``: the probes'
    pairs, named where their keys are (``PROBE_<...>_ROUTED``)."""
    assert table.distribution is not None
    select_batch, exists_batch = sql.routed_reads(table)
    writes = audited_routed_writes(table) if table.audited else sql.routed_writes(table)
    statements = {"select_batch": select_batch, "exists_batch": exists_batch, **writes}
    pairs = [
        f"{named[field]}: {parts.statement(field.upper() + '_ROUTED', statement)}"
        for field, statement in statements.items()
    ]
    pairs += [f"{probe}: {twin}" for probe, twin in probes.items()]
    column = table.column(table.distribution).position
    args = (
        Arg("column", str(column)),
        Arg("statements", "{" + ", ".join(pairs) + "}"),
    )
    return call_text(Call(parts.scope.runtime("RoutingSpec"), args))


#: Server defaults whose value is the same for every row of a transaction: asked once per batch.
TRANSACTION_STABLE = frozenset({"now()", "current_timestamp", "current_date"})
#: Server defaults drawn per row that the runtime draws alike (a version 4 UUID).
DRAWN_UUID = "gen_random_uuid()"


def copies(table: Table) -> bool:
    """Whether inserts into ``table`` may go by binary COPY: the database fills nothing the
    caller cannot know (no identity, no version or history, no per-row clock) and stores every
    value in a form the runtime can predict (no jsonb, which PostgreSQL rewrites)."""
    if table.audited:
        return False
    for column in table.columns:
        if column.identity or column.version or column.type.kind == "jsonb":
            return False
        default = column.server_default
        if default is not None and default not in TRANSACTION_STABLE and default != DRAWN_UUID:
            return False
    return True


def _copy(table: Table, parts: TableModule) -> str:
    """The table's ``CopySpec`` (``None`` when inserts cannot go by COPY), and the statement
    that asks the transaction-stable defaults."""
    if not copies(table):
        return "None"
    fetched = [c for c in table.columns if c.server_default in TRANSACTION_STABLE]
    drawn = [c for c in table.columns if c.server_default == DRAWN_UUID]
    args = [Arg("columns", tuple_text(repr(c.name) for c in table.insert_columns))]
    if fetched:
        answers = ", ".join(
            f"{c.server_default}::{c.type.ddl} AS {quote_ident(c.name)}" for c in fetched
        )
        args.append(
            Arg("defaults_sql", parts.statement("SELECT_COPY_DEFAULTS", (f"SELECT {answers}",)))
        )
        args.append(Arg("fetched_defaults", tuple_text(str(c.position) for c in fetched)))
    if drawn:
        args.append(Arg("drawn_uuids", tuple_text(str(c.position) for c in drawn)))
    return call_text(Call(parts.scope.runtime("CopySpec"), tuple(args)))


def _column(
    column: Column,
    attrs: dict[int, str],
    scope: Scope,
    enum_values: dict[str, tuple[str, ...]],
) -> Call:
    parsed = column.type
    args = [
        Arg("name", repr(column.name)),
        Arg("attr", repr(attrs[column.position])),
        Arg("pg_type", repr(parsed.ddl)),
        Arg("kind", repr(parsed.kind)),
    ]
    flags = (
        # the version is None in an entity not saved yet, though the column is NOT NULL
        ("nullable", column.nullable or column.version),
        ("is_array", parsed.is_array),
        ("server_default", column.server_default is not None),
        ("on_update", column.on_update is not None),
        ("identity", column.identity),
        ("none_on_insert", none_on_insert(column)),
        ("none_on_update", none_on_update(column)),
    )
    args += [Arg(flag, "True") for flag, on in flags if on]
    if parsed.is_array and column.nullable_elements:
        # ColumnSpec's default is the schema's: elements may not be None unless it says so.
        args.append(Arg("nullable_elements", "True"))
    if column.version:
        args += [Arg("minimum", "1"), Arg("version", "True")]
    if parsed.length is not None:
        args.append(Arg("max_length", repr(parsed.length)))
    for check in column.checks:
        if check.rule == "elements":
            continue  # nullable_elements above
        if check.rule in ("min_length", "min_trimmed_length"):
            args.append(Arg(check.rule, repr(check.value)))
        elif check.rule == "in":
            args.append(Arg("allowed_values", allowed_values_text(check.allowed)))
        else:
            args.append(Arg(_BOUND_FIELDS[check.rule], bound_literal(check.value, scope)))
    if parsed.precision is not None:
        args.append(Arg("precision", repr(parsed.precision)))
        args.append(Arg("scale", repr(parsed.scale)))
    if parsed.enum is not None:
        args.append(Arg("enum_values", enum_values_text(enum_values[parsed.enum])))
    return Call(scope.runtime("ColumnSpec"), tuple(args))


def none_on_insert(column: Column) -> bool:
    """Whether an insert (and an upsert, which sends the same columns) accepts None: the column
    is nullable, ``COALESCE(value, default)`` takes its server default, or the database draws it
    (an identity, which must be None there; the version column, which is never sent)."""
    return column.nullable or column.version or column.identity or column.server_default is not None


def none_on_update(column: Column) -> bool:
    """Whether an update accepts None: the column is nullable, the version column (None: no
    version check), is kept current (``on_update``: the value is ignored), or takes a server
    default outside the primary key (``COALESCE(value,
    "t"."col")`` keeps the stored value). Key columns find the row: None is not a key."""
    if column.nullable or column.version or column.on_update is not None:
        return True
    return column.server_default is not None and not column.in_primary_key


def enum_values_text(values: tuple[str, ...]) -> str:
    return "frozenset({" + ", ".join(repr(v) for v in values) + "})"


#: The ColumnSpec field of each bound rule of a column check.
_BOUND_FIELDS = {
    "min": "minimum",
    "max": "maximum",
    "min_exclusive": "exclusive_minimum",
    "max_exclusive": "exclusive_maximum",
}


def allowed_values_text(values: tuple[int | str, ...]) -> str:
    """The ``in`` values of a column check, in schema order, as a frozenset literal (texts with
    every invisible character escaped)."""
    shown = (repr(v) if isinstance(v, int) else string_literal(v) for v in values)
    return "frozenset({" + ", ".join(shown) + "})"


def _unique(table: Table, key: Key, parts: TableModule, routes: dict[str, str]) -> str:
    """``routes``: the probe's name and its routed twin's join it (a distributed table)."""
    primary = key is table.primary_key
    probe = "PROBE_PRIMARY_KEY" if primary else statement_name("PROBE_UNIQUE", key.name)
    probe_name = parts.statement(probe, sql.unique_probe(table, key))
    if table.distribution is not None:
        twin = sql.unique_probe(table, key, route=True)
        routes[probe_name] = parts.statement(probe + "_ROUTED", twin)
    args = [
        Arg("name", repr(key.name)),
        Arg("constraint", repr(key.constraint)),
        Arg("columns", tuple_text(str(i) for i in key.columns)),
        Arg("probe_sql", probe_name),
    ]
    if not (primary and table.identity_key):  # an identity never conflicts: nothing to skip on
        one, batch = sql.insert_if_new(table, key)
        if table.audited:
            one, batch = audited_inserts(table, one, batch)
        name = "PRIMARY_KEY" if primary else key.name
        args += [
            Arg(
                "insert_if_new_sql", parts.statement(statement_name("INSERT_IF_NEW_BY", name), one)
            ),
            Arg(
                "insert_batch_if_new_sql",
                parts.statement(statement_name("INSERT_BATCH_IF_NEW_BY", name), batch),
            ),
        ]
    if not primary and table.updatable:
        upserts = audited_upserts(table, key) if table.audited else sql.upsert_by(table, key)
        for field, role, statement in zip(
            ("upsert_sql", "upsert_batch_sql", "upsert_batch_count_sql"),
            ("UPSERT_BY", "UPSERT_BATCH_BY", "UPSERT_BATCH_COUNT_BY"),
            upserts,
            strict=True,
        ):
            args.append(Arg(field, parts.statement(statement_name(role, key.name), statement)))
    if not primary:
        select = statement_name("SELECT_BATCH_BY", key.name)
        select_name = parts.statement(select, sql.unique_select_batch(table, key))
        if table.distribution is not None:
            twin = sql.unique_select_batch(table, key, route=True)
            routes[select_name] = parts.statement(select + "_ROUTED", twin)
        args.append(Arg("select_batch_sql", select_name))
    return call_text(Call(parts.scope.runtime("UniqueSpec"), tuple(args)))


def _foreign_key(table: Table, fk: ForeignKey, parts: TableModule, routes: dict[str, str]) -> str:
    """``routes``: as for :func:`_unique`, when the probe can be routed."""
    if fk.parent == table.name:
        self_parent = tuple_text(str(table.column(n).position) for n in fk.parent_columns)
    else:
        self_parent = "None"
    probe = statement_name("PROBE_PARENT", fk.name)
    probe_name = parts.statement(probe, sql.foreign_key_probe(table, fk))
    if sql.routes_parents(table, fk):
        twin = sql.foreign_key_probe(table, fk, route=True)
        routes[probe_name] = parts.statement(probe + "_ROUTED", twin)
    children = statement_name("SELECT_CHILDREN_BY", fk.name)
    children_name = parts.statement(children, sql.foreign_key_children(table, fk))
    if sql.routes_parents(table, fk):
        twin = sql.foreign_key_children(table, fk, route=True)
        routes[children_name] = parts.statement(children + "_ROUTED", twin)
    args = [
        Arg("name", repr(fk.name)),
        Arg("constraint", repr(fk.constraint)),
        Arg("columns", tuple_text(str(i) for i in fk.columns)),
        Arg("parent_table", repr(fk.parent)),
        Arg("parent_columns", tuple_text(repr(n) for n in fk.parent_columns)),
        Arg("self_parent_columns", self_parent),
        Arg("probe_sql", probe_name),
        Arg("select_children_sql", children_name),
    ]
    if not fk.references_primary_key:
        # the spec's default is True: say so only where the key cache cannot answer
        args.append(Arg("references_primary_key", "False"))
    if fk.on_update in ("cascade", "set_null"):
        args.append(Arg("follows_parent_updates", "True"))
    return call_text(Call(parts.scope.runtime("ForeignKeySpec"), tuple(args)))


def _check(table: Table, check: TableCheck, parts: TableModule) -> str:
    probe = statement_name("PROBE_CHECK", check.constraint)
    expression = check.expression
    args: tuple[Arg, ...] = (
        Arg("constraint", repr(check.constraint)),
        Arg("sql", repr(expression.sql)),
        Arg("expression", node_source(expression.tree, parts.scope)),
        Arg("columns", tuple_text(str(i) for i in expression.columns)),
        Arg("probe_sql", parts.statement(probe, check_probe(table, check))),
    )
    if table.updatable:
        update_probe = statement_name("PROBE_CHECK_UPDATE", check.constraint)
        statement = check_update_probe(table, check)
        args += (Arg("probe_update_sql", parts.statement(update_probe, statement)),)
    return call_text(Call(parts.scope.runtime("CheckSpec"), args))


def node_source(node: Node, scope: Scope) -> str:
    """An expression tree as the constructor calls that build it (``_rt.Compare(...)``)."""
    args = []
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        if isinstance(value, tuple):
            text = tuple_text(node_source(v, scope) for v in value)
        elif dataclasses.is_dataclass(value):
            text = node_source(value, scope)  # type: ignore[arg-type]
        else:
            text = repr(value)
        args.append(Arg(field.name, text))
    return call_text(Call(scope.runtime(type(node).__name__), tuple(args)))


def check_probe(table: Table, check: TableCheck) -> sql.Statement:
    """Rows of a batch a table check refuses (its expression is false: NULL passes, as in a
    CHECK). Arguments: the columns it reads as batch arrays, named as the table's columns, so
    the expression reads them as written."""
    batch = sql.Batch()
    for position in check.expression.columns:
        batch.add(table.columns[position])
    return (
        "SELECT u._ord",
        *batch.source(ordinality=True),
        f"WHERE NOT ({check.expression.sql})",
        "ORDER BY u._ord",
    )


def check_update_probe(table: Table, check: TableCheck) -> sql.Statement:
    """Rows of an update a table check refuses, each column read as the update writes it (the
    stored value where a server-default column is sent None or a partial update keeps it).
    Arguments: its columns, then the key's, as batch arrays; then the mask (``bool[]``)."""
    batch = sql.Batch()
    values = {p: batch.add(table.columns[p]) for p in check.expression.columns}
    keys = [batch.add(c, derived_identifier("_pk", c.name)) for c in table.key_columns]
    mask = batch.next_number
    t = quote_ident(table.name)

    def written(ref: ColumnRef) -> str:
        column = table.columns[ref.position]
        value = values[ref.position]
        if column.in_primary_key:
            return value
        return sql.masked(table, column, sql.or_stored(table, column, value), mask)

    match = " AND ".join(
        f"{t}.{quote_ident(c.name)} = {key}" for c, key in zip(table.key_columns, keys, strict=True)
    )
    return (
        "SELECT u._ord",
        *batch.source(ordinality=True),
        f"JOIN {t} ON {match}",
        f"WHERE NOT ({canonical_sql(check.expression.tree, written)})",
        "ORDER BY u._ord",
    )
