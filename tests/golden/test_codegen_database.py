"""Codegen golden packages against a real PostgreSQL: each case's ``schema.sql`` applies cleanly (in
a schema of its own), every statement of every ``TableSpec`` prepares, and one row per table makes
the round trip through the generated repository (save_batch, load_batch, load, exists_batch,
update_batch and upsert_batch where the table has them, delete_batch). Repositories get an actor,
which audited tables (golden case ``audited``) need to write; their statements are held to their
contract one by one in ``test_codegen_audit``.
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib
import pkgutil
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from types import ModuleType
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from batchrepo_codegen.schema.parse import load_schema

from batchrepo.spec import ColumnSpec, TableSpec
from tests.golden.kinds import CODEGEN

CASES = CODEGEN.cases()

_MOMENT = datetime.datetime(2024, 2, 29, 12, 30, 15, 123456)
_SCALARS: dict[str, Any] = {
    "uuid": uuid.UUID("8f14e45f-ceea-467f-a8f0-5b6c2d3e4f50"),
    "bool": True,
    "bytea": b"\x00\xffbatch",
    "date": _MOMENT.date(),
    "time": _MOMENT.time(),
    "timestamp": _MOMENT,
    "timestamptz": _MOMENT.replace(tzinfo=datetime.UTC),
    "interval": datetime.timedelta(days=3, seconds=5),
    "jsonb": {"a": [1, "b", None], "c": 1.5, "d": {"e": True}},
}


@pytest.fixture(scope="module")
def packages() -> Iterator[dict[str, ModuleType]]:
    """Each golden case's package, imported from its expected output."""
    paths = [str(CODEGEN.expected_dir(case)) for case in CASES]
    sys.path[:0] = paths
    try:
        found = {}
        for case in CASES:
            found[case] = importlib.import_module(CODEGEN.package(case))
        yield found
    finally:
        for path in paths:
            sys.path.remove(path)


def table_specs(package: ModuleType) -> dict[str, tuple[TableSpec[Any, Any], type]]:
    """Every TableSpec of a package with its repository class, by table name."""
    found: dict[str, tuple[TableSpec[Any, Any], type]] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, TableSpec):
                repository = getattr(module, value.entity.__name__ + "Repository")
                found[value.table] = (value, repository)
    return found


def statements(spec: TableSpec[Any, Any]) -> list[str]:
    found = [getattr(spec.sql, name) for name in spec.sql.__dataclass_fields__]
    found += [u.probe_sql for u in spec.uniques] + [u.select_batch_sql for u in spec.uniques]
    found += [sql for fk in spec.foreign_keys for sql in (fk.probe_sql, fk.select_children_sql)]
    return [sql for sql in found if sql is not None]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def schemas(
    database_url: str, packages: dict[str, ModuleType]
) -> AsyncIterator[dict[str, str]]:
    """The DDL of every case applied, each in a PostgreSQL schema named after the case."""
    conn = await asyncpg.connect(database_url)
    try:
        for case, package in packages.items():
            await conn.execute(f'CREATE SCHEMA "golden_{case}"')
            await conn.execute(f'SET search_path TO "golden_{case}"')
            await conn.execute(package.ddl())
        yield {case: f"golden_{case}" for case in packages}
    finally:
        await conn.close()


@pytest.mark.parametrize("case", CASES)
async def test_every_statement_prepares(
    case: str, database_url: str, schemas: dict[str, str], packages: dict[str, ModuleType]
) -> None:
    conn = await asyncpg.connect(database_url, server_settings={"search_path": schemas[case]})
    try:
        for spec, _ in table_specs(packages[case]).values():
            for sql in statements(spec):
                await conn.prepare(sql)
    finally:
        await conn.close()


