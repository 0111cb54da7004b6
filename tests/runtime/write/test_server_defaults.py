"""Server-default columns after the insert: None on update keeps the stored value, a value
replaces it, and an upsert never changes them on conflict; single-row and batch alike."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import asyncpg
import pytest

from batchrepo import operations as ops
from tests.runtime.builders import people
from tests.runtime.tables import PERSON, Person

STORED = datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
GIVEN = datetime.datetime(2022, 6, 7, 8, 9, 10, tzinfo=datetime.UTC)


async def _stored(db: asyncpg.Pool, count: int) -> list[Person]:
    """``count`` persons saved with a known ``created_at``."""
    return await ops.save_batch(db, PERSON, people(count, created_at=STORED))


async def _created_at(db: asyncpg.Pool, items: Sequence[Person]) -> list[datetime.datetime]:
    rows = await db.fetch(
        'SELECT "id", "created_at" FROM "person" WHERE "id" = ANY($1::uuid[])',
        [i.id for i in items],
    )
    by_id = {row["id"]: row["created_at"] for row in rows}
    return [by_id[i.id] for i in items]


@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
async def test_update_with_none_keeps_the_stored_server_default(
    db: asyncpg.Pool, batch: bool
) -> None:
    saved = await _stored(db, 3)
    for item in saved:
        item.created_at = None
        item.display_name = "renamed"
    if batch:
        updated = await ops.update_batch(db, PERSON, saved)
    else:
        updated = [await ops.update_one(db, PERSON, item) for item in saved]
    assert [(u.display_name, u.created_at) for u in updated] == [("renamed", STORED)] * 3
    assert await _created_at(db, saved) == [STORED] * 3


@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
async def test_update_with_a_value_replaces_the_server_default(
    db: asyncpg.Pool, batch: bool
) -> None:
    saved = await _stored(db, 3)
    saved[0].created_at = None
    saved[2].created_at = GIVEN
    if batch:
        updated = await ops.update_batch(db, PERSON, saved)
    else:
        updated = [await ops.update_one(db, PERSON, item) for item in saved]
    expected = [STORED, STORED, GIVEN]
    assert [u.created_at for u in updated] == expected
    assert await _created_at(db, saved) == expected


@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
async def test_upsert_never_changes_a_stored_server_default(db: asyncpg.Pool, batch: bool) -> None:
    saved = await _stored(db, 2)
    saved[0].created_at = None  # would be now() in the inserted row
    saved[1].created_at = GIVEN  # an explicit value does not replace it either
    new = people(2, display_name="new")
    new[1].created_at = GIVEN
    for item in saved:
        item.display_name = "upserted"
    items = [saved[0], new[0], saved[1], new[1]]
    before = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    if batch:
        upserted = await ops.upsert_batch(db, PERSON, items)
    else:
        upserted = [await ops.upsert_one(db, PERSON, item) for item in items]
    assert [u.display_name for u in upserted] == ["upserted", "new", "upserted", "new"]
    created = [u.created_at for u in upserted]
    assert created[0] == STORED and created[2] == STORED  # kept on conflict
    assert created[1] is not None and created[1] > before  # inserted: the default
    assert created[3] == GIVEN  # inserted: the value given
    assert await _created_at(db, items) == created
