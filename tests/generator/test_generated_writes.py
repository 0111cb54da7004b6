"""Generated statements against a real PostgreSQL, beyond the one-row round trip of
``tests/golden/test_codegen_database``: array columns of every kind round-trip exactly through batch
and single-row writes alike (empty, NULL, NULL elements, unicode, numeric, enum and bytea arrays), a
None element in an array without ``nullable_elements`` is refused by validation and by the
database's CHECK alike, a server-default column keeps its stored value on update (None) and on
upsert, and the upsert of a table whose only non-key column has a server default still returns its
rows.
"""

from __future__ import annotations

import datetime
import importlib
import sys
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from types import ModuleType
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from batchrepo.errors import ValidationError
from tests.golden.kinds import CODEGEN

CASES = ("arrays_and_json", "plain_key", "short_names")
STORED = datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
GIVEN = datetime.datetime(2022, 6, 7, 8, 9, 10, tzinfo=datetime.UTC)


@pytest.fixture(scope="module")
def golden() -> Iterator[dict[str, ModuleType]]:
    paths = [str(CODEGEN.expected_dir(case)) for case in CASES]
    sys.path[:0] = paths
    try:
        yield {case: importlib.import_module(case) for case in CASES}
    finally:
        for path in paths:
            sys.path.remove(path)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def conn(
    database_url: str, golden: dict[str, ModuleType]
) -> AsyncIterator[asyncpg.Connection]:
    """One connection; every case's DDL in the public schema (their names do not clash)."""
    connection = await asyncpg.connect(database_url)
    try:
        for package in golden.values():
            await connection.execute(package.ddl())
        yield connection
    finally:
        await connection.close()


def _documents(package: ModuleType, first_id: int) -> list[Any]:
    colour = package.Colour
    shapes: list[dict[str, Any]] = [
        {"tags": [], "counts": []},
        {
            "tags": ["ab", None, "ünï", "日本語", "🙂🙂"],
            "scores": [Decimal("1.50"), None, Decimal("100.00"), Decimal("0.01")],
            "counts": [2**62, -1, 0],
            "colours": [colour.RED, None, colour.BLUE],
            "blobs": [b"", b"\x00\xff\x00", None, "é".encode()],
        },
        {"tags": [None], "scores": [None], "counts": [5, 5], "colours": [None], "blobs": [None]},
        {"tags": ["a'b", 'q"q', "\\x", "a\nb"], "scores": [], "counts": [1], "colours": []},
        {"tags": ["xxxxxxxx"], "blobs": [], "counts": [-(2**63)]},
    ]
    documents = []
    for i in range(40):  # many rows, so elements must find their own row among the others
        values = {"scores": None, "colours": None, "blobs": None} | shapes[i % len(shapes)]
        body = {"n": i, "list": [1, None, "ü"]}
        documents.append(package.Document(id=first_id + i, body=body, meta=None, **values))
    return documents


def _arrays(document: Any) -> tuple[Any, ...]:
    """The array columns of a document, exactly: repr shows numeric scale and element types."""
    colours = document.colours
    return (
        *(repr(getattr(document, name)) for name in ("tags", "scores", "counts", "blobs")),
        None if colours is None else [None if c is None else (type(c), c.value) for c in colours],
    )


async def test_arrays_round_trip_exactly_single_and_batch(
    conn: asyncpg.Connection, golden: dict[str, ModuleType]
) -> None:
    package = golden["arrays_and_json"]
    repository = package.DocumentRepository(conn)
    batch = _documents(package, 1)
    single = _documents(package, 1001)
    saved_batch = await repository.save_batch(batch)
    saved_single = [await repository.save(d) for d in single]
    assert list(map(_arrays, saved_batch)) == list(map(_arrays, saved_single))
    assert saved_batch == batch  # numeric(5,2) scale: Decimal("1.50") == Decimal("1.5")
    loaded = await repository.load_batch([d.id for d in batch + single])
    assert list(map(_arrays, loaded)) == list(map(_arrays, saved_batch + saved_single))

    # update and upsert rewrite every array: each row takes the shape of its neighbour
    def shifted(documents: list[Any]) -> list[Any]:
        fields = ("tags", "scores", "counts", "colours", "blobs")
        values = [[getattr(d, f) for f in fields] for d in documents]
        for d, row in zip(documents, values[1:] + values[:1], strict=True):
            for f, v in zip(fields, row, strict=True):
                setattr(d, f, v)
        return documents

    updated_batch = await repository.update_batch(shifted(saved_batch))
    updated_single = [await repository.update(d) for d in shifted(saved_single)]
    assert list(map(_arrays, updated_batch)) == list(map(_arrays, updated_single))
    upserted_batch = await repository.upsert_batch(
        shifted(updated_batch) + _documents(package, 501)
    )
    upserted_single = [
        await repository.upsert(d) for d in shifted(updated_single) + _documents(package, 1501)
    ]
    assert list(map(_arrays, upserted_batch)) == list(map(_arrays, upserted_single))
    stored = await conn.fetch(
        "SELECT a.tags, a.scores, a.counts, a.colours, a.blobs, b.tags, b.scores, b.counts, "
        "b.colours, b.blobs FROM document a JOIN document b ON b.id = a.id + 1000"
    )
    assert len(stored) == 80
    assert all(tuple(row[:5]) == tuple(row[5:]) for row in stored)