def _number(column: ColumnSpec, preferred: Decimal) -> Decimal:
    value = preferred
    if column.minimum is not None:
        value = max(value, Decimal(column.minimum))
    if column.maximum is not None:
        value = min(value, Decimal(column.maximum))
    # strict bounds: the value halfway between them (whole for integers), or one inside one
    low, high = column.exclusive_minimum, column.exclusive_maximum
    if low is not None and high is not None and not low < value < high:
        value = (Decimal(low) + Decimal(high)) / 2
        if column.kind in ("int2", "int4", "int8"):
            value = value.to_integral_value(rounding="ROUND_FLOOR")
    elif low is not None and value <= low:
        value = Decimal(low) + 1
    elif high is not None and value >= high:
        value = Decimal(high) - 1
    return value


def _text(column: ColumnSpec) -> str:
    if column.pg_type.startswith("char(") and column.max_length is not None:
        return "x" * column.max_length
    length = max(column.min_length or 0, 3)
    if column.max_length is not None:
        length = min(length, column.max_length)
    return "é" * length


def sample(column: ColumnSpec) -> Any:
    """A valid value for one column (one element, for arrays)."""
    if column.allowed_values is not None:
        return sorted(column.allowed_values, key=str)[0]
    if column.kind in _SCALARS:
        return _SCALARS[column.kind]
    if column.kind in ("int2", "int4", "int8"):
        return int(_number(column, Decimal(7)))
    if column.kind == "numeric":
        return _number(column, Decimal("1.5"))
    if column.kind in ("float4", "float8"):
        return float(_number(column, Decimal("1.5")))
    if column.kind == "enum":
        assert column.enum_values is not None
        return sorted(column.enum_values)[0]
    return _text(column)


#: Values a sample row of a table with table checks needs to pass them (the samples above know
#: the column rules only), by table, column attribute.
_PASSING_CHECKS: dict[str, dict[str, Any]] = {
    "facility": {
        "status": "Pending",
        "code": "ABC",
        "approved": Decimal("10.00"),
        "utilized": Decimal("4.00"),
        "available": Decimal("6.00"),
        "rate": Decimal("0.0125"),
    },
}


def build_row(
    spec: TableSpec[Any, Any],
    specs: dict[str, tuple[TableSpec[Any, Any], type]],
    saved: dict[str, Any],
) -> Any:
    """One entity: required foreign keys point at the saved parent rows, nullable ones are None;
    a table with table checks takes the values that pass them (``_PASSING_CHECKS``)."""
    values: dict[str, Any] = {}
    for fk in spec.foreign_keys:
        required = not any(spec.columns[i].nullable for i in fk.columns)
        parent_attrs = {c.name: c.attr for c in specs[fk.parent_table][0].columns}
        for position, parent_column in zip(fk.columns, fk.parent_columns, strict=True):
            column = spec.columns[position]
            if required:
                parent = saved[fk.parent_table]
                values[column.attr] = getattr(parent, parent_attrs[parent_column])
            elif column.nullable:  # a NOT NULL column may be another key's (sharded_ledger)
                values[column.attr] = None
    for column in spec.columns:
        if column.attr in values or column.identity:
            continue
        value = sample(column)
        if column.is_array:
            values[column.attr] = [value, None, value] if column.nullable_elements else [value] * 2
        else:
            values[column.attr] = value
    if spec.checks:
        values |= _PASSING_CHECKS.get(spec.table, {})
    return spec.entity(**values)


def creation_order(specs: dict[str, tuple[TableSpec[Any, Any], type]]) -> list[str]:
    """Tables after the parents of their required foreign keys."""
    order: list[str] = []
    while len(order) < len(specs):
        for table, (spec, _) in specs.items():
            parents = {
                fk.parent_table
                for fk in spec.foreign_keys
                if fk.parent_table != table
                and not any(spec.columns[i].nullable for i in fk.columns)
            }
            if table not in order and parents <= set(order):
                order.append(table)
    return order


