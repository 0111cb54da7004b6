"""No cold start: the codecs of a package's types ready on every connection before its first call.

A fresh asyncpg connection knows the codecs of scalar built-in types only. The first statement
that binds or returns an array (``uuid[]``, ``int4[]``: every batch statement does) or an enum
makes asyncpg stop and ask the catalog: three extra round trips (JIT off, a recursive query over
``pg_type``, JIT back on) and the planning of that query on the backend's cold catalog caches,
10-20 ms where the statement itself takes 1-2 ms. Each new connection pays it again, and again
for each statement that brings a type the connection has not met. Measured with
``benchmarks/cold_start.py`` (medians over fresh connections, docs/design.md "No cold start").

:class:`TypeCodecs` is an asyncpg ``init`` hook that does this work once per pool instead:

* on the pool's first connection it resolves the package's type names (``PG_TYPES`` of a
  generated package: every type its statements bind or return) to OIDs in one query, and fetches
  asyncpg's introspection of all of them at once;
* on every later connection it hands those records to asyncpg (no round trip), after one query
  that checks the OIDs of the package's own types (enums) are the ones it fetched them for: a
  pool may reach another database, a schema on another ``search_path``, or a type recreated by a
  migration, and a codec registered for the wrong OID would decode the wrong type. Built-in types
  (OIDs below 10000, fixed in PostgreSQL's source) need no check, so a package without enums
  costs nothing per connection. Records are kept per set of OIDs, so either catalog is served.

Reusing the records needs two private asyncpg names, isolated in :mod:`.asyncpg_types`; when
they are missing, each connection instead prepares one statement that names every type, which
makes asyncpg introspect them all in one go (the public path: the same work as before, but in the
hook and once per connection rather than in the first calls).

A name PostgreSQL does not know (an enum whose migration has not run yet) is left out and looked
up again on the next connection, so a pool opened before its schema exists still works, and gets
the codecs once it does. The rest of a fresh connection's first call is the server's: parsing and
planning the statement on a backend that has not yet loaded the table's catalog entries.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from types import ModuleType
from typing import Any

import asyncpg

from . import asyncpg_types

#: An asyncpg ``init`` hook: called with each new connection before the pool lends it. (asyncpg's
#: classes are generic in its stubs only, hence the quotes.)
InitHook = Callable[["asyncpg.Connection[Any]"], Awaitable[None]]

#: PostgreSQL's ``FirstGenbkiObjectId``: OIDs below it are assigned in the server's source
#: (``pg_type.dat``), the same in every database of every cluster.
FIRST_VARIABLE_OID = 10_000

#: Type names to OIDs and to the server's own spelling (quoted where needed), in the order asked.
#: ``to_regtype`` answers NULL for an unknown type. Bound and returned as ``text[]`` and ``oid``,
#: whose codecs asyncpg has built in, so this query needs no introspection itself.
RESOLVE_SQL = (
    "SELECT to_regtype(u.name)::oid, format_type(to_regtype(u.name), NULL) "
    "FROM unnest($1::text[]) WITH ORDINALITY AS u(name, ord) ORDER BY u.ord"
)

#: What a name resolved to on one connection: OID and spelling, or None for an unknown type.
_Resolved = tuple[int, str] | None


class TypeCodecs:
    """An asyncpg ``init`` hook that gets the codecs of ``types`` ready on each new connection.

    ``types``: a generated package (its ``PG_TYPES``) or PostgreSQL type names as
    ``to_regtype()`` reads them (``uuid[]``, ``"person_type"[]``). ``init``: the caller's own
    hook, run first (so a codec it sets with ``set_type_codec`` is the one arrays of that type
    are built on). One instance serves any number of connections and pools; create it once::

        codecs = batchrepo.TypeCodecs(ledger, init=my_init)
        pool = await asyncpg.create_pool(dsn, init=codecs)
    """

    def __init__(self, types: ModuleType | Iterable[str], *, init: InitHook | None = None) -> None:
        self.names: tuple[str, ...] = type_names(types)
        self._init = init
        # Built-in names, resolved on the first connection: name -> (oid, spelling).
        self._fixed: dict[str, tuple[int, str]] | None = None
        # Names resolved on every connection: user-defined or not found yet.
        self._checked: tuple[str, ...] = self.names
        # asyncpg's introspection records, by the OIDs the checked names had (0: unknown).
        self._records: dict[tuple[int, ...], tuple[object, ...]] = {}

    async def __call__(self, conn: asyncpg.Connection[Any]) -> None:
        if self._init is not None:
            await self._init(conn)
        if not self.names:
            return
        checked = await _resolve(conn, self._checked) if self._checked else {}
        if self._fixed is None:
            self._fixed = {
                name: found
                for name, found in checked.items()
                if found is not None and found[0] < FIRST_VARIABLE_OID
            }
            self._checked = tuple(name for name in self.names if name not in self._fixed)
        key = tuple(found[0] if found else 0 for found in map(checked.get, self._checked))
        types = {**self._fixed, **{name: found for name, found in checked.items() if found}}
        if not asyncpg_types.available(conn):
            await _introspect_publicly(conn, [spelling for _, spelling in types.values()])
            return
        records = self._records.get(key)
        if records is None:
            records = await asyncpg_types.introspect(conn, sorted({o for o, _ in types.values()}))
            self._records[key] = records
        asyncpg_types.register(conn, records)

    def __repr__(self) -> str:
        return f"TypeCodecs({len(self.names)} types, init={self._init!r})"


def create_pool(
    dsn: str | None,
    types: ModuleType | Iterable[str],
    *,
    init: InitHook | None = None,
    **pool_kwargs: Any,
) -> asyncpg.Pool[asyncpg.Record]:
    """``asyncpg.create_pool(dsn, **pool_kwargs)`` whose connections have the codecs of
    ``types`` (a generated package, or type names) ready before they are lent: the first batch
    call on a fresh connection runs no type introspection. ``init`` is the caller's own hook,
    run first. Await it or use it in ``async with``, as asyncpg's own::

        pool = await batchrepo.create_pool(dsn, ledger, min_size=2, max_size=10)
    """
    return asyncpg.create_pool(dsn, init=TypeCodecs(types, init=init), **pool_kwargs)


def type_names(types: ModuleType | Iterable[str]) -> tuple[str, ...]:
    """The type names of a generated package (``PG_TYPES``) or of an iterable of names."""
    if isinstance(types, ModuleType):
        if not hasattr(types, "PG_TYPES"):
            raise TypeError(
                f"package {types.__name__!r} has no PG_TYPES (the types its statements use): "
                "regenerate it with this batchrepo (batchrepo generate), or pass type names"
            )
        types = types.PG_TYPES
    if isinstance(types, str | bytes):
        raise TypeError(f"type names must be a collection of names, not one string: {types!r}")
    names = tuple(types)
    if bad := [name for name in names if not isinstance(name, str) or not name.strip()]:
        raise TypeError(f"type names must be non-empty strings, not {bad!r}")
    return names


async def _resolve(conn: asyncpg.Connection[Any], names: Sequence[str]) -> dict[str, _Resolved]:
    try:
        rows = await conn.fetch(RESOLVE_SQL, list(names))
    except asyncpg.PostgresSyntaxError as exc:
        raise ValueError(
            f"PostgreSQL cannot read one of the type names {list(names)!r}: {exc}"
        ) from exc
    return {
        name: (row[0], row[1]) if row[0] is not None else None
        for name, row in zip(names, rows, strict=True)
    }


async def _introspect_publicly(conn: asyncpg.Connection[Any], spellings: Sequence[str]) -> None:
    """The public path: preparing one statement that binds every type makes asyncpg introspect
    them all in one go and keep their codecs on ``conn``. The spellings are the server's own
    (``format_type``), so they are safe to write into the statement."""
    if spellings:
        await conn.prepare("SELECT " + ", ".join(f"${n}::{s}" for n, s in enumerate(spellings, 1)))
