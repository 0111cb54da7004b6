"""TypeCodecs and create_pool on real PostgreSQL: after the hook, a fresh connection's first calls
run no type introspection, for every statement of every golden package, enums and arrays of enums
included; introspection happens once per pool (per catalog), a caller's own init runs first, and
the public path serves an asyncpg without the private pieces.

Each test counts asyncpg's introspection queries with a query logger (``codec_support``).
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from types import ModuleType
from typing import Any

import asyncpg
import pytest

import batchrepo
from batchrepo.db import asyncpg_types
from batchrepo.db.codecs import RESOLVE_SQL, TypeCodecs, type_names
from tests.golden.kinds import CODEGEN
from tests.runtime.db.codec_support import (
    QueryLog,
    connect,
    create_schema,
    golden,
    statements,
)


async def _hooked(url: str, schema: str, hook: TypeCodecs, log: QueryLog, **kw: Any) -> Any:
    """A fresh connection on ``schema``, logged, after ``hook`` ran on it (as a pool would)."""
    conn = await connect(url, schema, **kw)
    log.attach(conn)
    await hook(conn)
    return conn


@pytest.mark.parametrize("case", CODEGEN.cases())
async def test_no_statement_of_a_golden_package_introspects_after_the_hook(
    database_url: str, case: str
) -> None:
    package = golden(case)
    await create_schema(database_url, f"codecs_{case}", package)
    log = QueryLog()
    conn = await _hooked(database_url, f"codecs_{case}", TypeCodecs(package), log)
    try:
        assert await log.introspections() == 1  # the hook's own, for every type at once
        await log.clear()
        for sql in statements(package):
            await conn.prepare(sql)
        assert await log.introspections() == 0
    finally:
        await conn.close()


async def test_without_the_hook_the_first_batch_call_introspects(database_url: str) -> None:
    """The baseline the hook removes (and proof that the log sees introspection)."""
    shapes = golden("shapes")
    await create_schema(database_url, "codecs_cold", shapes)
    conn = await connect(database_url, "codecs_cold")
    log = QueryLog()
    log.attach(conn)
    try:
        await shapes.WithArraysRepository(conn).load_batch([1, 2])
        assert await log.introspections() == 1
    finally:
        await conn.close()


def _with_arrays(shapes: ModuleType, key: int) -> Any:
    return shapes.WithArrays(
        id=key,
        tags=["a", None],
        codes=["x"],
        counts=[1, None],
        moods=[shapes.Mood.CALM, shapes.Mood.ON_HOLD],
        payload={"k": [1]},
        blob=b"\x00",
        day=datetime.date(2024, 2, 29),
    )


def _plain(shapes: ModuleType) -> Any:
    return shapes.Plain(
        label="one",
        amount=Decimal("1.50"),
        currency="EUR",
        mood=shapes.Mood.BUSY,
        active=True,
    )


async def test_enums_and_enum_arrays_round_trip_on_a_fresh_connection_without_introspection(
    database_url: str,
) -> None:
    shapes = golden("shapes")
    await create_schema(database_url, "codecs_enums", shapes)
    hook, log = TypeCodecs(shapes), QueryLog()
    for key in (1, 2):  # the second connection reuses what the first one fetched
        conn = await _hooked(database_url, "codecs_enums", hook, log)
        try:
            await log.clear()
            arrays, plain = shapes.WithArraysRepository(conn), shapes.PlainRepository(conn)
            saved = await arrays.save_batch([_with_arrays(shapes, key)])
            assert (await arrays.load_batch([key])) == saved
            assert saved[0].moods == [shapes.Mood.CALM, shapes.Mood.ON_HOLD]
            (row,) = await plain.save_batch([_plain(shapes)])
            assert (await plain.load_batch([row.id]))[0].mood is shapes.Mood.BUSY
            assert await log.introspections() == 0
        finally:
            await conn.close()


async def test_later_connections_only_check_the_packages_own_types(database_url: str) -> None:
    """The pool's first connection introspects; the next ones send one query, which checks the
    enum OIDs, or none at all for a package without enums."""
    shapes, plain_key = golden("shapes"), golden("plain_key")
    await create_schema(database_url, "codecs_shapes", shapes)
    await create_schema(database_url, "codecs_plain", plain_key)
    for package, schema, later in (
        (shapes, "codecs_shapes", [RESOLVE_SQL]),
        (plain_key, "codecs_plain", []),
    ):
        hook = TypeCodecs(package)
        for expected_introspections in (1, 0, 0):
            log = QueryLog()
            conn = await _hooked(database_url, schema, hook, log)
            await conn.close()
            assert await log.introspections() == expected_introspections
            if expected_introspections == 0:
                assert await log.settled() == later


async def test_the_same_enum_name_in_two_schemas_gets_codecs_for_its_own_oid(
    database_url: str,
) -> None:
    """One hook, two catalogs (as a pool whose connections reach other schemas or databases): a
    codec kept for one OID is never handed to a connection where the name means another type."""
    shapes = golden("shapes")
    await create_schema(database_url, "codecs_a", shapes)
    await create_schema(database_url, "codecs_b", shapes)
    hook = TypeCodecs(shapes)
    for schema, introspections in (
        ("codecs_a", 1),
        ("codecs_b", 1),
        ("codecs_a", 0),
        ("codecs_b", 0),
    ):
        log = QueryLog()
        conn = await _hooked(database_url, schema, hook, log)
        try:
            assert await log.introspections() == introspections
            await log.clear()
            repo = shapes.PlainRepository(conn)
            (row,) = await repo.save_batch([_plain(shapes)])
            assert (await repo.load_batch([row.id]))[0].mood is shapes.Mood.BUSY
            assert await log.introspections() == 0
        finally:
            await conn.close()


async def test_a_pool_opened_before_its_types_exist_gets_them_once_they_do(
    database_url: str,
) -> None:
    shapes = golden("shapes")
    await create_schema(database_url, "codecs_late", None)
    hook, log = TypeCodecs(shapes), QueryLog()
    early = await _hooked(database_url, "codecs_late", hook, log)  # no mood yet: no failure
    await early.close()
    await create_schema(database_url, "codecs_late", shapes)
    conn = await _hooked(database_url, "codecs_late", hook, log)
    try:
        await log.clear()
        await shapes.WithArraysRepository(conn).save_batch([_with_arrays(shapes, 1)])
        assert await log.introspections() == 0
    finally:
        await conn.close()


async def test_create_pool_gives_a_generated_repository_ready_connections_with_the_callers_init(
    database_url: str,
) -> None:
    """The caller's init runs first on each connection (its logger sees the hook's queries);
    introspection happens once for the whole pool, and never during the repository's calls."""
    shapes = golden("shapes")
    await create_schema(database_url, "codecs_pool", shapes)
    log, initialised = QueryLog(), []

    async def own_init(conn: asyncpg.Connection) -> None:
        initialised.append(conn.get_server_pid())
        log.attach(conn)

    async with batchrepo.create_pool(
        database_url,
        shapes,
        init=own_init,
        min_size=2,
        max_size=2,
        server_settings={"search_path": "codecs_pool"},
    ) as pool:
        assert len(initialised) == 2
        assert await log.introspections() == 1
        assert (await log.settled()).count(
            RESOLVE_SQL
        ) == 2  # the first resolves, the second checks
        await log.clear()
        repo = shapes.WithArraysRepository(pool)
        await repo.save_batch([_with_arrays(shapes, key) for key in (1, 2, 3)])
        async with pool.acquire() as first, pool.acquire() as second:  # both connections
            for conn in (first, second):
                loaded = await shapes.WithArraysRepository(conn).load_batch([1, 2, 3])
                assert [row.moods for row in loaded] == [
                    [shapes.Mood.CALM, shapes.Mood.ON_HOLD]
                ] * 3
        assert await log.introspections() == 0


