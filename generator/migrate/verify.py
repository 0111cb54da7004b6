"""What PostgreSQL holds for one schema, read from its catalog, and the check that migrations
are right: every migration file applied in order to an empty database yields the same catalog
as the DDL of the current schema applied to another.

Compared (by introspection, never by the text of DDL):

* enums: values in their sort order;
* tables and their columns: type (``format_type``), NOT NULL, default expression, identity
  kind, generated kind. Column *order* is not compared: ``ALTER TABLE ... ADD COLUMN`` can only
  append, so a migrated table lists a new column last where the fresh DDL may list it earlier;
  columns are compared as a set, by name;
* constraints (primary key, unique, foreign key, check, exclusion): kind and
  ``pg_get_constraintdef``. PostgreSQL 18 also records each NOT NULL as a constraint whose name
  ``RENAME COLUMN`` leaves stale; those are left out (the column's NOT NULL is compared);
* indexes: ``pg_get_indexdef`` without its schema qualifier;
* comments on enums, tables, columns, constraints and indexes.

Sequences owned by identity columns are not compared (the identity kind is), nor are objects
batchrepo never creates (views, functions, triggers).

Catalogs are read with ``search_path`` set to the schema, so types and tables print unqualified
and two copies of a schema in different databases or schemas compare equal.

    python -m batchrepo_codegen.migrate.verify verify --schema schema.yaml --dir migrations

exits 1 listing the differences (``DATABASE_URL`` or an embedded PostgreSQL, as
:mod:`batchrepo_codegen.devdb`).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeAlias, TypeVar

import asyncpg

from .. import devdb
from ..output.render import render_ddl
from ..pipeline import package_ir
from ..schema.issues import SchemaError
from .files import migration_files


@dataclass(frozen=True, slots=True)
class EnumType:
    name: str
    values: tuple[str, ...]
    comment: str | None


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str
    not_null: bool
    default: str | None
    identity: str
    """``""``, ``"always"`` or ``"by default"``."""
    generated: str
    """``""`` or ``"stored"`` (or ``"virtual"``, PostgreSQL 18)."""
    comment: str | None


@dataclass(frozen=True, slots=True)
class Constraint:
    name: str
    kind: str
    definition: str
    comment: str | None


@dataclass(frozen=True, slots=True)
class Index:
    name: str
    definition: str
    comment: str | None


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    """Sorted by name: column order is not part of the comparison."""
    constraints: tuple[Constraint, ...]
    indexes: tuple[Index, ...]
    comment: str | None


@dataclass(frozen=True, slots=True)
class Catalog:
    """One schema's enums and tables, each sorted by name (equality is the comparison)."""

    enums: tuple[EnumType, ...]
    tables: tuple[Table, ...]

    def __str__(self) -> str:
        lines = [f"enum {e.name} {list(e.values)}" for e in self.enums]
        for table in self.tables:
            lines.append(f"table {table.name}")
            lines += [f"  column {c.name} {_column_text(c)}" for c in table.columns]
            lines += [f"  {c.kind} {c.name} {c.definition}" for c in table.constraints]
            lines += [f"  index {i.name} {i.definition}" for i in table.indexes]
        return "\n".join(lines)


_ENUMS = """
SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS values,
       obj_description(t.oid, 'pg_type') AS comment
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
WHERE n.nspname = $1 GROUP BY t.oid, t.typname
"""
_TABLES = """
SELECT c.oid, c.relname AS name, obj_description(c.oid, 'pg_class') AS comment
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
"""
_COLUMNS = """
SELECT a.attrelid AS table_oid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default,
       CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' ELSE '' END
         AS identity,
       CASE a.attgenerated WHEN 's' THEN 'stored' WHEN 'v' THEN 'virtual' ELSE '' END
         AS generated,
       col_description(a.attrelid, a.attnum) AS comment
FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
"""
_CONSTRAINTS = """
SELECT conrelid AS table_oid, conname AS name,
       CASE contype WHEN 'p' THEN 'primary key' WHEN 'u' THEN 'unique' WHEN 'f' THEN 'foreign key'
         WHEN 'c' THEN 'check' WHEN 'x' THEN 'exclusion' ELSE contype::text END AS kind,
       pg_get_constraintdef(oid) AS definition, obj_description(oid, 'pg_constraint') AS comment
FROM pg_constraint WHERE conrelid = ANY($1::oid[]) AND contype <> 'n'
"""
# pg_get_indexdef always qualifies the table with its schema; the qualifier is cut so that
# copies of a schema under different names compare equal.
_INDEXES = """
SELECT i.indrelid AS table_oid, c.relname AS name,
       replace(pg_get_indexdef(i.indexrelid), ' ON ' || quote_ident(n.nspname) || '.', ' ON ')
         AS definition,
       obj_description(i.indexrelid, 'pg_class') AS comment
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE i.indrelid = ANY($1::oid[])
"""


