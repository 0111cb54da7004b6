"""Keys compared as PostgreSQL compares them: blank-padded char(n), identities not yet assigned,
and the first failing row of a batch deciding the error, as it does for rows saved one by one."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from batchrepo import errors
from batchrepo import operations as ops
from tests.runtime.builders import account, entry, people, person
from tests.runtime.conftest import CountingConnection
from tests.runtime.tables import ACCOUNT, CURRENCY, LEDGER_ENTRY, PERSON, Currency
from tests.runtime.validate.test_validation import problems_of


async def test_char_keys_are_found_without_their_padding(db: asyncpg.Pool) -> None:
    saved = await ops.save_batch(
        db, CURRENCY, [Currency(code="USD", name="dollar"), Currency(code="EURO", name="euro")]
    )
    assert [c.code for c in saved] == ["USD ", "EURO"]  # padded, and still in input order
    one = await ops.load_one(db, CURRENCY, "USD")
    assert one == saved[0]
    assert await ops.load_batch(db, CURRENCY, ["USD", "XXX", "EURO"]) == [saved[0], None, saved[1]]
    assert await ops.exists_batch(db, CURRENCY, ["USD ", "USD", "XXX"]) == [True, True, False]
    updated = await ops.update_batch(db, CURRENCY, [Currency(code="USD", name="greenback")])
    assert [(u.code, u.name) for u in updated] == [("USD ", "greenback")]
    with pytest.raises(errors.MissingRowsError) as missing:
        await ops.update_batch(
            db, CURRENCY, [Currency(code="USD", name="x"), Currency(code="YEN", name="y")]
        )
    assert (missing.value.rows, missing.value.keys) == ([1], ["YEN"])


async def test_char_keys_equal_in_postgres_are_duplicates_before_sql(
    counting: CountingConnection,
) -> None:
    batch = [
        Currency(code="GBP", name="a"),
        Currency(code="CHF", name="b"),
        Currency(code="GBP ", name="c"),
    ]
    with pytest.raises(errors.DuplicateKeyInBatchError) as caught:
        await ops.save_batch(counting, CURRENCY, batch)
    assert (caught.value.rows, caught.value.keys) == ([2], ["GBP "])
    assert counting.statements == []


def test_char_lengths_ignore_trailing_spaces_as_postgres_does() -> None:
    batch = [Currency(code="ab  ", name="x"), Currency(code="abcd  ", name="y")]
    # 'ab  ' is two characters to char(4) (too short); surplus spaces of 'abcd  ' are cut, not
    # refused
    assert problems_of(CURRENCY, batch) == [(0, "code", "too_short")]


async def test_errors_on_identity_tables_report_unassigned_keys_as_none(db: asyncpg.Pool) -> None:
    owner = await ops.save_one(db, PERSON, person())
    await ops.save_one(db, ACCOUNT, account(owner.id))
    batch = [entry(1), entry(2)]
    with pytest.raises(errors.ForeignKeyViolationError) as caught:
        await ops.save_batch(db, LEDGER_ENTRY, batch)
    assert (caught.value.rows, caught.value.keys) == ([1], [None])
    with pytest.raises(errors.ForeignKeyViolationError) as single:
        await ops.save_one(db, LEDGER_ENTRY, entry(2))
    assert (single.value.rows, single.value.keys) == ([0], [None])


async def test_the_first_failing_row_decides_the_error_like_a_row_by_row_loop(
    conn: asyncpg.Connection,
) -> None:
    # a bare connection has no key cache: existing keys are found by the database
    existing = await ops.save_one(conn, PERSON, person())
    orphan = person(organization_person_id=uuid.uuid4())
    taken = person(id=existing.id)
    with pytest.raises(errors.MissingParentError) as orphan_first:
        await ops.save_batch(conn, PERSON, [*people(2), orphan, taken])
    err = orphan_first.value
    assert (err.rows, err.constraint, err.sqlstate) == ([2], "person_organization_fkey", "23503")
    assert err.rows_by_constraint == {"person_organization_fkey": [2]}

    # the reference checks refuse row 1, but a loop fails on row 0 first: so does the batch
    with pytest.raises(errors.UniqueViolationError) as taken_first:
        await ops.save_batch(conn, PERSON, [taken, orphan])
    assert (taken_first.value.rows, taken_first.value.constraint) == ([0], "person_pkey")
    shifted = taken_first.value.with_row_offset(10)
    assert shifted.rows_by_constraint == {"person_pkey": [10]}
    assert await ops.exists_batch(conn, PERSON, [orphan.id, taken.id]) == [False, True]

    # a row breaking both is refused for its parent before any SQL, on both paths
    both = person(id=existing.id, organization_person_id=uuid.uuid4())
    with pytest.raises(errors.MissingParentError):
        await ops.save_one(conn, PERSON, both)
    with pytest.raises(errors.MissingParentError) as batch_both:
        await ops.save_batch(conn, PERSON, [person(), both])
    assert batch_both.value.rows == [1]


async def test_an_update_pointing_at_a_key_of_the_batch_that_does_not_exist(
    db: asyncpg.Pool,
) -> None:
    saved = await ops.save_one(db, PERSON, person())
    ghost = person(created_at=saved.created_at)  # never saved
    saved.organization_person_id = ghost.id
    with pytest.raises(errors.ForeignKeyViolationError) as caught:
        await ops.update_batch(db, PERSON, [saved, ghost])
    # an update makes no new parents: the batch's own keys excuse nothing
    assert (caught.value.rows, caught.value.keys) == ([0], [saved.id])
