"""Every operation, single-row and batch, on a uuid key, a composite key and an identity key."""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from decimal import Decimal
from typing import cast

import asyncpg
import pytest

from batchrepo import operations as ops
from tests.runtime.builders import account, entry, people, person
from tests.runtime.conftest import CountingConnection
from tests.runtime.tables import ACCOUNT, LEDGER_ENTRY, PERSON, AccountKey, PersonType


async def test_save_one_returns_the_row_with_its_server_default(db: asyncpg.Pool) -> None:
    before = datetime.datetime.now(datetime.UTC)
    item = person(external_identifier="EXT-1")
    saved = await ops.save_one(db, PERSON, item)
    assert saved.id == item.id
    assert (saved.display_name, saved.external_identifier) == ("Ada Lovelace", "EXT-1")
    assert saved.person_type is PersonType.NATURAL
    assert saved.created_at is not None and saved.created_at >= before - datetime.timedelta(1)
    assert await db.fetchval('SELECT count(*) FROM "person"') == 1


async def test_save_batch_returns_rows_in_input_order_with_defaults(db: asyncpg.Pool) -> None:
    items = people(50)
    given = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    items[7].created_at = given
    saved = await ops.save_batch(db, PERSON, items)
    assert [s.id for s in saved] == [i.id for i in items]
    assert [s.display_name for s in saved] == [f"person {i}" for i in range(50)]
    assert saved[7].created_at == given
    assert all(s.created_at is not None for s in saved)
    assert await db.fetchval('SELECT count(*) FROM "person"') == 50


async def test_load_one_finds_the_row_or_none(db: asyncpg.Pool) -> None:
    saved = await ops.save_one(db, PERSON, person(balance=Decimal("-5.25")))
    assert await ops.load_one(db, PERSON, saved.id) == saved
    assert await ops.load_one(db, PERSON, uuid.uuid4()) is None


async def test_load_batch_follows_the_keys_asked_with_none_for_missing(db: asyncpg.Pool) -> None:
    saved = await ops.save_batch(db, PERSON, people(5))
    missing = uuid.uuid4()
    keys = [saved[3].id, missing, saved[0].id, saved[3].id]
    loaded = await ops.load_batch(db, PERSON, keys)
    assert loaded == [saved[3], None, saved[0], saved[3]]


async def test_exists_single_and_batch(db: asyncpg.Pool) -> None:
    saved = await ops.save_batch(db, PERSON, people(3))
    missing = uuid.uuid4()
    assert await ops.exists_one(db, PERSON, saved[1].id) is True
    assert await ops.exists_one(db, PERSON, missing) is False
    keys = [missing, saved[2].id, saved[0].id, missing]
    assert await ops.exists_batch(db, PERSON, keys) == [False, True, True, False]


async def test_update_one_writes_and_returns_the_row(db: asyncpg.Pool) -> None:
    saved = await ops.save_one(db, PERSON, person())
    saved.display_name = "Countess"
    saved.balance = Decimal("99.99")
    updated = await ops.update_one(db, PERSON, saved)
    assert (updated.display_name, updated.balance) == ("Countess", Decimal("99.99"))
    assert await ops.load_one(db, PERSON, saved.id) == updated


async def test_update_batch_returns_rows_in_input_order(db: asyncpg.Pool) -> None:
    saved = await ops.save_batch(db, PERSON, people(20))
    changed = list(reversed(saved))
    for number, item in enumerate(changed):
        item.balance = Decimal(number)
    updated = await ops.update_batch(db, PERSON, changed)
    assert [u.id for u in updated] == [c.id for c in changed]
    assert [u.balance for u in updated] == [Decimal(n) for n in range(20)]
    reloaded = await ops.load_batch(db, PERSON, [c.id for c in changed])
    assert reloaded == updated


async def test_delete_single_says_whether_a_row_went(db: asyncpg.Pool) -> None:
    saved = await ops.save_one(db, PERSON, person())
    assert await ops.delete_one(db, PERSON, saved.id) is True
    assert await ops.delete_one(db, PERSON, saved.id) is False
    assert await ops.load_one(db, PERSON, saved.id) is None


