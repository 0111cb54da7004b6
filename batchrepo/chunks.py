"""Inputs of any size cut into lists of at most ``chunk_size``: a sequence, any iterable, or an
async iterable.

Chunked writes and streamed loads both take "any number of rows or keys". A sequence is sliced
(its length is known and the caller already holds it); any other iterable is consumed one chunk
at a time and never materialised, so a generator of a million rows costs the memory of one
chunk. Each chunk comes with the index of its first row in the whole input, which is what error
row indexes are counted from.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from itertools import islice
from typing import TypeVar

T = TypeVar("T")

#: Rows per statement of the chunked and streamed operations; the generated methods take it as
#: their default (the generator reads it from here).
DEFAULT_CHUNK_SIZE = 1000

#: A chunk: the index of its first row in the whole input, and its rows.
Chunk = tuple[int, list[T]]


def check_chunk_size(chunk_size: int) -> None:
    """A ValueError for a chunk size that would never make progress."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")


def check_iterable(values: object, what: str) -> None:
    """A TypeError, before anything is sent, for input that cannot be iterated at all.

    A ``str`` or ``bytes`` is refused too: it iterates, but as characters, never as rows.
    """
    if isinstance(values, str | bytes) or not isinstance(values, Iterable | AsyncIterable):
        raise TypeError(
            f"{what} must be a sequence, an iterable or an async iterable, "
            f"not {type(values).__name__}"
        )


def chunks_of(values: Iterable[T] | AsyncIterable[T], chunk_size: int) -> AsyncIterator[Chunk[T]]:
    """``(start, rows)`` for consecutive chunks of ``values``, none of them empty."""
    if isinstance(values, Sequence):
        return _sliced(values, chunk_size)
    if isinstance(values, AsyncIterable):
        return _gathered(values, chunk_size)
    return _taken(iter(values), chunk_size)


async def _sliced(values: Sequence[T], chunk_size: int) -> AsyncIterator[Chunk[T]]:
    for start in range(0, len(values), chunk_size):
        chunk = values[start : start + chunk_size]
        yield start, chunk if isinstance(chunk, list) else list(chunk)


async def _taken(values: Iterable[T], chunk_size: int) -> AsyncIterator[Chunk[T]]:
    start = 0
    while chunk := list(islice(values, chunk_size)):
        yield start, chunk
        start += len(chunk)


async def _gathered(values: AsyncIterable[T], chunk_size: int) -> AsyncIterator[Chunk[T]]:
    start = 0
    chunk: list[T] = []
    async for value in values:
        chunk.append(value)
        if len(chunk) == chunk_size:
            yield start, chunk
            start += chunk_size
            chunk = []
    if chunk:
        yield start, chunk