@pytest.mark.parametrize("case", CASES)
async def test_round_trip_through_the_repositories(
    case: str, database_url: str, schemas: dict[str, str], packages: dict[str, ModuleType]
) -> None:
    specs = table_specs(packages[case])
    conn = await asyncpg.connect(database_url, server_settings={"search_path": schemas[case]})
    saved: dict[str, Any] = {}
    try:
        order = creation_order(specs)
        for table in order:
            spec, repository_class = specs[table]
            repository = repository_class(conn, actor="golden round trip")
            (row,) = await repository.save_batch([build_row(spec, specs, saved)])
            key = spec.key_of(row)
            assert await repository.load_batch([key]) == [row], table
            assert await repository.load(key) == row, table
            assert await repository.exists_batch([key]) == [True], table
            async with conn.transaction():
                # columns kept current (on_update) come back as this transaction's now(); an
                # audited table does not write a row that does not change, so its clock stays
                now, today = await conn.fetchrow("SELECT now(), current_date")
                current = row
                if spec.audit is None:
                    clocks = {
                        c.attr: today if c.kind == "date" else now
                        for c in spec.columns
                        if c.on_update
                    }
                    current = dataclasses.replace(row, **clocks)
                if spec.sql.update_batch is not None:
                    assert await repository.update_batch([row]) == [current], table
                if spec.sql.upsert_batch is not None:
                    assert await repository.upsert_batch([row]) == [current], table
            saved[table] = current
        for table in reversed(order):
            spec, repository_class = specs[table]
            key = spec.key_of(saved[table])
            repository = repository_class(conn, actor="golden round trip")
            assert await repository.delete_batch([key]) == 1, table
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("column", "value", "accepted"),
    [
        ("tags", ["ab", None, "a\nb", "ééé"], True),
        ("tags", ["ab", "x"], False),
        ("tags", [""], False),
        ("scores", [Decimal(0), None, Decimal(100)], True),
        ("scores", [Decimal("100.01")], False),
        ("scores", [Decimal("-0.01")], False),
    ],
    ids=[
        "tags-within-bounds",
        "tags-too-short",
        "tags-empty",
        "scores-within-bounds",
        "scores-above-max",
        "scores-below-min",
    ],
)
async def test_array_checks_hold_per_element(
    column: str, value: list[Any], accepted: bool, database_url: str, schemas: dict[str, str]
) -> None:
    """The CHECK constraints of array columns: every non-NULL element within its bounds."""
    conn = await asyncpg.connect(
        database_url, server_settings={"search_path": schemas["arrays_and_json"]}
    )
    try:
        async with conn.transaction():
            row = {"tags": ["ok"], "scores": None, column: value}
            insert = conn.execute(
                'INSERT INTO "document" ("id", "tags", "scores", "counts", "body") '
                "VALUES (1, $1::text[], $2::numeric[], '{}', '{}')",
                row["tags"],
                row["scores"],
            )
            if accepted:
                await insert
            else:
                with pytest.raises(asyncpg.CheckViolationError):
                    await insert
            raise _Rollback
    except _Rollback:
        pass
    finally:
        await conn.close()


class _Rollback(Exception):
    """Leaves the table as it was after each case."""


async def test_descriptions_come_back_from_the_catalog_exactly(
    database_url: str, schemas: dict[str, str]
) -> None:
    """Quotes, backslashes and newlines in descriptions travel as SQL literals, unchanged."""
    case = "keywords_and_unicode_names"
    schema = load_schema(CODEGEN.schema_path(case))
    conn = await asyncpg.connect(database_url, server_settings={"search_path": schemas[case]})
    try:
        for name, table in schema.tables.items():
            found = await conn.fetchval(
                "SELECT obj_description($1::regclass, 'pg_class')", f'"{name}"'
            )
            assert found == table.description
            for column, definition in table.columns.items():
                found = await conn.fetchval(
                    "SELECT col_description($1::regclass, a.attnum) FROM pg_attribute a "
                    "WHERE a.attrelid = $1::regclass AND a.attname = $2",
                    f'"{name}"',
                    column,
                )
                assert found == definition.description, column
    finally:
        await conn.close()
