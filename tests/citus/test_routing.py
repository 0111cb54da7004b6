"""One-shard routing on the cluster: a batch whose rows share one distribution value is sent as
the routed twin of its statement (``RoutingSpec``), which Citus plans as one task on one shard,
where the statement itself runs on every shard; and the results are the same either way.

EXPLAIN is read on the coordinator, with the arguments a one-owner batch binds; "Task Count: N"
lines say how many shards each distributed step runs on (4 shards here, devcluster).
"""

from __future__ import annotations

import dataclasses
import re
import sys
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from types import ModuleType
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

import batchrepo
from batchrepo.db.arguments import batch_arguments, key_arrays
from batchrepo.db.routing import keyed, routed

from .conftest import CITUS_SETTINGS, create_schema

OWNER = uuid.UUID("00000000-0000-4000-8000-0000000000a1")
SHARDS = 4


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pool(citus_url: str, sharded: ModuleType) -> AsyncIterator[asyncpg.Pool]:
    await create_schema(citus_url, sharded)
    p = await batchrepo.create_pool(
        citus_url, sharded, min_size=1, max_size=2, server_settings=CITUS_SETTINGS
    )
    try:
        await sharded.CountryRepository(p).save(sharded.Country(code="DE", name="Germany"))
        yield p
    finally:
        await p.close()


def _tasks(plan: list[asyncpg.Record]) -> list[int]:
    """The task count of every distributed step of an EXPLAIN (text format)."""
    text = "\n".join(row[0] for row in plan)
    return [int(n) for n in re.findall(r"Task Count: (\d+)", text)]


async def _explain(pool: asyncpg.Pool, statement: str, arguments: list[Any]) -> list[int]:
    async with pool.acquire() as conn:
        return _tasks(await conn.fetch("EXPLAIN (COSTS OFF) " + statement, *arguments))


def _accounts(sharded: ModuleType, count: int, owner: uuid.UUID = OWNER) -> list[Any]:
    return [
        sharded.Account(
            owner_id=owner,
            id=uuid.uuid4(),
            kind=sharded.AccountKind.CURRENT,
            iban=f"DE{n:04d}",
            country="DE",
        )
        for n in range(count)
    ]


def _postings(sharded: ModuleType, account: Any, count: int) -> list[Any]:
    return [
        sharded.Posting(
            owner_id=account.owner_id, id=uuid.uuid4(), account_id=account.id, amount=Decimal(n)
        )
        for n in range(count)
    ]


#: Each routed statement of the two distributed tables: (table, TableSQL field).
ROUTED = [
    (table, field)
    for table in ("account", "posting")
    for field in (
        "select_batch",
        "exists_batch",
        "delete_batch",
        "update_batch",
        "update_batch_count",
        "update_batch_columns",
        "update_batch_columns_count",
    )
]


READS = ("select_batch", "exists_batch")


def _spec(sharded: ModuleType, table: str) -> Any:
    return getattr(sys.modules[f"{sharded.__name__}.{table}"], f"{table.upper()}_TABLE")


def _arguments(spec: Any, field: str, rows: list[Any]) -> list[Any]:
    """What the runtime binds for ``field`` with a batch of ``rows``, before the routing value:
    key arrays, or every column's array (a partial update: then the mask), then versions and
    the audit log id of an audited table."""
    columns = spec.to_columns(rows)
    if field in ("select_batch", "exists_batch", "delete_batch"):
        arguments: list[Any] = key_arrays(spec, [spec.key_of(r) for r in rows])
        if field == "delete_batch" and spec.audit is not None:
            arguments += [[None] * len(rows), 1]
        return arguments
    arguments = batch_arguments(spec, columns, range(len(spec.columns)))
    if "columns" in field:
        arguments.append([True] * len(spec.columns))
    if spec.audit is not None:
        arguments.append(1)
    return arguments


@pytest.mark.parametrize(("table", "field"), ROUTED, ids=[f"{t}-{f}" for t, f in ROUTED])
async def test_a_one_owner_batch_runs_on_one_shard(
    pool: asyncpg.Pool, sharded: ModuleType, table: str, field: str
) -> None:
    spec = _spec(sharded, table)
    rows = _accounts(sharded, 5)
    if table == "posting":
        rows = _postings(sharded, rows[0], 5)
    statement = getattr(spec.sql, field)
    arguments = _arguments(spec, field, rows)
    twin, value = routed(spec, statement, [r.owner_id for r in rows])
    assert twin != statement and value == [OWNER]
    assert max(await _explain(pool, statement, arguments)) == SHARDS
    on_one_shard = await _explain(pool, twin, arguments + value)
    # an audited write's history rows are an INSERT ... SELECT from the write's CTE, which
    # Citus runs as a step of its own (pull to coordinator, docs/citus.md): more steps, each
    # on one shard
    assert set(on_one_shard) == {1}
    assert len(on_one_shard) == 1 or (spec.audit is not None and field not in READS)


