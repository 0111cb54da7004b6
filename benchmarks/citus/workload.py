"""The rows the cluster benchmark writes and the start state of every contender.

The distributed domain (golden case ``distributed``, package ``sharded``): ``posting`` (not
audited, co-located with ``account``, a foreign key to it) carries the plain operations,
``account`` (audited: history distributed with it, ``audit_log``) the audited ones. Keys are
deterministic, so every target gets the same rows on the same shards.

Two shapes of batch: **many owners** (row ``i`` belongs to owner ``i % 1000``: every batch
touches every shard) and **one owner** (every row on one shard). Parents: 1,000 owners with one
account each, plus the one-owner owner's account, saved through the pool at setup and loaded
again before each posting job (untimed), so the pool's key cache knows them, as in a running
service: the probe for unknown parents is refused by Citus today (docs/citus.md, left to do).
Start states are made before the clock starts: the table emptied, rows seeded by COPY and
``ANALYZE``-d where the operation needs stored rows.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from .targets import Target

MANY, ONE = "many owners", "one owner"
SHAPES = (MANY, ONE)
OWNERS = 1_000
#: iban prefixes: the parents of postings, the audited contenders' accounts, the audit units'.
PARENT, AUDITED, UNIT = "P", "A", "U"


def key(kind: int, i: int) -> uuid.UUID:
    """A deterministic uuid4-shaped key: ``kind`` tells owners, accounts and postings apart."""
    return uuid.UUID(int=(kind << 64) + i + 1, version=4)


def owner(i: int) -> uuid.UUID:
    return key(1, i)


SOLO = owner(OWNERS)  # the owner of one-owner batches


def owner_of(shape: str, i: int) -> uuid.UUID:
    return SOLO if shape == ONE else owner(i % OWNERS)


@dataclasses.dataclass(frozen=True, slots=True)
class Work:
    """One job's input, made before the clock starts: entities to write or keys to read."""

    items: Sequence[Any] = ()
    keys: Sequence[Any] = ()


class Rows:
    """Entities of the target's package with fresh keys (a counter per target, so every target
    sees the same sequence)."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.package = target.package
        self._next = 0

    def _take(self, count: int) -> range:
        start, self._next = self._next, self._next + count
        return range(start, start + count)

    def account(self, owner_id: uuid.UUID, account_id: uuid.UUID, iban: str) -> Any:
        return self.package.Account(
            owner_id=owner_id,
            id=account_id,
            kind=self.package.AccountKind.CURRENT,
            iban=iban,
            country="DE",
            balance=Decimal(len(iban)),
        )

    def accounts(self, shape: str, count: int, prefix: str = AUDITED) -> list[Any]:
        """``count`` new accounts; a ``shape`` of owners (audit units pass one owner's uuid)."""
        return [
            self.account(owner_of(shape, i), key(2, i), f"{prefix}{i:020d}")
            for i in self._take(count)
        ]

    def unit(self, owner_id: uuid.UUID, count: int) -> list[Any]:
        """``count`` new accounts of one owner: what one audit unit of work saves."""
        return [self.account(owner_id, key(2, i), f"{UNIT}{i:020d}") for i in self._take(count)]

    def parent_keys(self) -> list[Any]:
        owners = [*(owner(i) for i in range(OWNERS)), SOLO]
        return [self.package.AccountKey(o, key(3, n)) for n, o in enumerate(owners)]

    def postings(self, shape: str, count: int) -> list[Any]:
        parents = self.parent_keys()
        return [
            self.package.Posting(
                owner_id=(p := parents[-1] if shape == ONE else parents[i % OWNERS]).owner_id,
                id=key(4, i),
                account_id=p.id,
                amount=Decimal(i % 100_000) / 100,
            )
            for i in self._take(count)
        ]


async def setup(target: Target) -> Rows:
    """The reference row and the parent accounts, saved through the pool (the cache learns
    them)."""
    rows = Rows(target)
    sharded = target.package
    await sharded.CountryRepository(target.pool).save(sharded.Country(code="DE", name="Germany"))
    parents = [
        rows.account(k.owner_id, k.id, f"{PARENT}{n:020d}")
        for n, k in enumerate(rows.parent_keys())
    ]
    await target.accounts().save_batch(parents)
    return rows


def changed(items: Sequence[Any], **change: Any) -> list[Any]:
    return [dataclasses.replace(item, **change) for item in items]


async def _seed(target: Target, table: str, items: Sequence[Any], columns: Sequence[str]) -> None:
    records = [tuple(getattr(item, c) for c in columns) for item in items]
    await target.conn.copy_records_to_table(table, records=records, columns=list(columns))
    await target.conn.execute(f'ANALYZE "{table}"')


POSTING_COLUMNS = ("owner_id", "id", "account_id", "amount")
ACCOUNT_COLUMNS = ("owner_id", "id", "kind", "iban", "country", "balance")


async def postings(rows: Rows, shape: str, size: int, stored: int) -> list[Any]:
    """An empty ``posting`` table with ``stored`` rows seeded; ``size`` rows, the stored first."""
    target = rows.target
    await target.conn.execute('TRUNCATE "posting"')
    await target.accounts().load_batch(rows.parent_keys())  # the key cache knows the parents
    items = rows.postings(shape, size)
    if stored:
        await _seed(target, "posting", items[:stored], POSTING_COLUMNS)
    return items


async def only_parents(target: Target) -> None:
    """``account`` holding only the parents of postings; history and audit log emptied."""
    await target.conn.execute(f"DELETE FROM \"account\" WHERE iban NOT LIKE '{PARENT}%'")
    await target.conn.execute('TRUNCATE "account_history", "audit_log"')
    await target.package.CountryRepository(target.pool).load("DE")  # the cache knows it


async def audited_accounts(rows: Rows, shape: str, size: int, stored: bool) -> list[Any]:
    """:func:`only_parents`, plus ``size`` audited accounts seeded when ``stored``; those
    accounts."""
    target = rows.target
    await only_parents(target)
    items = rows.accounts(shape, size)
    if stored:
        await _seed(target, "account", items, ACCOUNT_COLUMNS)
    return items
