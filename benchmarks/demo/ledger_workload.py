"""The demo's workload: each operation of a banking day, run once row by row and once as a batch.

A side (:mod:`.sides`) is one database with a repository per table. :class:`Workload` runs every
step on both sides: the single-row side calls the one-row method in a loop inside one
transaction (the fair baseline: a transaction per row mostly measures commits, which is likely
what the seed's "traditional" figures show), the batch side calls the batch method once. Each
step checks that both sides returned the same thing and records the two timings, under a
progress bar per side that counts its rows.
"""

from __future__ import annotations

import dataclasses
import datetime
import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import TypeVar

from ledger import Account, LedgerTransaction, Person, TransactionDirection, TransactionStatus

from batchrepo import HistoryEntry
from batchrepo.write.chunked import BatchResult

from .db_compare import comparable, same_results
from .ledger_data import LedgerData
from .sides import Saving, Side, one_by_one, run_with_bar

#: Rows per statement for the big import. Large enough that per-statement costs vanish, small
#: enough that no statement's cost grows out of proportion with its size.
CHUNK_SIZE = 2_000

E = TypeVar("E")
X = TypeVar("X")
R = TypeVar("R")


@dataclasses.dataclass(frozen=True, slots=True)
class Measurement:
    operation: str
    rows: int
    single_ms: float
    batch_ms: float


class ResultsDiffer(AssertionError):
    """The single-row and the batch method returned different results for the same request."""


