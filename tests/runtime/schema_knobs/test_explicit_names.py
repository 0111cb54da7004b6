"""Constraints named by the schema (``primary_key_constraint``, a unique key's and a foreign
key's ``constraint:``) are reported by those names, as derived names are: the runtime finds the
key a violation or a probe is about by the spec's constraint name.

Driven on the golden ``knobs`` package (``pk_person``, ``uq_person_code``, ``fk_loan_owner``).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from types import ModuleType

import asyncpg
import pytest
import pytest_asyncio

from batchrepo import errors
from tests.golden.kinds import CODEGEN
from tests.property.packages import import_from
from tests.runtime.conftest import audited_schema_pool


@pytest.fixture(scope="module")
def knobs() -> ModuleType:
    return import_from(CODEGEN.expected_dir("knobs"), "knobs")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def knobs_pool(database_url: str, knobs: ModuleType) -> AsyncIterator[asyncpg.Pool]:
    # audited_schema_pool only runs the package's DDL in a schema of its own
    async with audited_schema_pool(database_url, knobs, "explicit_names") as pool:
        yield pool


def _person(knobs: ModuleType, code: str) -> object:
    return knobs.Person(code=code, region="GB")


async def test_the_catalog_holds_the_explicit_names(knobs_pool: asyncpg.Pool) -> None:
    rows = await knobs_pool.fetch(
        "SELECT conname FROM pg_constraint WHERE connamespace = 'explicit_names'::regnamespace"
    )
    assert {"pk_person", "uq_person_code", "fk_loan_owner"} <= {r["conname"] for r in rows}


@pytest.mark.parametrize("batch", [False, True], ids=["save", "save_batch"])
async def test_a_taken_unique_key_is_reported_by_its_explicit_name(
    knobs_pool: asyncpg.Pool, knobs: ModuleType, batch: bool
) -> None:
    code = uuid.uuid4().hex[:10]
    people = knobs.PersonRepository(knobs_pool)
    await people.save(_person(knobs, code))
    clash = _person(knobs, code)
    with pytest.raises(errors.UniqueViolationError) as caught:
        if batch:
            await people.save_batch([_person(knobs, uuid.uuid4().hex[:10]), clash])
        else:
            await people.save(clash)
    assert caught.value.constraint == "uq_person_code"
    assert caught.value.rows == ([1] if batch else [0])


async def test_a_taken_primary_key_is_reported_by_its_explicit_name(
    knobs_pool: asyncpg.Pool, knobs: ModuleType
) -> None:
    people = knobs.PersonRepository(knobs_pool)
    saved = await people.save(_person(knobs, uuid.uuid4().hex[:10]))
    again = knobs.Person(id=saved.id, code=uuid.uuid4().hex[:10], region="GB")
    with pytest.raises(errors.UniqueViolationError) as caught:
        await people.save_batch([again])
    assert caught.value.constraint == "pk_person"


async def test_a_missing_parent_is_reported_by_the_foreign_keys_explicit_name(
    knobs_pool: asyncpg.Pool, knobs: ModuleType
) -> None:
    orphan = knobs.Loan(owner_id=uuid.uuid4(), amount=Decimal("1.00"))
    with pytest.raises(errors.MissingParentError) as caught:
        await knobs.LoanRepository(knobs_pool).save_batch([orphan])
    assert (caught.value.constraint, caught.value.rows) == ("fk_loan_owner", [0])
