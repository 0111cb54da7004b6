"""The generated package of a distributed schema, unchanged, on a real Citus cluster: the
placement ``citus.sql`` makes, and every write and read path, single-row and batch, through a
unit of work on the audited distributed table and a co-located child."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from types import ModuleType
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

import batchrepo
from batchrepo.db.error_mapping import row_error

from .conftest import CITUS_SETTINGS, create_schema


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pool(citus_url: str, sharded: ModuleType) -> AsyncIterator[asyncpg.Pool]:
    await create_schema(citus_url, sharded)
    p = await batchrepo.create_pool(
        citus_url, sharded, min_size=1, max_size=4, server_settings=CITUS_SETTINGS
    )
    try:
        yield p
    finally:
        await p.close()


async def test_placement_follows_the_schema(pool: asyncpg.Pool) -> None:
    rows = await pool.fetch(
        "SELECT logicalrelid::text AS name, partmethod::text AS partmethod, colocationid,"
        " column_to_column_name(logicalrelid, partkey) AS column"
        " FROM pg_dist_partition ORDER BY 1"
    )
    placed = {r["name"]: (r["partmethod"], r["column"]) for r in rows}
    assert placed == {
        "account": ("h", "owner_id"),
        "account_history": ("h", "owner_id"),
        "audit_log": ("n", None),
        "country": ("n", None),
        "posting": ("h", "owner_id"),
    }
    groups = {r["name"]: r["colocationid"] for r in rows}
    assert groups["account"] == groups["posting"] == groups["account_history"]


def _accounts(sharded: ModuleType, owner: uuid.UUID, count: int) -> list[Any]:
    return [
        sharded.Account(
            owner_id=owner,
            kind=sharded.AccountKind.CURRENT,
            iban=f"DE{index:020d}",
            country="DE",
        )
        for index in range(count)
    ]


async def test_every_path_of_an_audited_distributed_table(
    pool: asyncpg.Pool, sharded: ModuleType
) -> None:
    await sharded.CountryRepository(pool).save_batch(
        [sharded.Country(code="DE", name="Germany"), sharded.Country(code="FR", name="France")]
    )
    owners = [uuid.uuid4() for _ in range(3)]
    async with sharded.UnitOfWork(pool, actor="citus-test") as uow:
        saved = await uow.account.save_batch(_accounts(sharded, owners[0], 5))
        saved += await uow.account.save_batch(_accounts(sharded, owners[1], 3))
        single = await uow.account.save(_accounts(sharded, owners[2], 1)[0])
    keys = [sharded.AccountKey(a.owner_id, a.id) for a in [*saved, single]]
    accounts = sharded.AccountRepository(pool, actor="citus-test")
    loaded = await accounts.load_batch(keys)
    assert [a.iban for a in loaded if a] == [a.iban for a in [*saved, single]]
    assert await accounts.load(keys[-1]) == single
    assert await accounts.exists_batch(
        [*keys[:2], sharded.AccountKey(owners[0], uuid.uuid4())]
    ) == [
        True,
        True,
        False,
    ]

    async with sharded.UnitOfWork(pool, actor="citus-test") as uow:
        rows = [a for a in await uow.account.load_batch(keys[:5]) if a]
        for a in rows:
            a.balance = Decimal("10.50")
        updated = await uow.account.update_batch(rows)  # one owner: one shard
        moved = await uow.account.update_batch(  # two owners: two shards
            [_with(a, kind=sharded.AccountKind.SAVINGS) for a in updated[:2]]
            + [
                _with(a, kind=sharded.AccountKind.SAVINGS)
                for a in await uow.account.load_batch(keys[5:7])
                if a
            ]
        )
        assert {a.version for a in moved} == {2, 3}
        upserted = await uow.account.upsert_batch(
            [_with(saved[5], balance=Decimal("1.00")), *_accounts(sharded, owners[1], 4)[3:]]
        )
        assert [a.version for a in upserted] == [3, 1]
        assert await uow.account.delete(keys[-1]) is True
        assert await uow.account.delete_batch(keys[:2]) == 2
    assert await accounts.load_batch(keys[:2]) == [None, None]
    with pytest.raises(batchrepo.StaleVersionError):
        stale = _with(updated[2], balance=Decimal("2.00"), version=1)
        await accounts.update(stale)
    with pytest.raises(batchrepo.UniqueViolationError):
        await accounts.save_batch([_with(saved[3], id=uuid.uuid4())])  # same (owner, iban)

    history = await pool.fetch(
        "SELECT operation::text, count(*) AS n FROM account_history GROUP BY 1 ORDER BY 1"
    )
    assert {r["operation"]: r["n"] for r in history} == {"delete": 3, "insert": 10, "update": 10}
    assert (
        await pool.fetchval("SELECT count(*) FROM audit_log WHERE actor = 'citus-test'") == 2
    )  # the units; failed writes left none


async def test_co_located_child_checks_its_parent_on_the_same_shard(
    pool: asyncpg.Pool, sharded: ModuleType
) -> None:
    owner = uuid.uuid4()
    async with sharded.UnitOfWork(pool, actor="citus-test") as uow:
        (account,) = await uow.account.save_batch(_accounts(sharded, owner, 1))
        postings = [
            sharded.Posting(owner_id=owner, account_id=account.id, amount=Decimal(n))
            for n in range(1, 4)
        ]
        saved = await uow.posting.save_batch(postings)
        await uow.posting.save(
            sharded.Posting(owner_id=owner, account_id=account.id, amount=Decimal(9))
        )
    grouped = await sharded.PostingRepository(pool).load_grouped_by_posting_account(
        [sharded.AccountKey(owner, account.id)]
    )
    assert sorted(p.amount for p in next(iter(grouped.values()))) == [1, 2, 3, 9]
    assert len(saved) == 3


async def test_a_missing_distributed_parent_is_named(
    pool: asyncpg.Pool, sharded: ModuleType
) -> None:
    with pytest.raises(batchrepo.MissingParentError):
        await sharded.PostingRepository(pool).save_batch(
            [sharded.Posting(owner_id=uuid.uuid4(), account_id=uuid.uuid4(), amount=Decimal(1))]
        )


async def test_errors_relayed_from_a_worker_name_the_constraint(
    pool: asyncpg.Pool, sharded: ModuleType
) -> None:
    """Citus relays a worker's constraint error as a message naming the shard's constraint
    (``account_pkey_102008``), with no constraint field: the error names the table's."""
    await pool.execute("INSERT INTO country VALUES ('DE', 'Germany') ON CONFLICT DO NOTHING")
    accounts = sharded.AccountRepository(pool, actor="citus-errors")
    (saved,) = await accounts.save_batch(_accounts(sharded, uuid.uuid4(), 1))
    with pytest.raises(asyncpg.UniqueViolationError) as raw:  # what the database says
        await pool.execute(
            "INSERT INTO account (owner_id, id, kind, iban, country) VALUES ($1, $2, 'current', "
            "'DE99999999999999999999', 'DE')",
            saved.owner_id,
            saved.id,
        )
    assert raw.value.constraint_name is None  # Citus: the shard's name, in the message only
    key = sharded.AccountKey(saved.owner_id, saved.id)
    error = row_error(sharded.account.ACCOUNT_TABLE, raw.value, key, "insert")
    assert isinstance(error, batchrepo.UniqueViolationError)
    assert (error.constraint, error.columns) == ("account_pkey", ("owner_id", "id"))


