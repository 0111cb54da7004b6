"""Statement arguments, and arrays and JSON surviving the round trip through PostgreSQL exactly."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest

from batchrepo import operations as ops
from batchrepo.db.arguments import (
    array_arguments,
    batch_argument_columns,
    batch_arguments,
    decode_json,
    decode_json_column,
    encode_json,
    key_arrays,
    row_arguments,
    value_arrays,
)
from tests.runtime.builders import account, entry, person
from tests.runtime.tables import ACCOUNT, LEDGER_ENTRY, PERSON, AccountKey, LedgerEntry


def test_array_column_becomes_flat_elements_row_numbers_and_null_flags() -> None:
    flat, rows, nulls = array_arguments([[1, 2], None, [], [3], [None], ("a", "b")])
    assert flat == [1, 2, 3, None, "a", "b"]
    # one 1-based row number per element; NULL and empty rows have none, only the flag differs
    assert rows == [1, 1, 4, 5, 6, 6]
    assert nulls == [False, True, False, False, False, False]
    assert array_arguments([]) == ([], [], [])
    assert array_arguments([None, []]) == ([], [], [True, False])


def test_batch_arguments_follow_the_statement_columns() -> None:
    items = [
        entry(tags=["a"], codes=[1, 2], payload={"k": 1}),
        entry(tags=None, codes=[], payload=None),
    ]
    columns = LEDGER_ENTRY.to_columns(items)
    arguments = batch_arguments(LEDGER_ENTRY, columns, (4, 5, 7))
    assert arguments == [
        [items[0].booked_at, items[1].booked_at],
        ["a"],
        [1],
        [False, True],
        ['{"k": 1}', None],
    ]
    assert batch_argument_columns(LEDGER_ENTRY, (4, 5, 7)) == [
        "booked_at",
        "tags",
        "tags",
        "tags",
        "payload",
    ]
    assert row_arguments(LEDGER_ENTRY, columns, (5, 6, 7), 0) == [["a"], [1, 2], '{"k": 1}']


def test_keys_become_one_array_per_key_column() -> None:
    assert key_arrays(ACCOUNT, [AccountKey("B1", 1), ("B2", 2)]) == [["B1", "B2"], [1, 2]]
    assert key_arrays(PERSON, ["x", "y"]) == [["x", "y"]]
    assert value_arrays(3, []) == [[], [], []]


@pytest.mark.parametrize(
    "value",
    [{"a": [1, 2.5, None, True, False]}, "é\u2603\x00", 10**30, 1e-7, [], {}, [{"z": {"y": []}}]],
    ids=[
        "object",
        "unicode-and-nul",
        "big-integer",
        "small-float",
        "empty-list",
        "empty-object",
        "nested",
    ],
)
def test_json_text_is_exactly_what_json_dumps_writes(value: object) -> None:
    assert encode_json(value) == json.dumps(value)
    assert decode_json_column([encode_json(value), None]) == [value, None]


def test_decode_json_keeps_sql_null_apart_from_text() -> None:
    assert decode_json(None) is None
    assert decode_json('{"a": [1, "b"]}') == {"a": [1, "b"]}
    assert decode_json('"null"') == "null"


async def _with_account(db: asyncpg.Pool) -> None:
    owner = await ops.save_one(db, PERSON, person())
    await ops.save_one(db, ACCOUNT, account(owner.id))


TAGS: list[list[str | None] | None] = [
    [],
    None,
    [None],
    ["a", None, "b"],
    [""],
    ["x" * 20, "ünïcødé"],
    [],
    None,
]
CODES: list[list[int]] = [[], [0], [1, 2, 3], [], [2**31 - 1, 0], [5], [], [9, 9]]
PAYLOADS: list[Any] = [
    None,
    {},
    [],
    "text",
    0,
    True,
    {"nested": {"list": [1, 2.5, None, "ü"]}, "emoji": "🙂"},
    [{"a": None}],
]


async def test_arrays_and_json_round_trip_exactly_through_a_batch(db: asyncpg.Pool) -> None:
    await _with_account(db)
    batch = [
        entry(tags=tags, codes=codes, payload=payload)
        for tags, codes, payload in zip(TAGS, CODES, PAYLOADS, strict=True)
    ]
    saved = await ops.save_batch(db, LEDGER_ENTRY, batch)
    assert [(s.tags, s.codes, s.payload) for s in saved] == list(
        zip(TAGS, CODES, PAYLOADS, strict=True)
    )
    loaded = await ops.load_batch(db, LEDGER_ENTRY, [s.id for s in saved if s.id is not None])
    assert loaded == saved
    stored = await db.fetch('SELECT tags, codes, payload IS NULL AS no_json FROM "ledger_entry"')
    assert sorted(map(tuple, stored), key=repr) == sorted(
        ((t, c, p is None) for t, c, p in zip(TAGS, CODES, PAYLOADS, strict=True)), key=repr
    )


async def test_an_all_empty_batch_of_arrays_round_trips(db: asyncpg.Pool) -> None:
    await _with_account(db)
    saved = await ops.save_batch(db, LEDGER_ENTRY, [entry(tags=None, codes=[]), entry(tags=[])])
    assert [(s.tags, s.codes) for s in saved] == [(None, []), ([], [1])]


async def test_arrays_and_json_round_trip_through_single_rows(db: asyncpg.Pool) -> None:
    await _with_account(db)
    for tags, codes, payload in zip(TAGS, CODES, PAYLOADS, strict=True):
        saved = await ops.save_one(db, LEDGER_ENTRY, entry(tags=tags, codes=codes, payload=payload))
        assert (saved.tags, saved.codes, saved.payload) == (tags, codes, payload)
        assert saved.id is not None
        assert await ops.load_one(db, LEDGER_ENTRY, saved.id) == saved


async def test_updates_rewrite_arrays_and_json(db: asyncpg.Pool) -> None:
    await _with_account(db)
    saved = await ops.save_batch(
        db, LEDGER_ENTRY, [entry(tags=["a"], codes=[1], payload={"v": i}) for i in range(3)]
    )
    changed: list[LedgerEntry] = []
    for item, tags, payload in zip(saved, ([], None, ["z", None]), (None, [1], "s"), strict=True):
        item.tags, item.payload = tags, payload
        changed.append(item)
    updated = await ops.update_batch(db, LEDGER_ENTRY, changed)
    assert [(u.tags, u.payload) for u in updated] == [([], None), (None, [1]), (["z", None], "s")]
    saved[0].codes = [4, 5]
    assert (await ops.update_one(db, LEDGER_ENTRY, saved[0])).codes == [4, 5]


@pytest.mark.parametrize("size", [1, 2, 1000])
async def test_a_big_batch_keeps_every_row_in_place(db: asyncpg.Pool, size: int) -> None:
    await _with_account(db)
    batch = [entry(tags=[str(i)] * (i % 3), codes=list(range(i % 4))) for i in range(size)]
    saved = await ops.save_batch(db, LEDGER_ENTRY, batch)
    assert [(s.tags, s.codes) for s in saved] == [(b.tags, b.codes) for b in batch]
