"""The methods of a generated repository class: one line each, delegating to the runtime
contract's operations (``_rt.save_batch(...)``, :mod:`batchrepo.contract`) with the module's
``TableSpec`` constant.

Which methods exist follows ``docs/generated-api.md``: no update when every column is a key
column, no upsert for identity keys, audited or all-key tables, one ``load_batch_by_<unique>``
per unique key and one ``load_grouped_by_<fk>`` per foreign key. The deletes of an audited
table take the version(s) the caller read. The chunked writes take any iterable or async
iterable; the streamed loads (``stream_all``, ``load_stream``) return async iterators, so their
methods are plain ``def`` returning the runtime's iterator (``awaited=False``). Both take a
``progress`` callback, called after each chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

from batchrepo.chunks import DEFAULT_CHUNK_SIZE

from ..model import GenerationError, Table
from ..schema.names import python_name
from .pycode import Scope


@dataclass(frozen=True, slots=True)
class Overload:
    """One ``@typing.overload`` signature printed before a method."""

    decorator: str
    params: tuple[str, ...]
    returns: str


@dataclass(frozen=True, slots=True)
class Method:
    name: str
    params: tuple[str, ...]
    """After ``self``: ``"items: Sequence[Person]"``, ``"*"``, ``"atomic: bool = True"``."""
    returns: str
    call: str
    """The runtime call the method returns."""
    overloads: tuple[Overload, ...] = ()
    """Typed signatures for callers (``returning=False`` gives an ``int``), printed first."""
    awaited: bool = True
    """An ``async def`` awaiting ``call``; False: a plain ``def`` returning it (an async
    iterator, which is not awaited)."""


def repository_methods(
    table: Table,
    entity: str,
    key: str,
    spec: str,
    types: dict[int, str],
    scope: Scope,
) -> tuple[Method, ...]:
    seq = scope.name("collections.abc", "Sequence")
    iterable = scope.name("collections.abc", "Iterable")
    async_iterable = scope.name("collections.abc", "AsyncIterable")
    async_iterator = scope.name("collections.abc", "AsyncIterator")
    # dict and tuple are imported only where a method uses them: a column named ``dict`` makes
    # the scope import builtins, which must then be used or the gate sees an unused import.
    lst = scope.builtin("list")
    boolean, integer = scope.builtin("bool"), scope.builtin("int")
    result = scope.runtime("BatchResult")
    report = scope.runtime("ValidationReport")
    mode = scope.runtime("WriteMode")
    has_update = table.updatable
    has_upsert = table.upsertable
    item, items, one_key, keys = (
        f"item: {entity}",
        f"items: {seq}[{entity}]",
        f"key: {key}",
        f"keys: {seq}[{key}]",
    )
    size = f"chunk_size: {integer} = {DEFAULT_CHUNK_SIZE}"
    progress = f"progress: {scope.runtime('ProgressCallback')} | None = None"
    chunked = (
        "*",
        size,
        f"atomic: {boolean} = True",
        f"returning: {boolean} = True",
        f"concurrency: {integer} = 1",
        progress,
    )
    # any iterable (a list, a generator) or async iterable, consumed chunk by chunk
    item_stream = f"items: {iterable}[{entity}] | {async_iterable}[{entity}]"
    key_stream = f"keys: {iterable}[{key}] | {async_iterable}[{key}]"

    def op(function: str, *args: str) -> str:
        return f"{scope.runtime(function)}(" + ", ".join(("self._session", spec, *args)) + ")"

    chunk_args = (
        "chunk_size=chunk_size",
        "atomic=atomic",
        "returning=returning",
        "concurrency=concurrency",
        "progress=progress",
    )
    literal, overload = scope.name("typing", "Literal"), scope.name("typing", "overload")

    def batch_write(name: str) -> Method:
        """``<name>(items, *, returning=True)``: the rows as stored, or with ``returning=False``
        only their number (nothing decoded, nothing built)."""
        rows = f"{lst}[{entity}]"
        return Method(
            name,
            (items, "*", f"returning: {boolean} = True"),
            f"{rows} | {integer}",
            op(name, "items", "returning=returning"),
            (
                Overload(overload, (items, "*", f"returning: {literal}[True] = True"), rows),
                Overload(overload, (items, "*", f"returning: {literal}[False]"), integer),
            ),
        )

    methods = [
        Method("save", (item,), entity, op("save_one", "item")),
        batch_write("save_batch"),
        Method("load", (one_key,), f"{entity} | None", op("load_one", "key")),
        Method("load_batch", (keys,), f"{lst}[{entity} | None]", op("load_batch", "keys")),
        Method("exists", (one_key,), boolean, op("exists_one", "key")),
        Method("exists_batch", (keys,), f"{lst}[{boolean}]", op("exists_batch", "keys")),
    ]
    if has_update:
        methods += [
            Method("update", (item,), entity, op("update_one", "item")),
            batch_write("update_batch"),
        ]
    if table.audited:
        # the version read (None: no check); a row present with another version is stale
        version = f"version: {integer} | None = None"
        versions = f"versions: {seq}[{integer} | None] | None = None"
        methods += [
            Method(
                "delete",
                (one_key, "*", version),
                boolean,
                op("delete_one", "key", "version=version"),
            ),
            Method(
                "delete_batch",
                (keys, "*", versions),
                integer,
                op("delete_batch", "keys", "versions=versions"),
            ),
        ]
    else:
        methods += [
            Method("delete", (one_key,), boolean, op("delete_one", "key")),
            Method("delete_batch", (keys,), integer, op("delete_batch", "keys")),
        ]
    if has_upsert:
        methods += [
            Method("upsert", (item,), entity, op("upsert_one", "item")),
            batch_write("upsert_batch"),
        ]
    methods.append(
        Method(
            "validate_batch",
            (items, f"mode: {mode} = {'insert'!r}"),
            report,
            op("validate_batch", "items", "mode"),
        )
    )
    batch_result = f"{result}[{entity}]"
    writes = ["save", *(["update"] if has_update else []), *(["upsert"] if has_upsert else [])]
    methods += [
        Method(
            f"{w}_batch_chunked",
            (item_stream, *chunked),
            batch_result,
            op(f"{w}_batch_chunked", "items", *chunk_args),
        )
        for w in writes
    ]
    methods.append(
        Method(
            "delete_batch_chunked",
            (key_stream, *chunked),
            f"{result}[{key}]",
            op("delete_batch_chunked", "keys", *chunk_args),
        )
    )
    methods += [
        Method(
            "stream_all",
            ("*", size, progress),
            f"{async_iterator}[{entity}]",
            op("stream_all", "chunk_size=chunk_size", "progress=progress"),
            awaited=False,
        ),
        Method(
            "load_stream",
            (key_stream, "*", size, progress),
            f"{async_iterator}[{entity} | None]",
            op("load_stream", "keys", "chunk_size=chunk_size", "progress=progress"),
            awaited=False,
        ),
    ]

    def key_type(positions: tuple[int, ...]) -> str:
        if len(positions) == 1:
            return types[positions[0]]
        return f"{scope.builtin('tuple')}[" + ", ".join(types[p] for p in positions) + "]"

    for unique in table.uniques:
        t = key_type(unique.columns)
        methods.append(
            Method(
                f"load_batch_by_{python_name(unique.name)}",
                (f"keys: {seq}[{t}]",),
                f"{lst}[{entity} | None]",
                op("load_batch_by_unique", repr(unique.name), "keys"),
            )
        )
    for fk in table.foreign_keys:
        t = key_type(fk.columns)
        methods.append(
            Method(
                f"load_grouped_by_{python_name(fk.name)}",
                (f"keys: {seq}[{t}]",),
                f"{scope.builtin('dict')}[{t}, {lst}[{entity}]]",
                op("load_grouped_by_fk", repr(fk.name), "keys"),
            )
        )
    names = [m.name for m in methods]
    if len(set(names)) != len(names):
        raise GenerationError(f"table {table.name!r}: two repository methods share a name")
    return tuple(methods)
