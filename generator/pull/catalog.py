"""What a live database holds in one schema, read from ``pg_catalog`` in a few queries.

Everything that is SQL text is printed by PostgreSQL itself (``format_type``, ``pg_get_expr``,
``pg_get_constraintdef``, ``pg_get_indexdef``), read with ``search_path`` set to the schema
alone, so names in it print unqualified, as the generated DDL would print them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg


@dataclass(frozen=True, slots=True)
class LiveEnum:
    name: str
    values: tuple[str, ...]
    comment: str | None


@dataclass(frozen=True, slots=True)
class LiveColumn:
    name: str
    type: str
    """``format_type``: ``character varying(20)``, ``numeric(15,2)``, ``integer[]``."""
    element: str
    """The type's name (the element's, for an array) in ``pg_type``: ``varchar``, ``int4``."""
    element_kind: str
    """``typtype`` of that type: ``b`` base, ``e`` enum, ``d`` domain, ``c`` composite, ..."""
    element_schema: str
    is_array: bool
    not_null: bool
    default: str | None
    identity: str
    """``""``, ``"a"`` (ALWAYS) or ``"d"`` (BY DEFAULT)."""
    generated: bool
    comment: str | None


@dataclass(frozen=True, slots=True)
class LiveConstraint:
    name: str
    kind: str
    """``p`` primary key, ``u`` unique, ``f`` foreign key, ``c`` check, ``x`` exclusion."""
    columns: tuple[str, ...]
    definition: str
    """``pg_get_constraintdef``."""
    parent: str | None
    parent_schema: str | None
    parent_columns: tuple[str, ...]
    on_delete: str
    """``a`` no action, ``r`` restrict, ``c`` cascade, ``n`` set null, ``d`` set default."""
    on_update: str
    match: str
    """``s`` simple, ``f`` full, ``p`` partial."""
    deferrable: bool
    validated: bool
    inherited: bool
    """Not local to the table, or NO INHERIT: nothing a schema can say."""
    comment: str | None


@dataclass(frozen=True, slots=True)
class LiveIndex:
    name: str
    definition: str
    """``pg_get_indexdef``, the table unqualified."""
    columns: tuple[str | None, ...]
    """Key columns in order; None for an expression."""
    unique: bool
    constraint: str | None
    """The constraint the index backs (primary key, unique, exclusion), if any."""
    plain: bool
    """A btree over columns as batchrepo creates it: no expression, INCLUDE, DESC, NULLS
    order, operator class or collation of its own, no NULLS NOT DISTINCT."""
    predicate: str | None
    """``pg_get_expr`` of the partial index's ``WHERE``."""
    comment: str | None


@dataclass(frozen=True, slots=True)
class LiveTable:
    name: str
    kind: str
    """``relkind``: ``r`` table, ``p`` partitioned table."""
    columns: tuple[LiveColumn, ...]
    """In ``attnum`` order."""
    constraints: tuple[LiveConstraint, ...]
    indexes: tuple[LiveIndex, ...]
    partition_of: str | None
    comment: str | None

    def constraint(self, kind: str) -> list[LiveConstraint]:
        return [c for c in self.constraints if c.kind == kind]


@dataclass(frozen=True, slots=True)
class LiveCatalog:
    schema_name: str
    enums: tuple[LiveEnum, ...]
    tables: tuple[LiveTable, ...]
    """By name."""


_ENUMS = """
SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS values,
       obj_description(t.oid, 'pg_type') AS comment
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_enum e ON e.enumtypid = t.oid
WHERE n.nspname = $1
GROUP BY t.oid, t.typname
ORDER BY t.typname
"""
_TABLES = """
SELECT c.oid, c.relname AS name, c.relkind::text AS kind,
       obj_description(c.oid, 'pg_class') AS comment,
       (SELECT p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
        WHERE i.inhrelid = c.oid LIMIT 1) AS partition_of
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1
  AND c.relkind IN ('r', 'p')
ORDER BY c.relname
"""
_COLUMNS = """
SELECT a.attrelid AS table_oid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
       e.typname AS element, e.typtype::text AS element_kind, en.nspname AS element_schema,
       t.typcategory = 'A' AS is_array, a.attnotnull AS not_null,
       pg_get_expr(d.adbin, d.adrelid) AS default, a.attidentity::text AS identity,
       a.attgenerated <> '' AS generated, col_description(a.attrelid, a.attnum) AS comment
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type e ON e.oid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END
JOIN pg_namespace en ON en.oid = e.typnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = ANY($1::oid[])
  AND a.attnum > 0
  AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""
_CONSTRAINTS = """
SELECT c.conrelid AS table_oid, c.conname AS name, c.contype::text AS kind,
       ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(num, pos)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num
             ORDER BY k.pos)::text[] AS columns,
       pg_get_constraintdef(c.oid) AS definition,
       p.relname AS parent, pn.nspname AS parent_schema,
       ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(num, pos)
             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.num
             ORDER BY k.pos)::text[] AS parent_columns,
       c.confdeltype::text AS on_delete, c.confupdtype::text AS on_update,
       c.confmatchtype::text AS match, c.condeferrable AS deferrable, c.convalidated AS validated,
       (NOT c.conislocal OR c.connoinherit AND c.contype = 'c') AS inherited,
       obj_description(c.oid, 'pg_constraint') AS comment