class Workload:
    """Runs the steps on both sides, checks that they agree and keeps the timings."""

    def __init__(self, single: Side, batch: Side, data: LedgerData, seed: int) -> None:
        self.single = single
        self.batch = batch
        self.data = data
        self.rng = random.Random(seed + 1)
        self.measurements: list[Measurement] = []

    async def _both(
        self,
        operation: str,
        rows: int,
        one: Callable[[Side], Awaitable[R]],
        many: Callable[[Side], Awaitable[R]],
    ) -> tuple[R, R]:
        single_result, single_ms = await run_with_bar(
            self.single, f"{operation}: row by row", rows, one
        )
        batch_result, batch_ms = await run_with_bar(self.batch, f"{operation}: batch", rows, many)
        if not same_results(single_result, batch_result):
            raise ResultsDiffer(f"{operation}: single-row and batch results differ")
        self.measurements.append(Measurement(operation, rows, single_ms, batch_ms))
        return single_result, batch_result

    async def _save(
        self, table: str, repo: Callable[[Side], Saving[E]], items: list[E]
    ) -> tuple[list[E], list[E]]:
        return await self._both(
            f"save {table}",
            len(items),
            lambda s: one_by_one(s, repo(s).save, items),
            lambda s: repo(s).save_batch(items),
        )

    async def import_all(self) -> None:
        """Data migration: every table in foreign-key order."""
        d = self.data
        await self._save("country", lambda s: s.country, d.countries)
        await self._save("country_subdivision", lambda s: s.subdivision, d.subdivisions)
        await self._save("locality", lambda s: s.locality, d.localities)
        await self._save("location", lambda s: s.location, d.locations)
        # Saves return the rows as stored, with what the server filled in (created_at, the
        # transactions' identity keys): later steps work on those, as an application would.
        s, b = self.single, self.batch
        s.persons, b.persons = await self._save("person", lambda s: s.person, d.persons)
        await self._save("entity_reference", lambda s: s.entity_reference, d.entity_references)
        s.accounts, b.accounts = await self._save("account", lambda s: s.account, d.accounts)
        # A day's postings are the big import: sent in chunks, all in one transaction
        # (atomic), as the seed's save_batch_chunked does for data migrations.
        s.transactions, b.transactions = await self._both(
            f"save ledger_transaction (chunks of {CHUNK_SIZE:,})",
            len(d.transactions),
            lambda s: one_by_one(s, s.transaction.save, d.transactions),
            lambda s: _chunked_items(
                s.transaction.save_batch_chunked(
                    d.transactions, chunk_size=CHUNK_SIZE, progress=s.chunk_done
                )
            ),
        )

    def _with_missing(self, keys: list[X], missing: list[X]) -> list[X]:
        """Keys in a random order with some that do not exist, as a real lookup has."""
        mixed = keys + missing
        self.rng.shuffle(mixed)
        return mixed

    async def lookups(self) -> None:
        """Reads of an end-of-day run: by key, by unique key, existence and children."""
        ghosts = [uuid.UUID(int=self.rng.getrandbits(128), version=4) for _ in range(100)]
        person_keys = self._with_missing([p.id for p in self.data.persons], ghosts)
        await self._both(
            "load person",
            len(person_keys),
            lambda s: one_by_one(s, s.person.load, person_keys),
            lambda s: s.person.load_batch(person_keys),
        )
        numbers = self._with_missing(
            [a.account_number for a in self.data.accounts], [f"XX00{i:010d}" for i in range(100)]
        )

        async def by_number(side: Side, number: str) -> Account | None:
            # No single-row method exists for unique keys; a batch of one is the N+1 pattern.
            return (await side.account.load_batch_by_account_number([number]))[0]

        await self._both(
            "load account by number",
            len(numbers),
            lambda s: one_by_one(s, lambda n: by_number(s, n), numbers),
            lambda s: s.account.load_batch_by_account_number(numbers),
        )
        # A reconciliation sample: a quarter of the day's postings plus references never issued.
        count = len(self.data.transactions)
        sample = self.rng.sample(range(count), k=max(1, count // 4))
        await self._both(
            "exists ledger_transaction",
            len(sample) + 100,
            lambda s: one_by_one(s, s.transaction.exists, _tx_keys(s, sample)),
            lambda s: s.transaction.exists_batch(_tx_keys(s, sample)),
        )
        await self._children()

    async def _children(self) -> None:
        # Statements for a third of the accounts: each needs the account's postings.
        accounts = self.data.accounts
        account_ids = [a.id for a in self.rng.sample(accounts, k=max(1, len(accounts) // 3))]
        await self._both(
            "transactions of account",
            len(account_ids),
            lambda s: _merged(s, s.transaction.load_grouped_by_account_id, account_ids),
            lambda s: s.transaction.load_grouped_by_account_id(account_ids),
        )
        person_ids = [p.id for p in self.data.persons]
        await self._both(
            "accounts of person",
            len(person_ids),
            lambda s: _merged(s, s.account.load_grouped_by_owner_person_id, person_ids),
            lambda s: s.account.load_grouped_by_owner_person_id(person_ids),
        )

    async def settle(self) -> None:
        """End-of-day: post the day's transactions to the balances, reverse a few postings."""
        await self._both(
            "update account balances",
            len(self.data.accounts),
            lambda s: one_by_one(s, s.account.update, _posted_balances(s)),
            lambda s: s.account.update_batch(_posted_balances(s)),
        )
        count = len(self.data.transactions)
        picked = sorted(self.rng.sample(range(count), k=count // 20))
        delays = {i: datetime.timedelta(minutes=self.rng.randint(5, 600)) for i in picked}

        def reversals(side: Side) -> list[LedgerTransaction]:
            return [
                dataclasses.replace(
                    side.transactions[i],
                    status=TransactionStatus.REVERSED,
                    settlement_delay=delays[i],
                    tags=[*side.transactions[i].tags, "reversed"],
                )
                for i in picked
            ]

        await self._both(
            "update ledger_transaction",
            len(picked),
            lambda s: one_by_one(s, s.transaction.update, reversals(s)),
            lambda s: s.transaction.update_batch(reversals(s)),
        )

    async def resync_persons(self) -> None:
        """A CRM resync: some persons changed, some are new, found by their external identifier.
        One upsert on that unique key: a changed person gets a new version and an ``update``
        history row, a new one an ``insert`` row; then the CRM delivers the new persons again
        with a few more, and ``save_if_new`` skips the ones already imported."""
        persons = self.single.persons
        changed = [
            dataclasses.replace(p, display_name=p.display_name + " (verified)", is_active=True)
            for p in self.rng.sample(persons, k=len(persons) // 10)
        ]
        new = [
            dataclasses.replace(
                p,
                id=uuid.UUID(int=self.rng.getrandbits(128), version=4),
                external_identifier=f"CRM-N{i:07d}",
                organization_person_id=None,
                duplicate_of_person_id=None,
                entity_reference_count=0,
                version=None,
            )
            for i, p in enumerate(self.rng.sample(persons, k=len(persons) // 10))
        ]

        feed = changed + new
        on = "external_identifier"

        async def one(side: Side) -> list[Person]:
            return await one_by_one(side, lambda p: side.person.upsert(p, on=on), feed)

        async def many(side: Side) -> list[Person]:
            return await side.person.upsert_batch(feed, on=on)

        await self._both("resync person (upsert on external_identifier)", len(feed), one, many)
        self.single.persons += new
        self.batch.persons += new
        more = [
            dataclasses.replace(
                p,
                id=uuid.UUID(int=self.rng.getrandbits(128), version=4),
                external_identifier=f"CRM-M{i:07d}",
            )
            for i, p in enumerate(new[: max(1, len(new) // 2)])
        ]
        # the feed knows persons by their external identifier only: every row has a fresh id
        redelivered = [
            dataclasses.replace(p, id=uuid.UUID(int=self.rng.getrandbits(128), version=4))
            for p in new
        ]
        again = redelivered + more

        async def skipping_one(side: Side) -> list[Person | None]:
            return await one_by_one(side, lambda p: side.person.save_if_new(p, on=on), again)

        async def skipping_many(side: Side) -> list[Person | None]:
            return await side.person.save_batch_if_new(again, on=on)

        await self._both(
            "re-delivered person (insert, skipping known)", len(again), skipping_one, skipping_many
        )
        self.single.persons += more
        self.batch.persons += more

    async def audit_trail(self) -> None:
        """An auditor's read after the resync: every version of a sample of persons, with the
        operation, who wrote it and when (one statement for the batch, one per person else)."""
        persons = self.data.persons
        keys = [p.id for p in self.rng.sample(persons, k=max(1, len(persons) // 5))]
        await self._both(
            "history of person",
            len(keys),
            lambda s: _versions(one_by_one(s, s.person.load_history, keys)),
            lambda s: _versions(s.person.load_history_batch(keys)),
        )

    async def clean_up(self) -> None:
        """Drop failed postings and persons who never opened an account (cascades and SET NULL)."""
        failed = [
            i for i, t in enumerate(self.data.transactions) if t.status == TransactionStatus.FAILED
        ]

        def failed_ids(side: Side) -> list[int]:
            return [_identity(side.transactions[i]) for i in failed]

        await self._both(
            "delete ledger_transaction",
            len(failed),
            lambda s: _count_true(one_by_one(s, s.transaction.delete, failed_ids(s))),
            lambda s: s.transaction.delete_batch(failed_ids(s)),
        )
        owners = {a.owner_person_id for a in self.data.accounts}
        idle = _referencing_first([p for p in self.single.persons if p.id not in owners])
        if idle != _referencing_first([p for p in self.batch.persons if p.id not in owners]):
            raise ResultsDiffer("the two sides disagree on which persons exist")
        await self._both(
            "delete person",
            len(idle),
            lambda s: _count_true(one_by_one(s, s.person.delete, idle)),
            lambda s: s.person.delete_batch(idle),
        )


def _referencing_first(persons: Sequence[Person]) -> list[uuid.UUID]:
    """Ids of ``persons``, every person before the persons it references.

    Deleting an organisation sets its members' ``organization_person_id`` to NULL (ON DELETE SET
    NULL), a change the database makes without a history row. A loop that deleted the
    organisation first would record a member's last snapshot without it, while one batch
    statement records the rows as they were: deleting referencing rows first makes both record
    the same history (docs/units-of-work.md, "Known differences").
    """
    remaining = {p.id: p for p in persons}
    ordered: list[uuid.UUID] = []
    while remaining:
        referenced = {
            parent
            for p in remaining.values()
            for parent in (p.organization_person_id, p.duplicate_of_person_id)
            if parent is not None
        }
        leaves = [key for key in remaining if key not in referenced] or list(remaining)
        ordered += leaves
        for key in leaves:
            del remaining[key]
    return ordered


async def _chunked_items(result: Awaitable[BatchResult[E]]) -> list[E]:
    done = await result
    if not done.ok:  # atomic chunks raise instead; this guards against a silent partial import
        raise AssertionError(f"chunked import reported errors: {done.errors}")
    return done.items


def _identity(transaction: LedgerTransaction) -> int:
    if transaction.id is None:
        raise AssertionError("a saved ledger_transaction came back without its identity key")
    return transaction.id


def _tx_keys(side: Side, sample: Sequence[int]) -> list[int]:
    """This side's keys of the sampled transactions, then 100 that were never issued."""
    keys = [_identity(side.transactions[i]) for i in sample]
    top = max((_identity(t) for t in side.transactions), default=0)
    return keys + list(range(top + 1, top + 101))


async def _merged(
    side: Side,
    lookup: Callable[[Sequence[uuid.UUID]], Awaitable[dict[uuid.UUID, list[E]]]],
    keys: Sequence[uuid.UUID],
) -> dict[uuid.UUID, list[E]]:
    """The N+1 baseline for children: one lookup per parent, in one transaction."""
    merged: dict[uuid.UUID, list[E]] = {}
    for part in await one_by_one(side, lambda key: lookup([key]), keys):
        merged.update(part)
    return merged


async def _versions(
    histories: Awaitable[list[list[HistoryEntry[Person]]]],
) -> list[list[tuple[object, ...]]]:
    """Histories as both databases can agree on them: not the time or the audit log id."""
    return [
        [(e.version, e.operation, e.actor, comparable(e.entity)) for e in entries]
        for entries in await histories
    ]


async def _count_true(flags: Awaitable[list[bool]]) -> int:
    return sum(await flags)


def _posted_balances(side: Side) -> list[Account]:
    """Every account with the day's posted transactions applied (the same on both sides)."""
    moves: dict[uuid.UUID, Decimal] = {}
    last: dict[uuid.UUID, LedgerTransaction] = {}
    for t in side.transactions:
        if t.status != TransactionStatus.POSTED:
            continue
        sign = 1 if t.direction == TransactionDirection.CREDIT else -1
        moves[t.account_id] = moves.get(t.account_id, Decimal(0)) + sign * t.amount
        last[t.account_id] = t
    return [
        dataclasses.replace(
            a,
            balance=a.balance + moves.get(a.id, Decimal(0)),
            last_activity_at=last[a.id].booked_at if a.id in last else None,
        )
        for a in side.accounts
    ]
