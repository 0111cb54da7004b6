"""Checks before writing: what the foreign-key check of a batch insert costs, cache warm or cold.

A batch of accounts, each owned by a different person (``owner_person_id``, a foreign key to
``person``: the most distinct parents a batch can ask about), is saved in a ``UnitOfWork``:

* ``insert, warm cache``: the unit's global key cache holds every person (``KeyCache.warm``), so
  the check answers from memory and sends nothing;
* ``insert, cold cache``: an empty key cache, so the check asks the database once for the
  foreign key (``ForeignKeySpec.probe_sql``, ``= ANY`` over the distinct owners);

and the check stage alone, as the write path runs it (``references.reference_problems``), on the
same columns with the same two caches, so the probe's share of the insert is measured rather
than inferred. ``cache_only=True`` is not a variant: with every owner cached it takes the warm
path exactly, and with a cold cache it refuses every row instead of asking.

Every variant starts from an empty ``account`` table, a cache of its own (warmed or not, off the
clock) and the same rows; the order rotates per repetition.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from decimal import Decimal

from ledger import Account, AccountType, PersonRepository, UnitOfWork
from ledger.account import ACCOUNT_TABLE
from ledger.person import PERSON_TABLE

from batchrepo.cache.key_cache import KeyCache
from batchrepo.cache.views import DirectView
from batchrepo.validate.references import reference_problems

from ..bench.rows import ACTOR, Connection, RowFactory
from ..timing import rotated, timed

INSERT_WARM = "insert, warm cache"
INSERT_COLD = "insert, cold cache"
CHECKS_WARM = "checks alone, warm cache"
CHECKS_COLD = "checks alone, cold cache (one probe)"
#: Variants in report order.
VARIANTS = (INSERT_WARM, INSERT_COLD, CHECKS_WARM, CHECKS_COLD)

#: variant -> milliseconds of this repetition.
Timings = dict[str, float]


class AccountFactory:
    """Accounts with unique keys and numbers, one per owner; deterministic."""

    def __init__(self) -> None:
        self._next = 0

    def make(self, owners: Sequence[uuid.UUID]) -> list[Account]:
        start, self._next = self._next, self._next + len(owners)
        return [self._account(start + i, owner) for i, owner in enumerate(owners)]

    @staticmethod
    def _account(i: int, owner: uuid.UUID) -> Account:
        return Account(
            # a key range of its own, clear of the persons' (uuid int 1 and up)
            id=uuid.UUID(int=(1 << 64) + i, version=4),
            account_number=f"CM21{i:012d}",
            owner_person_id=owner,
            account_type=AccountType.CURRENT if i % 4 else AccountType.SAVINGS,
            currency="XAF",
            balance=Decimal(i % 100_000) / 100,
            overdraft_limit=Decimal("0.00"),
            opened_on=datetime.date(2020, 1, 1) + datetime.timedelta(days=i % 1_500),
            statement_cut_off=datetime.time(18, 0),
            statement_cycle=datetime.timedelta(days=30),
            statement_days=[1, 15] if i % 2 else [28],
        )


async def store_owners(conn: Connection, rows: RowFactory, count: int) -> list[uuid.UUID]:
    """``count`` persons in an emptied ledger database: the parents of the accounts."""
    await conn.execute('TRUNCATE "person", "account", "audit_log" CASCADE')
    saved = await PersonRepository(conn, actor=ACTOR).save_batch(rows.make(count))
    await conn.execute('ANALYZE "person"')
    return [p.id for p in saved]


async def measure_checks(
    conn: Connection, owners: Sequence[uuid.UUID], accounts: AccountFactory, repetition: int
) -> Timings:
    """Each variant once on the same fresh accounts, one per owner."""
    batch = accounts.make(owners)
    columns = ACCOUNT_TABLE.to_columns(batch)
    timings: Timings = {}
    for variant in rotated(VARIANTS, repetition):
        await conn.execute('TRUNCATE "account", "account_history" CASCADE')
        cache = await _key_cache(conn, variant in (INSERT_WARM, CHECKS_WARM), len(owners))
        if variant in (INSERT_WARM, INSERT_COLD):
            saved, timings[variant] = await timed(lambda: _insert(conn, cache, batch))  # noqa: B023
            if len(saved) != len(batch):
                raise AssertionError(f"{variant}: {len(saved)} of {len(batch)} accounts saved")
        else:
            view = DirectView(cache)
            found, timings[variant] = await timed(
                lambda: reference_problems(conn, view, ACCOUNT_TABLE, columns, "insert")  # noqa: B023
            )
            if found[0]:
                raise AssertionError(f"{variant}: {len(found[0])} problems, first {found[0][0]}")
    return timings


async def _key_cache(conn: Connection, warm: bool, owners: int) -> KeyCache:
    """A cache of its own for each variant: empty, or holding every person."""
    cache = KeyCache()
    # on the bare connection, outside any transaction: committed persons only
    if warm and await cache.warm(conn, PERSON_TABLE) != owners:
        raise AssertionError(f"warming read {cache.size('person')} of {owners} persons")
    return cache


async def _insert(conn: Connection, cache: KeyCache, batch: Sequence[Account]) -> list[Account]:
    async with UnitOfWork(conn, actor=ACTOR, cache=cache) as uow:
        return await uow.account.save_batch(batch)