FROM pg_constraint c
LEFT JOIN pg_class p ON p.oid = c.confrelid
LEFT JOIN pg_namespace pn ON pn.oid = p.relnamespace
WHERE c.conrelid = ANY($1::oid[])
  AND c.contype IN ('p', 'u', 'f', 'c', 'x')
ORDER BY c.conrelid, c.conname
"""
_INDEXES = """
SELECT i.indrelid AS table_oid, c.relname AS name,
       replace(pg_get_indexdef(i.indexrelid), ' ON ' || quote_ident(n.nspname) || '.', ' ON ')
         AS definition,
       ARRAY(SELECT a.attname
             FROM unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY k(num, pos)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.num
             ORDER BY k.pos)::text[] AS columns,
       i.indisunique AS unique, con.conname AS constraint,
       am.amname = 'btree' AND i.indexprs IS NULL AND i.indnatts = i.indnkeyatts
         AND NOT i.indnullsnotdistinct
         AND NOT EXISTS (SELECT FROM unnest(i.indoption) AS o(flags) WHERE o.flags <> 0)
         AND NOT EXISTS (SELECT FROM unnest(i.indclass) AS k(opclass)
                         JOIN pg_opclass oc ON oc.oid = k.opclass WHERE NOT oc.opcdefault)
         AND NOT EXISTS (SELECT FROM unnest(i.indcollation, i.indkey) AS k(coll, num)
                         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.num
                         WHERE k.coll <> 0 AND k.coll <> a.attcollation) AS plain,
       pg_get_expr(i.indpred, i.indrelid) AS predicate,
       obj_description(i.indexrelid, 'pg_class') AS comment
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = c.relam
LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
  AND con.contype IN ('p', 'u', 'x')
WHERE i.indrelid = ANY($1::oid[])
ORDER BY i.indrelid, c.relname
"""


async def read_live_catalog(conn: asyncpg.Connection[Any], schema_name: str) -> LiveCatalog:
    """Enums and tables of ``schema_name`` as ``conn`` sees them, in one read-only transaction."""
    async with conn.transaction(readonly=True):
        await conn.execute("SELECT set_config('search_path', quote_ident($1), true)", schema_name)
        enum_rows = await conn.fetch(_ENUMS, schema_name)
        table_rows = await conn.fetch(_TABLES, schema_name)
        oids = [row["oid"] for row in table_rows]
        column_rows = await conn.fetch(_COLUMNS, oids)
        constraint_rows = await conn.fetch(_CONSTRAINTS, oids)
        index_rows = await conn.fetch(_INDEXES, oids)
    columns = _grouped(column_rows)
    constraints = _grouped(constraint_rows)
    indexes = _grouped(index_rows)
    tables = tuple(
        LiveTable(
            name=row["name"],
            kind=row["kind"],
            columns=tuple(_column(r) for r in columns.get(row["oid"], [])),
            constraints=tuple(_constraint(r) for r in constraints.get(row["oid"], [])),
            indexes=tuple(_index(r) for r in indexes.get(row["oid"], [])),
            partition_of=row["partition_of"],
            comment=row["comment"],
        )
        for row in table_rows
    )
    enums = tuple(LiveEnum(r["name"], tuple(r["values"]), r["comment"]) for r in enum_rows)
    return LiveCatalog(schema_name, enums, tables)


def _grouped(rows: list[asyncpg.Record]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        fields = dict(row)
        grouped.setdefault(fields.pop("table_oid"), []).append(fields)
    return grouped


def _column(row: dict[str, Any]) -> LiveColumn:
    return LiveColumn(**row)


def _constraint(row: dict[str, Any]) -> LiveConstraint:
    row["columns"] = tuple(row["columns"])
    row["parent_columns"] = tuple(row["parent_columns"])
    return LiveConstraint(**row)


def _index(row: dict[str, Any]) -> LiveIndex:
    row["columns"] = tuple(row["columns"])
    return LiveIndex(**row)
