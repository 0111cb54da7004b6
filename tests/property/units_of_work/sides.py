"""The two sides of the unit-of-work machine: per database a work connection, a global key cache
and the unit of work open on it, if any.

The unit of work gets a bare connection (not a pool) so the machine knows the backend to
terminate. A connection that did not come back clean from a unit of work (closed by a
termination, or still in a transaction after a failed rollback) is replaced, so one failure never
leaks into the next unit of work; a rollback that left the transaction open is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg

from batchrepo.cache.key_cache import KeyCache
from batchrepo.session import DEFAULT_POLICY, WritePolicy

from .driver import UowDriver, server_pid, terminate

#: Who acts in every unit of work, on both sides (the history compares actors).
ACTOR = "property-machine"


class Side:
    """One database: ``admin`` sees what is committed; ``work`` runs the units of work."""

    def __init__(
        self, name: str, url: str, admin: asyncpg.Connection, policy: WritePolicy = DEFAULT_POLICY
    ) -> None:
        self.name = name
        self.policy = policy
        """How its units' batch inserts go (the batch side: by COPY wherever the table allows)."""
        self.url = url
        self.admin = admin
        self.work: asyncpg.Connection | None = None
        self.cache = KeyCache()
        self.driver: UowDriver | None = None
        self.terminated = False
        """Whether the unit of work's backend was terminated (by the machine)."""
        self.left_in_transaction = 0
        """How many units of work ended with their connection still in a transaction."""

    @property
    def connection(self) -> asyncpg.Connection:
        assert self.work is not None, f"{self.name}: no work connection"
        return self.work

    async def connect(self) -> None:
        if self.work is None or self.work.is_closed():
            self.work = await asyncpg.connect(self.url)

    async def open(self, unit_of_work: Callable[..., Any]) -> None:
        await self.connect()
        work = self.connection
        self.driver = UowDriver(
            lambda: unit_of_work(work, actor=ACTOR, cache=self.cache, policy=self.policy)
        )
        await self.driver.open()

    async def terminate(self) -> None:
        self.terminated = True
        await terminate(self.admin, await server_pid(self.connection))

    async def finish(self) -> tuple[BaseException | None, BaseException | None]:
        """Wait for the unit of work to end; (how it ended, the caller's exception raised in
        it). Then make the work connection clean for the next one."""
        driver = self.driver
        assert driver is not None
        self.driver = None
        ended = await driver.end()
        work = self.work
        if self.terminated:
            # asyncpg may not have noticed yet that the server closed the connection
            self.terminated = False
            if work is not None:
                work.terminate()
            self.work = None
        elif work is not None and not work.is_closed() and work.is_in_transaction():
            self.left_in_transaction += 1
            work.terminate()
        return ended, driver.raised

    def fresh_cache(self) -> None:
        self.cache = KeyCache()
