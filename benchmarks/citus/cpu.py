"""CPU time per role while a job runs: the client (this process), the coordinator, the workers.

A node's CPU is its whole process tree: the postmaster, its live children (the backends of the
benchmark's connections and of the coordinator's connections to the workers, background
workers) and the children it already reaped (a process's ``children_*`` times), so a backend
that came and went during a job still counts. Sampled before and after each timed job, outside
the clock; the difference is what the job cost each role, which tells what a node of its own
would take off the shared 2 cores.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import asyncpg
import psutil

#: The roles a sample splits CPU time into, in report order.
ROLES = ("client", "coordinator", "workers")


def _tree_seconds(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        times = root.cpu_times()
        total = times.user + times.system + times.children_user + times.children_system
        children = root.children()
    except psutil.Error:
        return 0.0
    for child in children:
        try:
            child_times = child.cpu_times()
        except psutil.Error:
            continue  # exited meanwhile: its time is in the parent's children_* on the next read
        total += child_times.user + child_times.system
    return total


async def postmaster_pid(url: str) -> int:
    """The pid of the server that ``url`` reaches: the parent of the backend serving it."""
    conn = await asyncpg.connect(url)
    try:  # asked while the backend lives: it exits with the connection
        return psutil.Process(await conn.fetchval("SELECT pg_backend_pid()")).ppid()
    finally:
        await conn.close()


@dataclasses.dataclass(frozen=True, slots=True)
class Roles:
    """The server processes (postmaster pids) of one target, by role."""

    coordinator: int
    workers: Sequence[int] = ()

    def nodes(self) -> dict[str, float]:
        """CPU seconds of the coordinator's and the workers' process trees."""
        return {
            "coordinator": _tree_seconds(self.coordinator),
            "workers": sum(_tree_seconds(pid) for pid in self.workers),
        }


def client() -> float:
    """CPU seconds of this process. Read nearest the job: reading the nodes' process trees
    costs this process 10-30 ms (psutil walks /proc for the children)."""
    times = psutil.Process().cpu_times()
    return float(times.user + times.system)


def spent_ms(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    """CPU milliseconds per role between two readings (``client`` and :meth:`Roles.nodes`)."""
    return {role: max(0.0, (after[role] - before[role]) * 1000.0) for role in ROLES}
