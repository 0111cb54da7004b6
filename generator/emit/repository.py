"""The methods of a generated repository class: one line each, delegating to the runtime
contract's operations (``_rt.save_batch(...)``, :mod:`batchrepo.contract`) with the module's
``TableSpec`` constant.

Which methods exist follows ``docs/generated-api.md``: no update when every column is a key
column, no upsert for identity keys, audited or all-key tables, one ``load_batch_by_<unique>``
per unique key and one ``load_grouped_by_<fk>`` per foreign key. The deletes of an audited
table take the version(s) the caller read, and an audited table has the history reads
(``load_history``, ``load_history_batch``, ``load_as_of``, ``load_as_of_batch``). The chunked
writes take any iterable or async iterable; the streamed loads (``stream_all``,
``load_stream``) return async iterators, so their
methods are plain ``def`` returning the runtime's iterator (``awaited=False``). Both take a
``progress`` callback, called after each chunk.
"""

from __future__ import annotations

from collections.abc import Callable
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
    column_type: str | None = None,
) -> tuple[Method, ...]:
    """``column_type``: the ``Literal`` alias of the columns an update may name."""
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

    def batch_write(name: str, extra: tuple[str, ...] = (), passed: tuple[str, ...] = ()) -> Method:
        """``<name>(items, *, returning=True, *extra)``: the rows as stored, or with
        ``returning=False`` only their number (nothing decoded, nothing built)."""
        rows = f"{lst}[{entity}]"
        return Method(
            name,
            (items, "*", f"returning: {boolean} = True", *extra),
            f"{rows} | {integer}",
            op(name, "items", "returning=returning", *passed),
            (
                Overload(
                    overload, (items, "*", f"returning: {literal}[True] = True", *extra), rows
                ),
                Overload(overload, (items, "*", f"returning: {literal}[False]", *extra), integer),
            ),
        )

    # update(..., columns=[...]): only the named columns are written (and checked)
    chosen = (f"columns: {seq}[{column_type}] | None = None",) if column_type else ()
    passes = ("columns=columns",) if column_type else ()

    methods = [
        Method("save", (item,), entity, op("save_one", "item")),
        batch_write("save_batch"),
        Method("load", (one_key,), f"{entity} | None", op("load_one", "key")),
        Method("load_batch", (keys,), f"{lst}[{entity} | None]", op("load_batch", "keys")),
        Method("exists", (one_key,), boolean, op("exists_one", "key")),
        Method("exists_batch", (keys,), f"{lst}[{boolean}]", op("exists_batch", "keys")),
    ]
    skippable = [
        key.name for key in (table.primary_key, *table.uniques) if key.name in _if_new_keys(table)
    ]
    if skippable:
        # save_if_new: the key a row may clash on, the primary key unless the database draws it
        on = f"{literal}[" + ", ".join(repr(name) for name in skippable) + "]"
        keyword = f"on: {on} = {skippable[0]!r}"
        methods += [
            Method(
                "save_if_new",
                (item, "*", keyword),
                f"{entity} | None",
                op("save_if_new", "item", "on=on"),
            ),
            Method(
                "save_batch_if_new",
                (items, "*", keyword),
                f"{lst}[{entity} | None]",
                op("save_batch_if_new", "items", "on=on"),
            ),
        ]
    if has_update:
        methods += [
            Method("update", (item, "*", *chosen), entity, op("update_one", "item", *passes)),
            batch_write("update_batch", chosen, passes),
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
    if table.audited:
        methods += history_methods(entity, one_key, keys, scope, op)
    # upsert(..., on=...): the key a row is found by, the primary key unless it is an identity
    upsert_keys = [table.primary_key.name] if has_upsert else []
    upsert_keys += [u.name for u in table.uniques] if has_update else []
    if upsert_keys:
        found_by = f"on: {literal}[" + ", ".join(map(repr, upsert_keys)) + f"] = {upsert_keys[0]!r}"
        methods += [
            Method("upsert", (item, "*", found_by), entity, op("upsert_one", "item", "on=on")),
            batch_write("upsert_batch", (found_by,), ("on=on",)),
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
    # audited: the versions read, in step with the keys (None: any)
    read = f"{iterable}[{integer} | None] | {async_iterable}[{integer} | None] | None = None"
    versioned = (f"versions: {read}",) if table.audited else ()
    methods.append(
        Method(
            "delete_batch_chunked",
            (key_stream, *chunked, *versioned),
            f"{result}[{key}]",
            op(
                "delete_batch_chunked",
                "keys",
                *chunk_args,
                *(("versions=versions",) if table.audited else ()),
            ),
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


def history_methods(
    entity: str, one_key: str, keys: str, scope: Scope, op: Callable[..., str]
) -> list[Method]:
    """The history reads of an audited table (``batchrepo.read.history``): every version of one
    key or many, and the version in force "as of" a time or of a version number."""
    entry = f"{scope.runtime('HistoryEntry')}[{entity}]"
    lst, integer = scope.builtin("list"), scope.builtin("int")
    seq = scope.name("collections.abc", "Sequence")
    when = f"at: {scope.qualified('datetime', 'datetime')} | None = None"
    return [
        Method("load_history", (one_key,), f"{lst}[{entry}]", op("load_history", "key")),
        Method(
            "load_history_batch",
            (keys,),
            f"{lst}[{lst}[{entry}]]",
            op("load_history_batch", "keys"),
        ),
        Method(
            "load_as_of",
            (one_key, "*", f"version: {integer} | None = None", when),
            f"{entry} | None",
            op("load_as_of", "key", "version=version", "at=at"),
        ),
        Method(
            "load_as_of_batch",
            (keys, "*", f"versions: {seq}[{integer} | None] | None = None", when),
            f"{lst}[{entry} | None]",
            op("load_as_of_batch", "keys", "versions=versions", "at=at"),
        ),
    ]


def _if_new_keys(table: Table) -> set[str]:
    """Keys ``save_if_new`` can skip on: every unique key, and the primary key unless it is an
    identity (the database draws it, so a new row never clashes on it)."""
    names = {key.name for key in table.uniques}
    if not table.identity_key:
        names.add(table.primary_key.name)
    return names
