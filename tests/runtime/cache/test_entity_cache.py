"""The entity read cache: loads answered from it for the keys it holds and the rest in one
statement; fresh entities on every hit; forgotten by every write, delete and cascade the process
makes through the cache; transaction-aware (a unit of work sees its own writes, the shared cache
learns at COMMIT, a rollback changes nothing, a caller's own transaction bypasses it); a TTL;
fills that may predate a write are dropped."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType

import asyncpg
import pytest
import pytest_asyncio

from batchrepo import cache_entities
from batchrepo import operations as ops
from batchrepo.cache.entity_cache import EntityCache
from batchrepo.cache.key_cache import KeyCache
from batchrepo.session import Session
from batchrepo.unit_of_work import UnitOfWork
from tests.golden.kinds import CODEGEN
from tests.property.packages import import_from
from tests.runtime.builders import account, entry, people, person
from tests.runtime.conftest import CountingConnection
from tests.runtime.tables import ACCOUNT, LEDGER_ENTRY, PERSON


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _cached(ttl: float = 60.0, clock: Clock | None = None) -> KeyCache:
    cache = KeyCache()
    if clock is not None:
        cache.entities = EntityCache(clock=clock)
    cache_entities(cache, PERSON, ttl=ttl)
    return cache


async def test_held_keys_are_answered_and_the_rest_asked_in_one_statement(
    counting: CountingConnection,
) -> None:
    cache = _cached()
    session = Session(counting, cache=cache)
    first, second, third = await ops.save_batch(counting, PERSON, people(3))
    counting.statements.clear()
    assert [p.id for p in await ops.load_batch(session, PERSON, [first.id, second.id])] == [
        first.id,
        second.id,
    ]
    assert counting.statements == [PERSON.sql.select_batch]
    missing = uuid.uuid4()
    loaded = await ops.load_batch(session, PERSON, [third.id, first.id, missing, second.id])
    assert [p.id if p else None for p in loaded] == [third.id, first.id, None, second.id]
    assert counting.statements == [PERSON.sql.select_batch] * 2  # third and missing only
    assert await ops.load_one(session, PERSON, third.id) == third
    assert len(counting.statements) == 2  # from the cache
    stats = cache.entities.stats("person")
    assert (stats.hits, stats.misses) == (3, 4)
    assert stats.hit_rate == pytest.approx(3 / 7)


async def test_every_hit_is_a_new_entity_with_its_own_lists(db: asyncpg.Pool) -> None:
    cache = KeyCache()
    cache_entities(cache, LEDGER_ENTRY, ttl=60)
    session = Session(db, cache=cache)
    owner = await ops.save_one(db, PERSON, person())
    await ops.save_one(db, ACCOUNT, account(owner.id))
    (saved,) = await ops.save_batch(db, LEDGER_ENTRY, [entry(tags=["a"], payload={"k": [1]})])
    loaded = await ops.load_one(session, LEDGER_ENTRY, saved.id)
    assert loaded is not None and loaded.tags is not None
    loaded.tags.append("mutated")
    loaded.payload["k"].append(2)
    again = await ops.load_one(session, LEDGER_ENTRY, saved.id)
    assert again is not None and again is not loaded
    assert (again.tags, again.payload) == (["a"], {"k": [1]})
    assert cache.entities.stats("ledger_entry").hits == 1


async def test_writes_and_deletes_through_the_cache_are_never_read_stale(
    db: asyncpg.Pool,
) -> None:
    cache = _cached()
    session = Session(db, cache=cache, actor="t")
    first, second = await ops.save_batch(session, PERSON, people(2))
    await ops.load_batch(session, PERSON, [first.id, second.id])  # both held
    first.display_name = "renamed"
    await ops.update_batch(session, PERSON, [first], returning=False)
    await ops.delete_one(session, PERSON, second.id)
    loaded = await ops.load_batch(session, PERSON, [first.id, second.id])
    assert loaded[0] is not None and loaded[0].display_name == "renamed"
    assert loaded[1] is None
    assert cache.entities.stats("person").invalidations == 2


async def test_a_unit_of_work_sees_its_writes_and_the_cache_learns_at_commit(
    db: asyncpg.Pool,
) -> None:
    cache = _cached()
    outside = Session(db, cache=cache)
    (saved,) = await ops.save_batch(db, PERSON, people(1))
    await ops.load_one(outside, PERSON, saved.id)  # held
    async with UnitOfWork(db, actor="t", cache=cache) as uow:
        saved.display_name = "in the unit"
        await ops.update_one(uow.session, PERSON, saved)
        inside = await ops.load_one(uow.session, PERSON, saved.id)
        assert inside is not None and inside.display_name == "in the unit"
        before_commit = await ops.load_one(outside, PERSON, saved.id)
        assert before_commit is not None and before_commit.display_name != "in the unit"
    after = await ops.load_one(outside, PERSON, saved.id)
    assert after is not None and after.display_name == "in the unit"
    # a rollback teaches nothing (the row it touched is forgotten, which is always safe)
    with pytest.raises(RuntimeError):
        async with UnitOfWork(db, actor="t", cache=cache) as uow:
            saved.display_name = "rolled back"
            await ops.update_one(uow.session, PERSON, saved)
            raise RuntimeError("roll back")
    again = await ops.load_one(outside, PERSON, saved.id)
    assert again is not None and again.display_name == "in the unit"
    assert list(cache.entities.rows("person")) == [saved.id]  # held again, as committed


async def test_a_callers_own_transaction_bypasses_the_cache(db: asyncpg.Pool) -> None:
    cache = _cached()
    (saved,) = await ops.save_batch(db, PERSON, people(1))
    await ops.load_one(Session(db, cache=cache), PERSON, saved.id)
    async with db.acquire() as conn, conn.transaction():
        counting = CountingConnection(conn)
        session = Session(counting, cache=cache)
        saved.display_name = "own transaction"
        await ops.update_one(session, PERSON, saved)
        loaded = await ops.load_one(session, PERSON, saved.id)
        assert loaded is not None and loaded.display_name == "own transaction"
        assert PERSON.sql.select_one in counting.statements
    # the write in that transaction forgot the row held before it
    after = await ops.load_one(Session(db, cache=cache), PERSON, saved.id)
    assert after is not None and after.display_name == "own transaction"


async def test_rows_older_than_the_ttl_are_read_again(counting: CountingConnection) -> None:
    clock = Clock()
    cache = _cached(ttl=5.0, clock=clock)
    session = Session(counting, cache=cache)
    (saved,) = await ops.save_batch(counting, PERSON, people(1))
    await ops.load_one(session, PERSON, saved.id)
    clock.now += 4.9
    counting.statements.clear()
    await ops.load_one(session, PERSON, saved.id)
    assert counting.statements == []
    clock.now += 0.2
    await ops.load_one(session, PERSON, saved.id)
    assert counting.statements == [PERSON.sql.select_one]
    assert cache.entities.stats("person").expired == 1


def test_a_fill_that_may_predate_a_write_is_dropped() -> None:
    cache = KeyCache()
    cache_entities(cache, PERSON, ttl=60)
    since = cache.entities.mark()  # a load's statement begins
    cache.add("person", ["written"])  # another task's write commits meanwhile
    assert cache.entities.still_valid("person", ["written", "other"], since) == [False, True]
    cache.entities.clear("person")
    assert cache.entities.still_valid("person", ["other"], since) == [False]


def test_opting_in_needs_the_key_cache_and_a_positive_ttl() -> None:
    with pytest.raises(ValueError, match="person: the key cache is off"):
        cache_entities(KeyCache(disabled=["person"]), PERSON, ttl=1)
    with pytest.raises(ValueError, match="person: the entity cache TTL must be positive"):
        cache_entities(KeyCache(), PERSON, ttl=0)


@pytest.fixture(scope="module")
def foreign_keys() -> ModuleType:
    return import_from(CODEGEN.expected_dir("foreign_keys"), "foreign_keys")


@pytest.fixture(scope="module")
def plain_key() -> ModuleType:
    return import_from(CODEGEN.expected_dir("plain_key"), "plain_key")


@asynccontextmanager
async def _package_pool(
    database_url: str, package: ModuleType, schema: str
) -> AsyncIterator[asyncpg.Pool]:
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"')
        await admin.execute(f'SET search_path = "{schema}"; {package.ddl()}')
    finally:
        await admin.close()
    pool = await asyncpg.create_pool(
        database_url, min_size=1, max_size=2, server_settings={"search_path": schema}
    )
    try:
        yield pool
    finally:
        await pool.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fk_pool(database_url: str, foreign_keys: ModuleType) -> AsyncIterator[asyncpg.Pool]:
    async with _package_pool(database_url, foreign_keys, "entity_cache_fk") as pool:
        yield pool


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def plain_pool(database_url: str, plain_key: ModuleType) -> AsyncIterator[asyncpg.Pool]:
    async with _package_pool(database_url, plain_key, "entity_cache_plain") as pool:
        yield pool


async def test_an_upsert_by_a_unique_key_without_rows_back_forgets_the_table(
    plain_pool: asyncpg.Pool, plain_key: ModuleType
) -> None:
    cache = KeyCache()
    cache_entities(cache, plain_key.person.PERSON_TABLE, ttl=60)
    people = plain_key.PersonRepository(Session(plain_pool, cache=cache))
    (stored,) = await people.save_batch([plain_key.Person(email="a@x.org", display_name="old")])
    assert (await people.load(stored.id)) == stored  # held
    # found by its e-mail, the stored row keeps its id: the id given is not the row written
    again = plain_key.Person(email="a@x.org", display_name="new")
    assert await people.upsert_batch([again], on="email", returning=False) == 1
    loaded = await people.load(stored.id)
    assert loaded is not None and loaded.display_name == "new"


async def test_a_delete_evicts_the_rows_its_cascades_changed(
    fk_pool: asyncpg.Pool, foreign_keys: ModuleType
) -> None:
    fk = foreign_keys
    cache = KeyCache()
    for spec in (fk.department.DEPARTMENT_TABLE, fk.employee.EMPLOYEE_TABLE):
        cache_entities(cache, spec, ttl=60)
    session = Session(fk_pool, cache=cache)
    departments = fk.DepartmentRepository(session)
    employees = fk.EmployeeRepository(session)
    await departments.save_batch([fk.Department(id=1, name="a"), fk.Department(id=2, name="b")])
    staff = await employees.save_batch(
        [fk.Employee(id=uuid.uuid4(), name=n, department_id=d) for n, d in (("x", 1), ("y", 2))]
    )
    head = fk.Department(id=2, name="b", head_id=staff[1].id)
    await departments.update(head)
    keys = [e.id for e in staff]
    assert all(await employees.load_batch(keys))
    assert (await departments.load(2)) == head
    await departments.delete(1)  # ON DELETE CASCADE: employee x goes with it
    assert [e is None for e in await employees.load_batch(keys)] == [True, False]
    await employees.delete(staff[1].id)  # ON DELETE SET NULL: department 2 loses its head
    department = await departments.load(2)
    assert department is not None and department.head_id is None


async def test_a_unit_that_loses_track_of_its_writes_clears_the_table_at_commit(
    db: asyncpg.Pool,
) -> None:
    cache = KeyCache(max_entries=2)  # a unit's layer keeps 2 keys per table
    cache_entities(cache, PERSON, ttl=60)
    outside = Session(db, cache=cache)
    saved = await ops.save_batch(db, PERSON, people(3))
    keys = [p.id for p in saved]
    await ops.load_batch(outside, PERSON, keys)  # all three held
    async with UnitOfWork(db, actor="t", cache=cache) as uow:
        for item in saved:
            item.display_name = "changed"
        await ops.update_batch(uow.session, PERSON, saved)  # the layer keeps two of three
        inside = await ops.load_batch(uow.session, PERSON, keys)
        assert [p.display_name if p else None for p in inside] == ["changed"] * 3
    after = await ops.load_batch(outside, PERSON, keys)
    assert [p.display_name if p else None for p in after] == ["changed"] * 3
