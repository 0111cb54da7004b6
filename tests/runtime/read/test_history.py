"""History reads of audited tables on the golden ``audited`` package: every version of one or
many keys in the order written, with operation, actor and time; "as of" a version or a time;
one statement per batch; composite keys with array and jsonb columns; a key deleted and
inserted again; the single-key and the batch forms answering alike."""

from __future__ import annotations

import asyncio
import datetime
from decimal import Decimal
from types import ModuleType
from typing import Any

import asyncpg
import pytest

from batchrepo import HistoryEntry
from batchrepo.read import history
from tests.runtime.conftest import CountingConnection
from tests.runtime.tables import PERSON


def _summary(entries: list[HistoryEntry[Any]]) -> list[tuple[int, str, str]]:
    return [(e.version, e.operation, e.actor) for e in entries]


async def _customer_with_history(audited: ModuleType, pool: asyncpg.Pool) -> Any:
    """A customer inserted by "importer", renamed by "clerk", then deleted by "janitor"."""
    importer = audited.CustomerRepository(pool, actor="importer")
    saved = await importer.save(audited.Customer(name="first"))
    await audited.CustomerRepository(pool, actor="clerk").update(
        audited.Customer(id=saved.id, name="second", version=1)
    )
    await audited.CustomerRepository(pool, actor="janitor").delete(saved.id)
    return saved


