"""What an operation runs in: where statements go, who acts, and which key cache it reads.

Operations and generated repositories accept either a bare :class:`~batchrepo.executor.Executor`
(a pool or a connection) or a :class:`Session`. A unit of work hands its repositories a session
bound to its connection, actor, audit log row and local cache layer (``docs/units-of-work.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

from batchrepo.executor import Executor


@dataclass(slots=True)
class Session:
    """The context of one or more operations."""

    executor: Executor
    actor: str | None = None
    """Who writes: recorded in ``audit_log`` for audited tables (required to write them)."""


#: What operations accept: a bare executor, or a session.
Target = Executor | Session


def as_session(target: Target, *, actor: str | None = None) -> Session:
    """``target`` itself when it is a session, else a session over the bare executor."""
    if isinstance(target, Session):
        return target
    return Session(target, actor=actor)
