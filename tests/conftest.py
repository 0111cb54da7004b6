"""Shared fixtures: one real PostgreSQL per test session (per xdist worker), a fresh database per
test module, dropped afterwards. ``DATABASE_URL`` selects an existing server instead.

Test ids are explicit: a parameter that is not a short plain literal (a name, a number) needs an
id of its own (``ids=`` or ``pytest.param(..., id=...)``), so ids read well and are the same in
every process, which ``pytest -n`` (xdist) requires of its workers' collections.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
import pytest_asyncio
from batchrepo_codegen import devdb

#: A parameter value that may be its own id: short, printable, no surrounding blanks.
_PLAIN_ID = re.compile(r"[^\s]([^\x00-\x1f\x7f]{0,38}[^\s])?")


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """Refuse to invent an id for a parameter that has none (``value4``, a message, a repr)."""
    if val is None or isinstance(val, bool | int | float):
        return None
    if isinstance(val, str) and _PLAIN_ID.fullmatch(val):
        return None
    if callable(val) and getattr(val, "__name__", "<lambda>") != "<lambda>":
        return None  # a named function or class: its name is the id
    raise pytest.UsageError(
        f"parametrize({argname!r}): {val!r:.60} is not a short plain literal, so it needs an "
        "explicit id (ids=... or pytest.param(..., id=...))"
    )


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    with devdb.server() as url:
        yield url


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def database_url(pg_admin_url: str, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A fresh, empty database for the test module."""
    name = devdb.unique_database_name(request.module.__name__.rsplit(".", 1)[-1])
    url = await devdb.create_database(pg_admin_url, name)
    try:
        yield url
    finally:
        await devdb.drop_database(pg_admin_url, name)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A small pool on the module's database."""
    p = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    try:
        yield p
    finally:
        await p.close()
