"""Round trip: a database built from an old schema and filled through the repositories generated
from it, migrated with the planned migration, holds the same data under the new schema, and the
repositories generated from the new schema work on it (load the old rows, update one, save new
rows that use what the migration added).

Old -> new: a varchar widened, a column renamed (``renamed_from``), a column dropped (allowed
as destructive), a NOT NULL column with a default and a nullable column added, an enum value
inserted between two others, a foreign key column added, a new child table.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from types import ModuleType
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from batchrepo_codegen.migrate.planner import canonical_ddl, plan_migration
from batchrepo_codegen.migrate.verify import catalog_differences, read_catalog
from batchrepo_codegen.schema.parse import parse_schema

from tests.migrations.helpers import apply_sql, empty_schema, initial_sql
from tests.property.packages import generate, import_from

OLD = """\
version: 1
package: roundtrip_old
enums:
  status: {values: [open, closed]}
tables:
  customer:
    columns:
      id: {type: uuid, primary_key: true, server_default: gen_random_uuid()}
      name: {type: varchar(20), check: {min_length: 1}}
      note: {type: text, nullable: true}
      obsolete: {type: integer, nullable: true}
      status: {type: status}
      created_at: {type: timestamptz, server_default: now()}
    indexes:
      customer_by_name: [name]
  purchase:
    columns:
      id: {type: bigint, primary_key: true, identity: true}
      customer_id: {type: uuid, references: customer, on_delete: cascade}
      amount: {type: "numeric(10,2)", check: {min: 0}}
"""

NEW = """\
version: 1
package: roundtrip_new
enums:
  status: {values: [open, on_hold, closed]}
tables:
  customer:
    columns:
      id: {type: uuid, primary_key: true, server_default: gen_random_uuid()}
      name: {type: varchar(60), check: {min_length: 1}}
      remark: {type: text, nullable: true, renamed_from: note}
      status: {type: status}
      created_at: {type: timestamptz, server_default: now()}
      tier: {type: integer, default: 1, check: {min: 1}}
      email: {type: varchar(100), nullable: true, unique: true}
    indexes:
      customer_by_name: [name]
  purchase:
    columns:
      id: {type: bigint, primary_key: true, identity: true}
      customer_id: {type: uuid, references: customer, on_delete: cascade}
      amount: {type: "numeric(10,2)", check: {min: 0}}
      referrer_id: {type: uuid, nullable: true, references: customer, on_delete: set_null}
  invoice:
    columns:
      id: {type: uuid, primary_key: true}
      purchase_id: {type: bigint, references: purchase}
      issued_on: {type: date}