@pytest.mark.parametrize("size", [1, 3, 40], ids=["single", "small-batch", "batch"])
async def test_a_none_element_is_refused_where_elements_are_not_nullable(
    conn: asyncpg.Connection, golden: dict[str, ModuleType], size: int
) -> None:
    """``counts`` (bigint[]) has no ``nullable_elements``: its entity field is ``list[int]`` and
    a None element is reported with row, field and element index before any SQL; 40 rows take
    validation's whole-column path, fewer its row-by-row walk."""
    package = golden["arrays_and_json"]
    repository = package.DocumentRepository(conn)
    first_id = 7000 + 100 * size
    documents = [
        package.Document(id=first_id + i, tags=[None], counts=[1, 2], body={}) for i in range(size)
    ]
    bad = size // 2
    documents[bad].counts = [1, None, 3]  # list[int]: mypy would refuse it in typed code
    with pytest.raises(ValidationError) as caught:
        if size == 1:
            await repository.save(documents[0])
        else:
            await repository.save_batch(documents)
    problems = [(p.row, p.field, p.code, p.message) for p in caught.value.report.problems]
    assert problems == [
        (bad, "counts", "element_null", f"document.counts row {bad} element 1: may not be None")
    ]
    assert caught.value.rows == [bad]
    assert await repository.load_batch([d.id for d in documents]) == [None] * size


async def test_the_database_refuses_a_none_element_where_elements_are_not_nullable(
    conn: asyncpg.Connection,
) -> None:
    """The DDL agrees with validation: a raw insert of a NULL element breaks the CHECK, while
    NULL elements of a ``nullable_elements`` column and a NULL array itself are accepted."""
    insert = (
        'INSERT INTO "document" ("id", "tags", "counts", "colours", "body") '
        "VALUES ($1, $2::text[], $3::int8[], $4::colour[], '{}')"
    )
    async with conn.transaction():
        with pytest.raises(asyncpg.CheckViolationError) as caught:
            await conn.execute(insert, 8001, ["ok"], [1, None], None)
        assert caught.value.constraint_name == "document_counts_elements_check"
    async with conn.transaction():
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(insert, 8002, ["ok"], [None], None)
    await conn.execute(insert, 8003, [None, "ok"], [], [None, "red"])
    assert await conn.execute('DELETE FROM "document" WHERE "id" = 8003') == "DELETE 1"


@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
async def test_server_default_is_kept_on_update_and_upsert(
    conn: asyncpg.Connection, golden: dict[str, ModuleType], batch: bool
) -> None:
    package = golden["plain_key"]
    repository = package.PersonRepository(conn)
    tag = "b" if batch else "s"
    people = [
        package.Person(email=f"{tag}{i}@example.org", display_name=f"p{i}", created_at=STORED)
        for i in range(3)
    ]
    saved = await repository.save_batch(people)
    saved[0].created_at = None  # keeps the stored value
    saved[1].created_at = GIVEN  # replaces it
    saved[2].display_name = "renamed"
    if batch:
        updated = await repository.update_batch(saved)
    else:
        updated = [await repository.update(p) for p in saved]
    assert [p.created_at for p in updated] == [STORED, GIVEN, STORED]
    assert updated[2].display_name == "renamed"
    for p in updated:
        p.created_at = None if p is updated[0] else datetime.datetime.now(datetime.UTC)
        p.nickname = "upserted"
    new = package.Person(email=f"{tag}new@example.org", display_name="new")
    if batch:
        upserted = await repository.upsert_batch([*updated, new])
    else:
        upserted = [await repository.upsert(p) for p in [*updated, new]]
    assert [p.created_at for p in upserted[:3]] == [STORED, GIVEN, STORED]  # never on conflict
    assert [p.nickname for p in upserted] == ["upserted"] * 3 + [None]
    assert upserted[3].created_at is not None  # the new row took the default


async def test_upsert_of_a_table_with_nothing_but_a_server_default_to_update(
    conn: asyncpg.Connection, golden: dict[str, ModuleType]
) -> None:
    package = golden["short_names"]
    repository = package.TRepository(conn)
    saved = await repository.save_batch([package.T(id="a", created_at=STORED)])
    assert [t.created_at for t in saved] == [STORED]
    upserted = await repository.upsert_batch(
        [package.T(id="a", created_at=GIVEN), package.T(id="b")]
    )
    assert [t.id for t in upserted] == ["a", "b"]
    assert upserted[0].created_at == STORED and upserted[1].created_at is not None
    assert (await repository.upsert(package.T(id="a"))).created_at == STORED
    assert (await repository.update(package.T(id="a"))).created_at == STORED
