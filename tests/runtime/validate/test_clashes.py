"""validate_batch reports the rows that clash with stored rows, on the primary key (inserts) and
on every unique key (every mode), one probe per key, for the rows the key cache cannot answer;
a write's own checks do not send these probes (its statement finds the clash)."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from batchrepo import errors
from batchrepo import operations as ops
from batchrepo.cache.key_cache import shared_cache
from batchrepo.unit_of_work import UnitOfWork
from tests.runtime.builders import people, person
from tests.runtime.conftest import CountingConnection
from tests.runtime.tables import PERSON

PK_PROBE = PERSON.uniques[0].probe_sql
EXTERNAL_PROBE = PERSON.uniques[1].probe_sql


async def test_rows_clashing_on_any_key_are_reported_per_row(
    counting: CountingConnection,
) -> None:
    stored = await ops.save_batch(counting, PERSON, people(2, external_identifier=None))
    await ops.update_one(
        counting, PERSON, person(id=stored[1].id, display_name="b", external_identifier="X-1")
    )
    await ops.update_one(
        counting, PERSON, person(id=stored[0].id, display_name="a", external_identifier="X-0")
    )
    batch = [
        person(display_name="new"),
        person(id=stored[0].id),  # primary key taken
        person(external_identifier="X-1"),  # unique key taken
        person(id=stored[1].id, external_identifier="X-0"),  # both
        person(external_identifier="X-2"),
    ]
    counting.statements.clear()
    report = await ops.validate_batch(counting, PERSON, batch)
    assert [(p.row, p.field, p.code) for p in report.problems] == [
        (1, "id", "key_exists"),
        (2, "external_identifier", "key_exists"),
        (3, "id", "key_exists"),
        (3, "external_identifier", "key_exists"),
    ]
    assert report.problems[2].message == (
        f"person.id row 3: a row with (id) = {stored[1].id} already exists "
        "(primary key person_pkey)"
    )
    assert report.problems[1].message == (
        "person.external_identifier row 2: a row with (external_identifier) = 'X-1' already "
        "exists (unique key person_external_identifier_key)"
    )
    assert sorted(counting.statements) == sorted([PK_PROBE, EXTERNAL_PROBE])


async def test_an_update_clashes_only_with_other_rows(counting: CountingConnection) -> None:
    first, second, _third = await ops.save_batch(
        counting, PERSON, [person(external_identifier=x) for x in ("A", "B", "C")]
    )
    keeps = person(id=first.id, display_name="renamed", external_identifier="A")
    takes = person(id=second.id, external_identifier="C")
    counting.statements.clear()
    report = await ops.validate_batch(counting, PERSON, [keeps, takes], "update")
    assert [(p.row, p.field) for p in report.problems] == [(1, "external_identifier")]
    assert counting.statements == [EXTERNAL_PROBE]  # updates address rows by primary key
    # what validate_batch reported is what the write meets
    clean = await ops.validate_batch(counting, PERSON, [keeps], "update")
    assert clean.ok
    assert (await ops.update_batch(counting, PERSON, [keeps]))[0].display_name == "renamed"


async def test_rows_with_field_problems_or_null_keys_are_not_asked(
    counting: CountingConnection,
) -> None:
    batch = people(2, external_identifier=None)
    batch[0].display_name = ""  # a field problem: not asked
    report = await ops.validate_batch(counting, PERSON, batch)
    assert [p.code for p in report.problems] == ["too_short"]
    assert len(counting.statements) == 1  # the primary key of row 1; no unique key asked
    record = await counting.conn.fetch(counting.statements[0], [batch[1].id])
    assert record == []


async def test_the_key_cache_spares_known_absent_keys_and_forgets_refuted_ones(
    db: asyncpg.Pool,
) -> None:
    cache = shared_cache(db)
    saved = await ops.save_one(db, PERSON, person())
    ghost = uuid.uuid4()
    cache.add("person", [ghost])  # stale: never stored
    report = await ops.validate_batch(db, PERSON, [person(id=saved.id), person(id=ghost)])
    assert [(p.row, p.code) for p in report.problems] == [(0, "key_exists")]
    assert cache.lookup("person", [saved.id, ghost]) == [True, None]
    async with db.acquire() as conn:
        counting = CountingConnection(conn)
        async with UnitOfWork(counting, actor="t") as uow:
            await ops.delete_one(uow.session, PERSON, saved.id)
            counting.statements.clear()
            # deleted in this unit: known absent, not asked
            report = await ops.validate_batch(uow.session, PERSON, [person(id=saved.id)])
            assert report.ok and counting.statements == []


async def test_a_missing_parent_error_names_the_parent_keys_first(db: asyncpg.Pool) -> None:
    ghost, other = uuid.uuid4(), uuid.uuid4()
    batch = [
        person(),
        person(organization_person_id=ghost),
        person(organization_person_id=ghost),
        person(organization_person_id=other),
    ]
    with pytest.raises(errors.MissingParentError) as caught:
        await ops.save_batch(db, PERSON, batch)
    error = caught.value
    assert error.parents == [f"person (id) = {ghost}", f"person (id) = {other}"]
    assert str(error).startswith(
        f"person: referenced parent rows do not exist: person (id) = {ghost}, "
        f"person (id) = {other}; constraint person_organization_fkey"
    )
    assert error.rows == [1, 2, 3]
    assert error.with_row_offset(10).parents == error.parents
