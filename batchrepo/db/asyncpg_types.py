"""The two private pieces of asyncpg that let type introspection run once per pool.

asyncpg builds the codec of an array or enum type from a catalog query the first time a
statement on a connection binds or returns one, and keeps it on that connection only: every new
connection asks again (``MagicStack/asyncpg`` issues 530, 1206 and 1242 ask for a way to share
the answer; there is none in the public API). The answer is plain data, valid for every
connection to the same catalog, so :mod:`batchrepo.db.codecs` fetches it once and hands it to
each new connection. That needs two names asyncpg does not document, both used exactly as asyncpg
uses them itself after its own introspection (``Connection._get_statement``):

* ``Connection._introspect_types(oids, timeout)``: asyncpg's catalog query for those types and
  what they are built from (element types, enum kinds), with JIT switched off around it as asyncpg
  does, returning ``(records, statement)``;
* ``ConnectionSettings.register_data_types(records)`` (the settings come from the public
  ``Connection.get_settings()``): the codecs built from those records, skipping types the
  connection already has a codec for (the caller's own ``set_type_codec`` stays in charge).

This module is the only place batchrepo touches them, and looks them up when called:
:func:`available` says whether this asyncpg still has both, and when it does not,
:mod:`batchrepo.db.codecs` takes the public path (one prepared statement naming every type, which
makes asyncpg introspect them all at once on each connection). Tested against the installed
asyncpg in ``tests/runtime/db/test_codecs.py``, the fallback with a connection class that lacks
the private method.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg


def available(conn: asyncpg.Connection[Any]) -> bool:
    """Whether ``conn`` offers both private pieces this module relies on."""
    settings = conn.get_settings()
    return callable(getattr(conn, "_introspect_types", None)) and callable(
        getattr(settings, "register_data_types", None)
    )


async def introspect(conn: asyncpg.Connection[Any], oids: Sequence[int]) -> tuple[object, ...]:
    """asyncpg's own introspection records of ``oids`` (and of the types they are built from),
    fetched on ``conn``; the codecs of ``conn`` are not touched. Check :func:`available` first."""
    records, _statement = await conn._introspect_types(list(oids), None)  # type: ignore[attr-defined]
    return tuple(records)


def register(conn: asyncpg.Connection[Any], records: Sequence[object]) -> None:
    """Build the codecs of ``records`` (from :func:`introspect`, on any connection to the same
    catalog) on ``conn``, as asyncpg does after introspecting them itself. No round trip."""
    conn.get_settings().register_data_types(records)
