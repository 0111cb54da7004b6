"""The rows every benchmark writes: ``person`` entities with fresh keys, of either package.

``make bench`` measures the audited ``person`` of ``ledger`` next to the same table generated
without audit (``ledger_plain``, see :mod:`benchmarks.audit.plain_twin`); both have their own
entity classes, so the factory is given the package whose ``Person`` it builds. Rows are
deterministic and cheap to make (making them is never timed), every key and
``external_identifier`` is new, and the optional columns vary so NULLs travel too.
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from collections.abc import Iterator
from types import ModuleType
from typing import Any, TypeAlias

import asyncpg
import ledger

#: Who the benchmarks write as: ``person`` is audited, so every write records history.
ACTOR = "bench"

# Subscripted only for the type checker: asyncpg.Connection is not generic at run time.
Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record]"

_EPOCH = datetime.date(1950, 1, 1)


class RowFactory:
    """Fresh person rows with unique keys, as entities of ``package`` (``ledger`` by default).

    Typed ``Any`` for the twin's sake: its classes are generated at run time, so the type
    checker cannot know that they mirror ``ledger``'s.
    """

    def __init__(self, package: ModuleType = ledger, start: int = 0) -> None:
        self._entity: Any = package.Person
        self._natural: Any = package.PersonType.NATURAL
        self._next = start

    def make(self, count: int) -> list[Any]:
        start, self._next = self._next, self._next + count
        return [self.person(i) for i in range(start, start + count)]

    def stream(self, count: int) -> Iterator[Any]:
        """``count`` fresh rows one at a time, never held together: a streamed import's source."""
        start, self._next = self._next, self._next + count
        return (self.person(i) for i in range(start, start + count))

    def person(self, i: int) -> Any:
        return self._entity(
            id=uuid.UUID(int=i + 1, version=4),
            person_type=self._natural,
            display_name=f"Bench Person {i}",
            external_identifier=f"BENCH-{i:09d}",
            department="Payments" if i % 3 == 0 else None,
            date_of_birth=_EPOCH + datetime.timedelta(days=i % 20_000),
            document_digest=hashlib.sha256(i.to_bytes(8)).digest() if i % 2 else None,
        )