class _SettingsWithoutRegistration:
    """asyncpg's connection settings as an asyncpg without ``register_data_types`` shows them."""

    def __init__(self, settings: Any) -> None:
        self._settings = settings

    def __getattr__(self, name: str) -> Any:
        if name == "register_data_types":
            raise AttributeError(name)
        return getattr(self._settings, name)


class _OtherAsyncpgConnection(asyncpg.Connection):
    """A real connection whose public ``get_settings()`` lacks the private registration (asyncpg
    itself reaches its settings through the protocol, so it works as usual)."""

    def get_settings(self) -> Any:
        return _SettingsWithoutRegistration(super().get_settings())


async def test_without_the_private_pieces_each_connection_introspects_in_the_hook(
    database_url: str,
) -> None:
    shapes = golden("shapes")
    await create_schema(database_url, "codecs_public", shapes)
    hook, log = TypeCodecs(shapes), QueryLog()
    for _ in range(2):
        conn = await _hooked(
            database_url, "codecs_public", hook, log, connection_class=_OtherAsyncpgConnection
        )
        try:
            assert not asyncpg_types.available(conn)
            assert await log.introspections() == 1  # in the hook, on every connection
            await log.clear()
            for sql in statements(shapes):
                await conn.prepare(sql)
            assert await log.introspections() == 0
        finally:
            await conn.close()


async def test_the_private_pieces_are_there_in_the_installed_asyncpg(database_url: str) -> None:
    """When this fails, asyncpg moved them: batchrepo still works (the public path), but pays the
    introspection on every connection; adapt batchrepo.db.asyncpg_types."""
    conn = await asyncpg.connect(database_url)
    try:
        assert asyncpg_types.available(conn)
    finally:
        await conn.close()


def test_type_names_come_from_a_generated_package_or_a_collection() -> None:
    shapes = golden("shapes")
    assert type_names(shapes) == shapes.PG_TYPES
    assert '"mood"[]' in shapes.PG_TYPES and "uuid[]" in shapes.PG_TYPES
    assert type_names(["uuid[]", "int4[]"]) == ("uuid[]", "int4[]")


@pytest.mark.parametrize(
    ("types", "message"),
    [
        pytest.param(uuid, "package 'uuid' has no PG_TYPES", id="module-without-pg-types"),
        pytest.param("uuid[]", r"not one string: 'uuid\[\]'", id="one-string"),
        pytest.param(["uuid[]", ""], r"non-empty strings, not \[''\]", id="empty-name"),
        pytest.param([1], r"non-empty strings, not \[1\]", id="not-a-string"),
    ],
)
def test_what_is_not_type_names_is_refused_naming_it(types: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        TypeCodecs(types)


async def test_a_type_name_postgresql_cannot_read_fails_the_hook_naming_the_names(
    database_url: str,
) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        with pytest.raises(ValueError, match=r"cannot read one of the type names \['int4\('\]"):
            await TypeCodecs(["int4("])(conn)
    finally:
        await conn.close()