"""


@dataclass(frozen=True)
class Packages:
    """The packages generated from OLD and NEW (apps deploy the new one with the migration)."""

    old: ModuleType
    new: ModuleType


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Packages:
    root = tmp_path_factory.mktemp("roundtrip")
    found = []
    for name, text in (("old", OLD), ("new", NEW)):
        schema = root / f"{name}.yaml"
        schema.write_text(text, encoding="utf-8")
        generate(schema, root / "generated")
        found.append(import_from(root / "generated", f"roundtrip_{name}"))
    return Packages(*found)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    p = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        yield p
    finally:
        await p.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def old_rows(pool: asyncpg.Pool, packages: Packages) -> tuple[list[Any], list[Any]]:
    """The old schema's database, filled through the old repositories, then migrated; the rows
    as the old repositories returned them (customers, purchases)."""
    old = packages.old
    old_schema, new_schema = parse_schema(OLD, "old.yaml"), parse_schema(NEW, "new.yaml")
    async with pool.acquire() as conn:
        await apply_sql(conn, initial_sql(old_schema))
    customers = await old.CustomerRepository(pool).save_batch(
        [
            old.Customer(name="Ada", note="first", obsolete=7, status=old.Status.OPEN),
            old.Customer(name="Grace", note=None, obsolete=None, status=old.Status.CLOSED),
            old.Customer(name="x" * 20, note="longest name", status=old.Status.OPEN),
        ]
    )
    purchases = await old.PurchaseRepository(pool).save_batch(
        [
            old.Purchase(customer_id=customers[0].id, amount=Decimal("10.50")),
            old.Purchase(customer_id=customers[0].id, amount=Decimal("0.00")),
            old.Purchase(customer_id=customers[1].id, amount=Decimal("99999999.99")),
        ]
    )
    migration = plan_migration(old_schema, new_schema, allow_destructive=True)
    # dropping customer.obsolete is the one destructive step, and it was allowed
    assert ["obsolete" in s.description for s in migration.destructive_steps] == [True]
    async with pool.acquire() as conn:
        await apply_sql(conn, migration.render())
    return customers, purchases


async def test_old_rows_keep_their_values_under_the_new_columns(
    pool: asyncpg.Pool, old_rows: tuple[list[Any], list[Any]]
) -> None:
    customers, purchases = old_rows
    stored = await pool.fetch(
        "SELECT id, name, remark, status::text, created_at, tier, email FROM customer ORDER BY id"
    )
    assert [tuple(r) for r in stored] == sorted(
        (c.id, c.name, c.note, c.status.value, c.created_at, 1, None) for c in customers
    )
    stored_purchases = await pool.fetch(
        "SELECT id, customer_id, amount, referrer_id FROM purchase ORDER BY id"
    )
    assert [tuple(r) for r in stored_purchases] == [
        (p.id, p.customer_id, p.amount, None) for p in purchases
    ]
    columns = await pool.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'customer'"
    )
    assert "obsolete" not in {r["column_name"] for r in columns}


async def test_the_migrated_catalog_is_the_new_ddl(
    pool: asyncpg.Pool, old_rows: tuple[list[Any], list[Any]]
) -> None:
    async with pool.acquire() as conn:
        migrated = await read_catalog(conn)
        async with empty_schema(conn) as fresh_schema:
            await apply_sql(conn, canonical_ddl(parse_schema(NEW, "new.yaml")))
            fresh = await read_catalog(conn, fresh_schema)
    assert catalog_differences(migrated, fresh) == []


async def test_new_repositories_load_the_old_rows(
    pool: asyncpg.Pool, packages: Packages, old_rows: tuple[list[Any], list[Any]]
) -> None:
    new = packages.new
    customers, purchases = old_rows
    loaded = await new.CustomerRepository(pool).load_batch([c.id for c in customers])
    assert loaded == [
        new.Customer(
            id=c.id,
            name=c.name,
            remark=c.note,
            status=new.Status(c.status.value),
            created_at=c.created_at,
            tier=1,
            email=None,
        )
        for c in customers
    ]
    grouped = await new.PurchaseRepository(pool).load_grouped_by_customer_id([customers[0].id])
    assert sorted(p.id for p in grouped[customers[0].id]) == [purchases[0].id, purchases[1].id]


async def test_new_repositories_write_what_the_migration_added(
    pool: asyncpg.Pool, packages: Packages, old_rows: tuple[list[Any], list[Any]]
) -> None:
    new = packages.new
    customers, purchases = old_rows
    people = new.CustomerRepository(pool)
    (held,) = await people.save_batch(
        [
            new.Customer(
                name="a name longer than twenty characters",
                status=new.Status.ON_HOLD,
                tier=3,
                email="held@example.org",
            )
        ]
    )
    assert isinstance(held.created_at, datetime.datetime)
    (first,) = await people.load_batch([customers[0].id])
    assert first is not None
    first.remark, first.email = "updated after the migration", "ada@example.org"
    await people.update_batch([first])
    assert await people.load(customers[0].id) == first
    (bought,) = await new.PurchaseRepository(pool).save_batch(
        [new.Purchase(customer_id=held.id, amount=Decimal("1.00"), referrer_id=first.id)]
    )
    invoice = new.Invoice(id=uuid.uuid4(), purchase_id=bought.id, issued_on=datetime.date.today())
    await new.InvoiceRepository(pool).save_batch([invoice])
    assert await new.InvoiceRepository(pool).load(invoice.id) == invoice
    # the enum keeps the declared order: on_hold sorts between open and closed
    order = await pool.fetchval("SELECT enum_range(NULL::status)::text")
    assert order == "{open,on_hold,closed}"
    # the identity key carries on from the old rows
    assert bought.id > max(p.id for p in purchases)
