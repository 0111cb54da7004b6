"""The failure probes on distributed tables: a write whose parent is missing or whose key is
taken fails on the Citus cluster with the error, message and row indexes that the same write
raises on a plain PostgreSQL.

Every case runs twice on identical data, once on the cluster (tables placed by ``citus.sql``)
and once on a plain database of the same ``schema.sql``, inside a unit of work (the checks
before writing ask the probes) and outside one (the statement fails, then the probes name the
rows), single-row and batch, and ``validate_batch`` (which asks every probe without writing).
The rows a case expects are written out too, so agreeing on a wrong answer still fails.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from types import ModuleType
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

import batchrepo

from .conftest import CITUS_SETTINGS, create_schema

OWNER = uuid.UUID("00000000-0000-4000-8000-000000000001")
OTHER_OWNER = uuid.UUID("00000000-0000-4000-8000-000000000002")
#: Accounts stored before every case: (owner, id, iban).
STORED = [
    (OWNER, uuid.UUID(int=1), "DE01"),
    (OWNER, uuid.UUID(int=2), "DE02"),
    (OTHER_OWNER, uuid.UUID(int=3), "DE03"),
]
NOWHERE = uuid.UUID(int=99)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def citus_pool(citus_url: str, sharded: ModuleType) -> AsyncIterator[asyncpg.Pool]:
    await create_schema(citus_url, sharded)
    p = await batchrepo.create_pool(
        citus_url, sharded, min_size=1, max_size=2, server_settings=CITUS_SETTINGS
    )
    try:
        await _seed(p, sharded)
        yield p
    finally:
        await p.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def plain_pool(database_url: str, sharded: ModuleType) -> AsyncIterator[asyncpg.Pool]:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(sharded.ddl())
    finally:
        await conn.close()
    p = await batchrepo.create_pool(database_url, sharded, min_size=1, max_size=2)
    try:
        await _seed(p, sharded)
        yield p
    finally:
        await p.close()


async def _seed(pool: asyncpg.Pool, sharded: ModuleType) -> None:
    await sharded.CountryRepository(pool).save(sharded.Country(code="DE", name="Germany"))
    await sharded.AccountRepository(pool, actor="seed").save_batch(
        [_account(sharded, owner, id_, iban) for owner, id_, iban in STORED]
    )


def _account(sharded: ModuleType, owner: uuid.UUID, id_: uuid.UUID | None, iban: str) -> Any:
    return sharded.Account(
        owner_id=owner, id=id_, kind=sharded.AccountKind.CURRENT, iban=iban, country="DE"
    )


def _posting(sharded: ModuleType, owner: uuid.UUID, account: uuid.UUID, n: int) -> Any:
    return sharded.Posting(
        owner_id=owner, id=uuid.UUID(int=1000 + n), account_id=account, amount=Decimal(n)
    )


@dataclass(frozen=True)
class Outcome:
    """What a failed write raised, as a caller sees it."""

    error: str
    message: str
    rows: list[int]
    rows_by_constraint: dict[str, list[int]]


Write = Callable[[asyncpg.Pool, ModuleType], Awaitable[Any]]


async def _postings_outside(pool: asyncpg.Pool, sharded: ModuleType) -> Any:
    return await sharded.PostingRepository(pool).save_batch(
        [
            _posting(sharded, OWNER, uuid.UUID(int=1), 0),
            _posting(sharded, OWNER, NOWHERE, 1),  # no such account
            _posting(sharded, OTHER_OWNER, uuid.UUID(int=3), 2),
            _posting(sharded, OTHER_OWNER, uuid.UUID(int=1), 3),  # account 1 is OWNER's
        ]
    )


async def _postings_in_unit(pool: asyncpg.Pool, sharded: ModuleType) -> Any:
    async with sharded.UnitOfWork(pool, actor="probe") as uow:
        await uow.posting.save_batch(
            [
                _posting(sharded, OTHER_OWNER, NOWHERE, 0),
                _posting(sharded, OWNER, uuid.UUID(int=2), 1),
                _posting(sharded, OTHER_OWNER, uuid.UUID(int=2), 2),
            ]
        )


async def _posting_single_in_unit(pool: asyncpg.Pool, sharded: ModuleType) -> Any:
    async with sharded.UnitOfWork(pool, actor="probe") as uow:
        await uow.posting.save(_posting(sharded, OWNER, NOWHERE, 0))


async def _iban_clash_outside(pool: asyncpg.Pool, sharded: ModuleType) -> Any:
    return await sharded.AccountRepository(pool, actor="probe").save_batch(
        [
            _account(sharded, OWNER, None, "DE10"),
            _account(sharded, OWNER, None, "DE02"),  # (OWNER, DE02) is stored
            _account(sharded, OTHER_OWNER, None, "DE01"),  # DE01 is OWNER's only: fine
            _account(sharded, OTHER_OWNER, None, "DE03"),
        ]
    )


async def _iban_clash_in_unit(pool: asyncpg.Pool, sharded: ModuleType) -> Any:
    async with sharded.UnitOfWork(pool, actor="probe") as uow:
        await uow.account.save_batch(
            [_account(sharded, OTHER_OWNER, None, "DE03"), _account(sharded, OWNER, None, "DE11")]
        )


async def _key_clash_in_unit(pool: asyncpg.Pool, sharded: ModuleType) -> Any:
    async with sharded.UnitOfWork(pool, actor="probe") as uow:
        await uow.account.save_batch(
            [_account(sharded, OWNER, uuid.UUID(int=7), "DE12"), _account(*_stored(sharded, 1))]
        )


async def _key_clash_outside(pool: asyncpg.Pool, sharded: ModuleType) -> Any:
    return await sharded.AccountRepository(pool, actor="probe").save_batch(
        [_account(*_stored(sharded, 2)), _account(sharded, OWNER, uuid.UUID(int=8), "DE13")]
    )


async def _iban_clash_on_update(pool: asyncpg.Pool, sharded: ModuleType) -> Any:
    async with sharded.UnitOfWork(pool, actor="probe") as uow:
        first, second = await uow.account.load_batch(
            [
                sharded.AccountKey(OWNER, uuid.UUID(int=1)),
                sharded.AccountKey(OWNER, uuid.UUID(int=2)),
            ]
        )
        first.iban, second.iban = "DE02", "DE02X"  # DE02 is still second's in the database
        await uow.account.update_batch([first, second])


def _stored(sharded: ModuleType, index: int) -> tuple[Any, ...]:
    owner, id_, _ = STORED[index]
    return (sharded, owner, id_, f"DE9{index}")


#: (write, the error's class, its rows)
CASES: dict[str, tuple[Write, str, list[int]]] = {
    "missing-parents-batch-outside": (_postings_outside, "MissingParentError", [1, 3]),
    "missing-parents-batch-in-unit": (_postings_in_unit, "MissingParentError", [0, 2]),
    "missing-parent-single-in-unit": (_posting_single_in_unit, "MissingParentError", [0]),
    "unique-clash-batch-outside": (_iban_clash_outside, "UniqueViolationError", [1, 3]),
    "unique-clash-batch-in-unit": (_iban_clash_in_unit, "UniqueViolationError", [0]),
    "primary-key-clash-in-unit": (_key_clash_in_unit, "UniqueViolationError", [1]),
    "primary-key-clash-outside": (_key_clash_outside, "UniqueViolationError", [0]),
    "unique-clash-update-in-unit": (_iban_clash_on_update, "UniqueViolationError", [0]),
}


async def _outcome(write: Write, pool: asyncpg.Pool, sharded: ModuleType) -> Outcome:
    with pytest.raises(batchrepo.BatchRepoError) as raised:
        await write(pool, sharded)
    error = raised.value
    return Outcome(type(error).__name__, str(error), error.rows, error.rows_by_constraint)


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
async def test_a_failed_write_fails_as_on_plain_postgresql(
    case: str, citus_pool: asyncpg.Pool, plain_pool: asyncpg.Pool, sharded: ModuleType
) -> None:
    write, error, rows = CASES[case]
    on_citus = await _outcome(write, citus_pool, sharded)
    on_plain = await _outcome(write, plain_pool, sharded)
    assert on_citus == on_plain
    assert (on_citus.error, on_citus.rows) == (error, rows)


async def test_validate_batch_asks_every_probe_of_a_distributed_table(
    citus_pool: asyncpg.Pool, plain_pool: asyncpg.Pool, sharded: ModuleType
) -> None:
    postings = [
        _posting(sharded, OWNER, NOWHERE, 0),
        _posting(sharded, OWNER, uuid.UUID(int=1), 1),
    ]
    accounts = [
        _account(sharded, OWNER, uuid.UUID(int=2), "DE20"),  # key taken
        _account(sharded, OWNER, None, "DE01"),  # iban taken
        _account(sharded, OTHER_OWNER, None, "DE21"),
    ]
    reports = []
    for pool in (citus_pool, plain_pool):
        async with sharded.UnitOfWork(pool, actor="probe") as uow:
            found = await uow.posting.validate_batch(postings)
            found_accounts = await uow.account.validate_batch(accounts)
        reports.append(
            [(p.row, p.code, p.message) for r in (found, found_accounts) for p in r.problems]
        )
    assert reports[0] == reports[1]
    assert [(row, code) for row, code, _ in reports[0]] == [
        (0, "missing_parent"),
        (0, "key_exists"),
        (1, "key_exists"),
    ]
