"""Versioned deletes of any number of keys (``delete_batch_chunked(..., versions=...)``): the
keys and the versions the caller read, consumed in step, chunk by chunk.

Keys and versions may each be a sequence, an iterable or an async iterable; :func:`in_step`
pairs them lazily, so a stream of a million keys is never held whole, and fails with a
``ValueError`` naming the table when one runs out before the other (found when the shorter one
ends, so the chunks before it may have run: with ``atomic=True`` they roll back with the call).

A chunk is a ``delete_batch`` with versions (:func:`~batchrepo.write.apply.delete_batch_on`):
rows present with another version raise ``StaleVersionError`` and the chunk deletes nothing. A
key repeated inside a chunk is deleted at its first occurrence, checked against that version,
and the later occurrences find nothing, as a loop of ``delete`` would; across chunks the later
chunk finds the row gone, which is the same answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any

from batchrepo import errors
from batchrepo.cache.recording import Recorder
from batchrepo.db.executor import Connection
from batchrepo.key_matching import comparable_keys
from batchrepo.session import Session
from batchrepo.spec import K, TableSpec
from batchrepo.write.apply import delete_batch_on
from batchrepo.write.chunk_runs import ChunkRunner

Pair = tuple[Any, int | None]


def _uneven(spec: TableSpec[Any, Any]) -> ValueError:
    return ValueError(f"{spec.table}: the keys and the versions to delete differ in number")


def in_step(
    spec: TableSpec[Any, K],
    keys: Iterable[K] | AsyncIterable[K],
    versions: Iterable[int | None] | AsyncIterable[int | None],
) -> Iterable[tuple[K, int | None]] | AsyncIterable[tuple[K, int | None]]:
    """``(key, version)`` pairs, lazily; a plain iterable when both inputs are."""
    if isinstance(keys, AsyncIterable) or isinstance(versions, AsyncIterable):
        return _async_pairs(spec, keys, versions)
    return _pairs(spec, keys, versions)


def _pairs(
    spec: TableSpec[Any, K], keys: Iterable[K], versions: Iterable[int | None]
) -> Iterator[tuple[K, int | None]]:
    try:
        yield from zip(keys, versions, strict=True)
    except ValueError as uneven:
        if "zip()" not in str(uneven):
            raise
        raise _uneven(spec) from None


async def _next(values: Iterator[Any] | AsyncIterator[Any]) -> tuple[bool, Any]:
    try:
        if isinstance(values, AsyncIterator):
            return True, await anext(values)
        return True, next(values)
    except (StopIteration, StopAsyncIteration):
        return False, None


async def _async_pairs(
    spec: TableSpec[Any, K],
    keys: Iterable[K] | AsyncIterable[K],
    versions: Iterable[int | None] | AsyncIterable[int | None],
) -> AsyncIterator[tuple[K, int | None]]:
    key_source = aiter(keys) if isinstance(keys, AsyncIterable) else iter(keys)
    version_source = aiter(versions) if isinstance(versions, AsyncIterable) else iter(versions)
    while True:
        has_key, key = await _next(key_source)
        has_version, version = await _next(version_source)
        if has_key != has_version:
            raise _uneven(spec)
        if not has_key:
            return
        yield key, version


def versioned_deletes(session: Session, spec: TableSpec[Any, K]) -> ChunkRunner[Pair, K]:
    """What runs one chunk of pairs: its keys and the rows deleted."""

    async def run(
        conn: Connection, recorder: Recorder, _start: int, chunk: list[Pair]
    ) -> tuple[list[K], int]:
        keys = [key for key, _ in chunk]
        versions = [version for _, version in chunk]
        kept = _first_occurrences(spec, keys)
        try:
            deleted = await delete_batch_on(
                conn,
                session,
                recorder,
                spec,
                [keys[i] for i in kept],
                [versions[i] for i in kept],
            )
        except errors.StaleVersionError as stale:
            stale.rows = [kept[row] for row in stale.rows]
            raise
        return keys, deleted

    return run


def _first_occurrences(spec: TableSpec[Any, Any], keys: list[Any]) -> list[int]:
    """Positions of the first occurrence of each key, in order."""
    seen: set[Any] = set()
    first = []
    for position, key in enumerate(comparable_keys(spec, spec.key_columns, keys)):
        if key not in seen:
            seen.add(key)
            first.append(position)
    return first
