"""Foreign keys' ``on_update`` actions and ``index: false``, on the golden ``knobs`` package.

``badge.holder`` refers to ``person (code, region)``, a unique key an update can change, with
ON UPDATE CASCADE: the database rewrites the badges, so the entity cache must not serve the
badges it held (outside a unit of work, and inside one before and after COMMIT).
``loans.loan_owner`` says ``index: false``: no index on ``loans.owner_id``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from batchrepo import cache_entities
from batchrepo.cache.key_cache import KeyCache
from batchrepo.session import Session
from batchrepo.unit_of_work import UnitOfWork
from tests.golden.kinds import CODEGEN
from tests.property.packages import import_from
from tests.runtime.conftest import audited_schema_pool

SCHEMA = "fk_updates"


@pytest.fixture(scope="module")
def knobs() -> ModuleType:
    return import_from(CODEGEN.expected_dir("knobs"), "knobs")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def knobs_pool(database_url: str, knobs: ModuleType) -> AsyncIterator[asyncpg.Pool]:
    # audited_schema_pool only runs the package's DDL in a schema of its own
    async with audited_schema_pool(database_url, knobs, SCHEMA) as pool:
        yield pool


async def _held_badge(
    knobs: ModuleType, pool: asyncpg.Pool, cache: KeyCache, badge_id: int
) -> tuple[Any, Any]:
    """A person and a badge referring to it by code, the badge loaded into the entity cache."""
    session = Session(pool, cache=cache)
    person = await knobs.PersonRepository(session).save(
        knobs.Person(code=uuid.uuid4().hex[:10], region="GB")
    )
    badges = knobs.BadgeRepository(session)
    await badges.save(
        knobs.Badge(id=badge_id, person_code=person.code, person_region="GB", label="b")
    )
    held = await badges.load(badge_id)
    assert held is not None and held.person_code == person.code
    assert cache.entities.size("badge") == 1
    return person, badges


def _cache(knobs: ModuleType) -> KeyCache:
    cache = KeyCache()
    for spec in (knobs.person.PERSON_TABLE, knobs.badge.BADGE_TABLE):
        cache_entities(cache, spec, ttl=60)
    return cache


@pytest.mark.parametrize("batch", [False, True], ids=["update", "update_batch"])
async def test_a_parent_key_update_is_not_served_stale_from_the_cache(
    knobs_pool: asyncpg.Pool, knobs: ModuleType, batch: bool
) -> None:
    cache = _cache(knobs)
    person, badges = await _held_badge(knobs, knobs_pool, cache, 1 + batch)
    person.code = uuid.uuid4().hex[:10]
    people = knobs.PersonRepository(Session(knobs_pool, cache=cache))
    await (people.update_batch([person]) if batch else people.update(person))
    badge = await badges.load(1 + batch)
    assert badge is not None and badge.person_code == person.code  # ON UPDATE CASCADE


async def test_inside_a_unit_of_work_and_after_its_commit(
    knobs_pool: asyncpg.Pool, knobs: ModuleType
) -> None:
    cache = _cache(knobs)
    person, badges = await _held_badge(knobs, knobs_pool, cache, 10)
    person.code = uuid.uuid4().hex[:10]
    async with UnitOfWork(knobs_pool, actor="t", cache=cache) as uow:
        await knobs.PersonRepository(uow.session).update(person)
        inside = await knobs.BadgeRepository(uow.session).load(10)
        assert inside is not None and inside.person_code == person.code
    after = await badges.load(10)
    assert after is not None and after.person_code == person.code


async def test_index_false_leaves_the_foreign_key_without_an_index(
    knobs_pool: asyncpg.Pool,
) -> None:
    indexed = await knobs_pool.fetch(
        "SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition"
        " FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid"
        " WHERE i.indrelid = $1::regclass",
        f"{SCHEMA}.loans",
    )
    assert [r["name"] for r in indexed] == ["loans_pkey"]