async def read_catalog(conn: asyncpg.Connection[Any], schema_name: str = "public") -> Catalog:
    """The catalog of schema ``schema_name`` as ``conn`` sees it."""
    async with conn.transaction():
        # Local to the transaction: names in the schema print unqualified, nothing leaks out.
        await conn.execute("SELECT set_config('search_path', quote_ident($1), true)", schema_name)
        enum_rows = await conn.fetch(_ENUMS, schema_name)
        table_rows = await conn.fetch(_TABLES, schema_name)
        oids = [row["oid"] for row in table_rows]
        parts = {
            Column: await conn.fetch(_COLUMNS, oids),
            Constraint: await conn.fetch(_CONSTRAINTS, oids),
            Index: await conn.fetch(_INDEXES, oids),
        }
    rows_of: dict[tuple[type, int], list[dict[str, Any]]] = {}
    for part, rows in parts.items():
        for row in rows:
            fields = dict(row)
            rows_of.setdefault((part, fields.pop("table_oid")), []).append(fields)
    tables = (
        Table(
            name=t["name"],
            columns=_by_name(Column(**r) for r in rows_of.get((Column, t["oid"]), [])),
            constraints=_by_name(Constraint(**r) for r in rows_of.get((Constraint, t["oid"]), [])),
            indexes=_by_name(Index(**r) for r in rows_of.get((Index, t["oid"]), [])),
            comment=t["comment"],
        )
        for t in table_rows
    )
    enums = (EnumType(r["name"], tuple(r["values"]), r["comment"]) for r in enum_rows)
    return Catalog(_by_name(enums), _by_name(tables))


class _Named(Protocol):
    @property
    def name(self) -> str: ...


_N = TypeVar("_N", bound=_Named)


def _by_name(items: Iterable[_N]) -> tuple[_N, ...]:
    return tuple(sorted(items, key=lambda item: item.name))


def _column_text(column: Column) -> str:
    parts = [column.type, "NOT NULL" if column.not_null else "NULL"]
    if column.default is not None:
        parts.append(f"DEFAULT {column.default}")
    if column.identity:
        parts.append(f"GENERATED {column.identity.upper()} AS IDENTITY")
    if column.generated:
        parts.append(f"GENERATED ({column.generated})")
    return " ".join(parts)


def catalog_differences(
    a: Catalog, b: Catalog, a_label: str = "migrated", b_label: str = "fresh"
) -> list[str]:
    """Every difference between two catalogs, one line each, naming the object and both sides;
    empty when they are equal."""
    found: list[str] = []
    _compare(found, "", "enum", a.enums, b.enums, (a_label, b_label))
    _compare(found, "", "table", a.tables, b.tables, (a_label, b_label))
    return found


def _compare(
    found: list[str],
    where: str,
    kind: str,
    left: Sequence[_Named],
    right: Sequence[_Named],
    labels: tuple[str, str],
) -> None:
    left_by_name = {item.name: item for item in left}
    right_by_name = {item.name: item for item in right}
    for name in sorted(left_by_name.keys() | right_by_name.keys()):
        here = f"{where}{kind} {name}"
        if name not in right_by_name:
            found.append(f"{here}: only in {labels[0]}")
        elif name not in left_by_name:
            found.append(f"{here}: only in {labels[1]}")
        else:
            _compare_fields(found, here, left_by_name[name], right_by_name[name], labels)


#: Fields of a table compared part by part, by name, with what one part is called.
_PARTS = {"columns": "column", "constraints": "constraint", "indexes": "index"}


def _compare_fields(
    found: list[str], here: str, left: object, right: object, labels: tuple[str, str]
) -> None:
    for field in dataclasses.fields(left):  # type: ignore[arg-type]
        mine, theirs = getattr(left, field.name), getattr(right, field.name)
        if field.name in _PARTS:
            _compare(found, f"{here}: ", _PARTS[field.name], mine, theirs, labels)
        elif mine != theirs:
            found.append(f"{here}: {field.name} {mine!r} in {labels[0]}, {theirs!r} in {labels[1]}")


Target: TypeAlias = "str | asyncpg.Connection[Any]"
"""Where to verify: the admin URL of a server (two throwaway databases are created on it) or a
connection outside any transaction (two throwaway schemas are created in its database, which is
faster; its search path is restored afterwards)."""


class DDLApplyError(Exception):
    """The DDL of the current schema failed on PostgreSQL: a generator bug, not a migration's."""