async def test_every_version_comes_back_in_order_with_operation_actor_and_time(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    before = await audited_pool.fetchval("SELECT now()")
    saved = await _customer_with_history(audited, audited_pool)
    repo = audited.CustomerRepository(audited_pool)
    entries = await repo.load_history(saved.id)
    assert _summary(entries) == [
        (1, "insert", "importer"),
        (2, "update", "clerk"),
        (3, "delete", "janitor"),
    ]
    assert [e.entity.name for e in entries] == ["first", "second", "second"]
    assert [e.entity.version for e in entries] == [1, 2, 3]
    assert all(isinstance(e.entity, audited.Customer) for e in entries)
    assert all(e.at >= before for e in entries)
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    logs = {e.audit_log_id for e in entries}
    assert len(logs) == 3  # three writes outside a unit of work: one audit log row each
    assert await repo.load_history(audited.Customer(name="never").id) == []


async def test_a_batch_answers_per_key_in_the_order_asked_in_one_statement(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    gone = await _customer_with_history(audited, audited_pool)
    repo = audited.CustomerRepository(audited_pool, actor="importer")
    kept = await repo.save(audited.Customer(name="kept"))
    never = audited.Customer(name="never").id
    async with audited_pool.acquire() as conn:
        counting = CountingConnection(conn)
        counted = audited.CustomerRepository(counting)
        asked = [kept.id, never, gone.id, kept.id]
        batch = await counted.load_history_batch(asked)
        assert len(counting.statements) == 1
    assert [_summary(entries) for entries in batch] == [
        [(1, "insert", "importer")],
        [],
        [(1, "insert", "importer"), (2, "update", "clerk"), (3, "delete", "janitor")],
        [(1, "insert", "importer")],
    ]
    singles = [await repo.load_history(key) for key in asked]
    assert batch == singles
    assert await repo.load_history_batch([]) == []


async def test_as_of_a_version_or_a_time(audited: ModuleType, audited_pool: asyncpg.Pool) -> None:
    repo = audited.CustomerRepository(audited_pool, actor="importer")
    saved = await repo.save(audited.Customer(name="v1"))
    first = (await repo.load_history(saved.id))[0].at
    await asyncio.sleep(0.01)  # now() of the next transaction is later
    await repo.update(audited.Customer(id=saved.id, name="v2"))
    latest = await repo.load_as_of(saved.id)
    assert latest is not None and (latest.version, latest.entity.name) == (2, "v2")
    by_version = await repo.load_as_of(saved.id, version=1)
    assert by_version is not None and by_version.entity.name == "v1"
    by_time = await repo.load_as_of(saved.id, at=first)
    assert by_time is not None and by_time.version == 1
    earlier = first - datetime.timedelta(seconds=1)
    assert await repo.load_as_of(saved.id, at=earlier) is None  # not written yet
    assert await repo.load_as_of(saved.id, version=7) is None  # no such version
    # version and time together: version 2 was not written by the first time
    assert await repo.load_as_of(saved.id, version=2, at=first) is None
    other = await repo.save(audited.Customer(name="w1"))
    asked = [saved.id, other.id, saved.id, audited.Customer(name="never").id]
    batch = await repo.load_as_of_batch(asked, versions=[1, None, 2, None])
    assert [None if e is None else (e.version, e.entity.name) for e in batch] == [
        (1, "v1"),
        (1, "w1"),
        (2, "v2"),
        None,
    ]
    at_first = await repo.load_as_of_batch(asked, at=first)
    assert [None if e is None else e.version for e in at_first] == [1, None, 1, None]
    singles = [await repo.load_as_of(k, at=first) for k in asked]
    assert at_first == singles
    assert await repo.load_as_of_batch([], at=first) == []


async def test_a_key_inserted_again_after_a_delete_keeps_its_earlier_life(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    repo = audited.CustomerRepository(audited_pool, actor="importer")
    saved = await repo.save(audited.Customer(name="old life"))
    await repo.delete(saved.id)
    await repo.save(audited.Customer(id=saved.id, name="new life"))
    entries = await repo.load_history(saved.id)
    assert [(e.version, e.operation, e.entity.name) for e in entries] == [
        (1, "insert", "old life"),
        (2, "delete", "old life"),
        (1, "insert", "new life"),
    ]
    latest = await repo.load_as_of(saved.id, version=1)  # the latest life's version 1
    assert latest is not None and latest.entity.name == "new life"


async def test_composite_keys_arrays_and_json_come_back_as_written(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    async with audited.UnitOfWork(audited_pool, actor="importer") as uow:
        (customer,) = await uow.customer.save_batch([audited.Customer(name="c")])
        account = await uow.account.save(
            audited.Account(customer_id=customer.id, balance=Decimal("1.00"))
        )
        rows = [
            audited.Position(
                account_id=account.id,
                instrument=name,
                quantity=1,
                tags=["a", None],
                details={"k": [1, 2.5]},
            )
            for name in ("AAA", "BBB")
        ]
        await uow.position.save_batch(rows)
        log_id = uow.audit_log_id
    changed = audited.Position(
        account_id=account.id, instrument="AAA", quantity=2, tags=[], details=None
    )
    await audited.PositionRepository(audited_pool, actor="clerk").update(changed)
    repo = audited.PositionRepository(audited_pool)
    keys = [audited.PositionKey(account.id, "BBB"), audited.PositionKey(account.id, "AAA")]
    batch = await repo.load_history_batch(keys)
    assert [[(e.version, e.actor) for e in entries] for entries in batch] == [
        [(1, "importer")],
        [(1, "importer"), (2, "clerk")],
    ]
    first = batch[1][0]
    assert (first.audit_log_id, first.entity.tags, first.entity.details) == (
        log_id,
        ["a", None],
        {"k": [1, 2.5]},
    )
    assert (batch[1][1].entity.tags, batch[1][1].entity.details) == ([], None)
    assert batch == [await repo.load_history(k) for k in keys]
    as_of = await repo.load_as_of_batch(keys, versions=[None, 1])
    assert [e.entity.details if e else None for e in as_of] == [{"k": [1, 2.5]}] * 2


async def test_bad_requests_are_refused_naming_the_table(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    repo = audited.CustomerRepository(audited_pool)
    key = audited.Customer(name="x").id
    with pytest.raises(ValueError, match=r"customer: at=.* naive datetime"):
        await repo.load_as_of(key, at=datetime.datetime(2020, 1, 1))
    with pytest.raises(ValueError, match="customer: 2 keys but 1 versions"):
        await repo.load_as_of_batch([key, key], versions=[1])
    with pytest.raises(TypeError, match="table person is not audited"):
        await history.load_history(audited_pool, PERSON, key)