async def test_delete_batch_counts_the_rows_deleted(db: asyncpg.Pool) -> None:
    saved = await ops.save_batch(db, PERSON, people(6))
    keys = [saved[0].id, saved[2].id, uuid.uuid4(), saved[5].id]
    assert await ops.delete_batch(db, PERSON, keys) == 3
    remaining = await ops.exists_batch(db, PERSON, [s.id for s in saved])
    assert remaining == [False, True, False, True, True, False]


async def test_upsert_one_inserts_then_updates(db: asyncpg.Pool) -> None:
    item = person(display_name="first")
    inserted = await ops.upsert_one(db, PERSON, item)
    item.display_name = "second"
    updated = await ops.upsert_one(db, PERSON, item)
    assert (inserted.id, inserted.display_name) == (item.id, "first")
    assert (updated.id, updated.display_name) == (item.id, "second")
    assert await db.fetchval('SELECT count(*) FROM "person"') == 1


async def test_upsert_batch_mixes_new_and_existing_rows_in_input_order(db: asyncpg.Pool) -> None:
    existing = await ops.save_batch(db, PERSON, people(3))
    existing[1].display_name = "renamed"
    fresh = people(2)
    batch = [fresh[0], existing[1], fresh[1], existing[0]]
    result = await ops.upsert_batch(db, PERSON, batch)
    assert [r.id for r in result] == [b.id for b in batch]
    assert result[1].display_name == "renamed"
    assert await db.fetchval('SELECT count(*) FROM "person"') == 5


async def test_load_batch_by_unique_key_in_order_asked(db: asyncpg.Pool) -> None:
    saved = await ops.save_batch(
        db, PERSON, [person(external_identifier=f"X{i}") for i in range(3)]
    )
    loaded = await ops.load_batch_by_unique(db, PERSON, "external_identifier", ["X2", "nope", "X0"])
    assert loaded == [saved[2], None, saved[0]]


async def test_unknown_unique_or_foreign_key_name_is_a_key_error(db: asyncpg.Pool) -> None:
    with pytest.raises(KeyError, match="person has no unique key 'email'"):
        await ops.load_batch_by_unique(db, PERSON, "email", ["a"])
    with pytest.raises(KeyError, match="person has no foreign key 'parent'"):
        await ops.load_grouped_by_fk(db, PERSON, "parent", [uuid.uuid4()])


async def test_load_grouped_by_foreign_key_lists_children_per_parent(db: asyncpg.Pool) -> None:
    organisations = await ops.save_batch(db, PERSON, people(2, person_type=PersonType.LEGAL))
    staff = [person(organization_person_id=organisations[i % 2].id) for i in range(5)]
    await ops.save_batch(db, PERSON, staff)
    lonely = uuid.uuid4()
    grouped = await ops.load_grouped_by_fk(
        db, PERSON, "organization", [organisations[1].id, lonely, organisations[0].id]
    )
    assert list(grouped) == [organisations[1].id, lonely, organisations[0].id]
    assert sorted(p.id for p in grouped[organisations[0].id]) == sorted(s.id for s in staff[0::2])
    assert sorted(p.id for p in grouped[organisations[1].id]) == sorted(s.id for s in staff[1::2])
    assert grouped[lonely] == []


async def test_composite_key_operations(db: asyncpg.Pool) -> None:
    owner = await ops.save_one(db, PERSON, person())
    other = await ops.save_one(db, PERSON, person())
    accounts = [account(owner.id, n) for n in (3, 1, 2)]
    saved = await ops.save_batch(db, ACCOUNT, accounts)
    assert [(a.branch_code, a.account_number) for a in saved] == [("B001", n) for n in (3, 1, 2)]
    single = await ops.save_one(db, ACCOUNT, account(owner.id, 9, branch_code="B002"))
    assert single.branch_code == "B002"

    keys = [AccountKey("B001", 2), AccountKey("B009", 2), AccountKey("B002", 9)]
    assert await ops.load_batch(db, ACCOUNT, keys) == [saved[2], None, single]
    assert await ops.load_one(db, ACCOUNT, AccountKey("B001", 1)) == saved[1]
    assert await ops.exists_batch(db, ACCOUNT, keys) == [True, False, True]
    # Plain tuples work as keys too: a NamedTuple key equals the tuple of its values.
    assert await ops.exists_one(db, ACCOUNT, cast(AccountKey, ("B001", 3))) is True

    moved = [account(other.id, 1), account(other.id, 3)]
    updated = await ops.update_batch(db, ACCOUNT, moved)
    assert [(u.account_number, u.owner_person_id) for u in updated] == [
        (1, other.id),
        (3, other.id),
    ]
    upserted = await ops.upsert_batch(db, ACCOUNT, [account(owner.id, 3), account(owner.id, 4)])
    assert [u.owner_person_id for u in upserted] == [owner.id, owner.id]
    grouped = await ops.load_grouped_by_fk(db, ACCOUNT, "owner", [owner.id, other.id])
    owned = [(a.branch_code, a.account_number) for a in grouped[owner.id]]
    assert owned == [("B001", 2), ("B001", 3), ("B001", 4), ("B002", 9)]
    assert [a.account_number for a in grouped[other.id]] == [1]
    assert await ops.delete_batch(db, ACCOUNT, [AccountKey("B001", 1), AccountKey("B001", 7)]) == 1
    assert await ops.delete_one(db, ACCOUNT, AccountKey("B002", 9)) is True