async def verify_migrations(
    target: Target, migration_files: Sequence[str | os.PathLike[str]], schema_ddl: str
) -> list[str]:
    """Apply every migration file in order to one empty database and ``schema_ddl`` to another;
    the differences between their catalogs (empty when the migrations are right)."""
    return await verify_scripts(target, read_scripts(migration_files), schema_ddl)


async def verify_scripts(
    target: Target, scripts: Sequence[tuple[str, str]], schema_ddl: str
) -> list[str]:
    """:func:`verify_migrations` on migration texts, each ``(name for messages, SQL)``."""
    async with _empty_place(target, "migrated") as (conn, schema):
        for name, sql in scripts:
            # one simple-protocol execute: many statements in one implicit transaction, as
            # ``psql --single-transaction --file`` runs a migration; the trailing SELECT because
            # asyncpg fails on a script with no statement (only comments), which is no error
            try:
                await conn.execute(f"{sql}\n;SELECT 1")
            except asyncpg.PostgresError as error:
                return [f"{name}: does not apply: {type(error).__name__}: {error}"]
        migrated = await read_catalog(conn, schema)
    async with _empty_place(target, "fresh") as (conn, schema):
        try:
            await conn.execute(schema_ddl)
        except asyncpg.PostgresError as error:
            raise DDLApplyError(f"the DDL of the current schema does not apply: {error}") from error
        fresh = await read_catalog(conn, schema)
    return catalog_differences(migrated, fresh)


@asynccontextmanager
async def _empty_place(
    target: Target, label: str
) -> AsyncIterator[tuple[asyncpg.Connection[Any], str]]:
    """A connection whose unqualified names land in a new, empty database (``target`` a URL)
    or schema (``target`` a connection), and that schema's name; dropped afterwards."""
    if isinstance(target, str):
        name = devdb.unique_database_name(f"verify_{label}")
        try:
            conn = await asyncpg.connect(await devdb.create_database(target, name))
            try:
                yield conn, "public"
            finally:
                await conn.close()
        finally:
            await devdb.drop_database(target, name)
        return
    schema = f"batchrepo_verify_{label}_{uuid.uuid4().hex[:10]}"
    saved_path = await target.fetchval("SELECT current_setting('search_path')")
    await target.execute(f'CREATE SCHEMA "{schema}"')
    try:
        await target.execute("SELECT set_config('search_path', $1, false)", f'"{schema}"')
        yield target, schema
    finally:
        await target.execute("SELECT set_config('search_path', $1, false)", saved_path)
        await target.execute(f'DROP SCHEMA "{schema}" CASCADE')


def read_scripts(files: Sequence[str | os.PathLike[str]]) -> list[tuple[str, str]]:
    """Each file as ``(its path, its text)``."""
    return [(os.fspath(path), Path(path).read_text(encoding="utf-8")) for path in files]


def current_ddl(schema_path: str | os.PathLike[str]) -> str:
    """The DDL ``batchrepo ddl`` prints for the schema file."""
    return render_ddl(package_ir(schema_path))


def verify_folder(schema_path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> list[str]:
    """:func:`verify_migrations` for ``folder``'s migrations and the schema file, on the server
    of ``DATABASE_URL`` or an embedded one (what ``verify`` on the command line runs)."""
    files, ddl = migration_files(Path(folder)), current_ddl(schema_path)
    with devdb.server() as admin_url:
        return asyncio.run(verify_migrations(admin_url, files, ddl))


def main(argv: Sequence[str] | None = None) -> int:
    """Exit status as ``batchrepo``'s: 0 right, 1 differences, 2 bad input, 3 a generator bug."""
    parser = argparse.ArgumentParser(prog="python -m batchrepo_codegen.migrate.verify")
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser(
        "verify", help="the migrations, applied in order, yield the catalog of the schema's DDL"
    )
    verify.add_argument("--schema", default="schema.yaml")
    verify.add_argument("--dir", default="migrations", help="folder of NNNN_slug.sql files")
    args = parser.parse_args(argv)
    if not Path(args.dir).is_dir():
        print(f"batchrepo: no migrations folder {args.dir}", file=sys.stderr)
        return 2
    try:
        differences = verify_folder(args.schema, args.dir)
    except SchemaError as error:
        print("\n".join(map(str, error.issues)), file=sys.stderr)
        return 2
    except OSError as error:
        print(f"batchrepo: {error}", file=sys.stderr)
        return 2
    except DDLApplyError as error:
        print(f"batchrepo: internal error: {error}", file=sys.stderr)
        return 3
    if not differences:
        print(f"{args.dir}: the migrations applied in order yield the catalog of {args.schema}")
        return 0
    print(
        f"{args.dir}: the migrations applied in order differ from the DDL of {args.schema}"
        " (columns compared by name, not order):",
        file=sys.stderr,
    )
    for line in differences:
        print(f"  {line}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