async def test_a_batch_of_two_owners_keeps_the_statement_that_runs_everywhere(
    sharded: ModuleType,
) -> None:
    spec = _spec(sharded, "account")
    keys = [sharded.AccountKey(OWNER, uuid.uuid4()), sharded.AccountKey(uuid.uuid4(), uuid.uuid4())]
    assert keyed(spec, spec.sql.select_batch, keys) == (
        spec.sql.select_batch,
        key_arrays(spec, keys),
    )
    one_owner = keys[:1] * 2
    assert keyed(spec, spec.sql.select_batch, one_owner)[1][-1] == OWNER
    assert routed(spec, spec.sql.insert_batch, [OWNER]) == (spec.sql.insert_batch, [])


async def _every_path(pool: asyncpg.Pool, sharded: ModuleType, owner: uuid.UUID) -> list[Any]:
    """One owner's rows through every routed path in a unit of work: what each call answered
    and the history it left, without the owner and drawn ids (they differ between runs)."""
    seen: list[Any] = []
    accounts = _spec(sharded, "account")
    async with sharded.UnitOfWork(pool, actor="routing") as uow:
        saved = await uow.account.save_batch(_accounts(sharded, 4, owner))
        keys = [accounts.key_of(a) for a in saved]
        missing = sharded.AccountKey(owner, uuid.UUID(int=5))
        loaded = await uow.account.load_batch([*keys, missing])
        seen.append([a.iban if a else None for a in loaded])
        seen.append(await uow.account.exists_batch([missing, *keys]))
        changed = [dataclasses.replace(a, balance=Decimal(7)) for a in saved[:3]]
        updated = await uow.account.update_batch(changed)
        seen.append([(a.iban, a.balance, a.version) for a in updated])
        again = [dataclasses.replace(updated[0], balance=Decimal(8))]
        seen.append(await uow.account.update_batch(again, returning=False))
        with pytest.raises(batchrepo.StaleVersionError) as raised:
            await uow.account.update_batch([dataclasses.replace(saved[3], version=9)])
        seen.append(raised.value.rows)
        postings = await uow.posting.save_batch(_postings(sharded, saved[0], 3))
        posting_keys = [_spec(sharded, "posting").key_of(p) for p in postings]
        seen.append(await uow.posting.delete_batch(posting_keys[:2]))
        seen.append(await uow.account.delete_batch(keys[2:]))
        seen.append([a is None for a in await uow.account.load_batch(keys)])
        # history as of a version (a LATERAL ... LIMIT, which Citus refuses, on plain tables)
        asked = [keys[0], keys[1], keys[2], missing, keys[0]]
        entries = await uow.account.load_as_of_batch(asked, versions=[1, None, None, None, 3])
        seen.append([(e.version, e.operation, e.entity.iban) if e else None for e in entries])
        histories = await uow.account.load_history_batch(keys[:3])
        seen.append([[(e.version, e.operation) for e in entries] for entries in histories])
        by_iban = await uow.account.load_batch_by_account_iban([(owner, "DE0001"), (owner, "X")])
        seen.append([a.iban if a else None for a in by_iban])
        grouped = await uow.posting.load_grouped_by_posting_account([(owner, saved[0].id)])
        seen.append([len(children) for children in grouped.values()])
    history = await pool.fetch(
        "SELECT operation::text, version FROM account_history WHERE owner_id = $1", owner
    )
    seen.append(sorted(tuple(r) for r in history))
    return seen


#: What :func:`_every_path` answers, routed or not, on a cluster or a plain PostgreSQL.
EXPECTED = [
    [*[f"DE{n:04d}" for n in range(4)], None],
    [False, True, True, True, True],
    [(f"DE{n:04d}", Decimal("7.00"), 2) for n in range(3)],
    1,
    [0],
    2,
    2,
    [False, False, True, True],
    [
        (1, "insert", "DE0000"),
        (2, "update", "DE0001"),
        (3, "delete", "DE0002"),
        None,
        (3, "update", "DE0000"),
    ],
    [
        [(1, "insert"), (2, "update"), (3, "update")],
        [(1, "insert"), (2, "update")],
        [(1, "insert"), (2, "update"), (3, "delete")],
    ],
    ["DE0001", None],
    [1],
    sorted(
        [("insert", 1)] * 4 + [("update", 2)] * 3 + [("update", 3), ("delete", 3), ("delete", 2)]
    ),
]


async def test_routed_and_unrouted_paths_answer_alike(
    pool: asyncpg.Pool, sharded: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await _every_path(pool, sharded, OWNER) == EXPECTED
    # the repositories read their module's spec at each call: the same specs without their
    # routing send every statement as it runs on every shard
    for module, name in (("account", "ACCOUNT_TABLE"), ("posting", "POSTING_TABLE")):
        aggregate = sys.modules[f"sharded.{module}"]
        unrouted = dataclasses.replace(getattr(aggregate, name), routing=None)
        monkeypatch.setattr(aggregate, name, unrouted)
    assert await _every_path(pool, sharded, uuid.uuid4()) == EXPECTED


async def test_routed_statements_run_on_plain_postgresql(
    database_url: str, sharded: ModuleType
) -> None:
    """The routed twins are plain SQL too: a package with routing runs on a plain PostgreSQL."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(sharded.ddl())
    finally:
        await conn.close()
    p = await batchrepo.create_pool(database_url, sharded, min_size=1, max_size=2)
    try:
        await sharded.CountryRepository(p).save(sharded.Country(code="DE", name="Germany"))
        assert await _every_path(p, sharded, OWNER) == EXPECTED
    finally:
        await p.close()