async def test_identity_keys_are_assigned_in_input_order(db: asyncpg.Pool) -> None:
    owner = await ops.save_one(db, PERSON, person())
    await ops.save_one(db, ACCOUNT, account(owner.id))
    amounts = [Decimal(n) for n in (5, 1, 4, 2, 3)]
    saved = await ops.save_batch(db, LEDGER_ENTRY, [entry(amount=a) for a in amounts])
    assert [s.amount for s in saved] == amounts
    ids = [s.id for s in saved if s.id is not None]
    assert len(ids) == 5 and ids == sorted(ids) and len(set(ids)) == 5
    stored = await db.fetch('SELECT id, amount FROM "ledger_entry" ORDER BY id')
    assert [(r["id"], r["amount"]) for r in stored] == list(zip(ids, amounts, strict=True))

    one = await ops.save_one(db, LEDGER_ENTRY, entry(amount=Decimal("7.00")))
    assert one.id is not None and one.id > max(ids)
    one.amount = Decimal("8.00")
    assert (await ops.update_one(db, LEDGER_ENTRY, one)).amount == Decimal("8.00")
    assert await ops.delete_batch(db, LEDGER_ENTRY, ids) == 5


async def test_empty_batches_send_no_statement(counting: CountingConnection) -> None:
    assert await ops.save_batch(counting, PERSON, []) == []
    assert await ops.update_batch(counting, PERSON, []) == []
    assert await ops.upsert_batch(counting, PERSON, []) == []
    assert await ops.load_batch(counting, PERSON, []) == []
    assert await ops.exists_batch(counting, PERSON, []) == []
    assert await ops.delete_batch(counting, PERSON, []) == 0
    assert await ops.load_batch_by_unique(counting, PERSON, "external_identifier", []) == []
    assert await ops.load_grouped_by_fk(counting, PERSON, "organization", []) == {}
    assert (await ops.save_batch_chunked(counting, PERSON, [])).items == []
    assert (await ops.validate_batch(counting, PERSON, [])).ok
    assert counting.statements == []
    # The wrapper does count: one real batch goes through it as one statement (outside a
    # transaction, an insert of a table without audit needs no BEGIN and COMMIT around it).
    await ops.save_batch(counting, PERSON, people(2))
    assert counting.statements == [PERSON.sql.insert_batch]


async def test_a_batch_is_one_fixed_statement_whatever_its_size(
    counting: CountingConnection,
) -> None:
    for size in (1, 7, 300):
        await ops.save_batch(counting, PERSON, people(size))
        await ops.load_batch(counting, PERSON, [uuid.uuid4() for _ in range(size)])
    sent = [s for s in counting.statements if s != "<transaction>"]
    assert sent == [PERSON.sql.insert_batch, PERSON.sql.select_batch] * 3


async def test_an_operation_the_table_lacks_is_a_type_error(db: asyncpg.Pool) -> None:
    without_update = dataclasses.replace(
        PERSON, sql=dataclasses.replace(PERSON.sql, update_batch=None, update_one=None)
    )
    with pytest.raises(TypeError, match="table person has no update statement"):
        await ops.update_batch(db, without_update, people(2))
    with pytest.raises(TypeError, match="table person has no update statement"):
        await ops.update_one(db, without_update, person())