async def test_rows_inserted_if_new_come_back_in_input_order(
    pool: asyncpg.Pool, sharded: ModuleType
) -> None:
    """Citus returns the inserted rows in the order its shards answer; each entry is still the
    row of its input, None where skipped."""
    await pool.execute("INSERT INTO country VALUES ('DE', 'Germany') ON CONFLICT DO NOTHING")
    accounts = sharded.AccountRepository(pool, actor="citus-if-new")
    owners = [uuid.uuid4() for _ in range(8)]
    rows = [_with(_accounts(sharded, owner, 1)[0], id=uuid.uuid4()) for owner in owners]
    (stored,) = await accounts.save_batch(rows[3:4])
    entries = await accounts.save_batch_if_new(rows)
    assert [e.id if e else None for e in entries] == [
        None if at == 3 else row.id for at, row in enumerate(rows)
    ]
    assert stored.id == rows[3].id


async def test_as_of_reads_of_a_batch(pool: asyncpg.Pool, sharded: ModuleType) -> None:
    """Once refused by Citus (a LATERAL subquery with LIMIT 1 per key of an unnest); the
    distributed form is a DISTINCT ON per key (docs/citus.md)."""
    await pool.execute("INSERT INTO country VALUES ('DE', 'Germany') ON CONFLICT DO NOTHING")
    owner = uuid.uuid4()
    accounts = sharded.AccountRepository(pool, actor="citus-xfail")  # not counted above
    (saved,) = await accounts.save_batch(_accounts(sharded, owner, 1))
    key = sharded.AccountKey(owner, saved.id)
    one = await accounts.load_as_of(key, version=1)
    assert one is not None and one.entity == saved
    (entry,) = await accounts.load_as_of_batch([key], versions=[1])
    assert entry is not None and entry.entity == saved


async def test_an_update_without_a_version_check(pool: asyncpg.Pool, sharded: ModuleType) -> None:
    """Citus runs the audited update's data-modifying CTE before the read of the rows it left
    unchanged, which then saw the updated row too: it came back twice (MissingRowsError).
    The unchanged rows now leave out the written ones (generator/emit/audit_sql.py)."""
    await pool.execute("INSERT INTO country VALUES ('DE', 'Germany') ON CONFLICT DO NOTHING")
    owner = uuid.uuid4()
    accounts = sharded.AccountRepository(pool, actor="citus-xfail")  # not counted above
    (saved,) = await accounts.save_batch(_accounts(sharded, owner, 1))
    (updated,) = await accounts.update_batch([_with(saved, balance=Decimal(5), version=None)])
    assert updated.version == 2


def _with(entity: Any, **changes: Any) -> Any:
    import dataclasses

    return dataclasses.replace(entity, **changes)
