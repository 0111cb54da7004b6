"""COMMIT, told apart from what only looks like it: certain failures, and an unknown outcome.

Once COMMIT is sent, a connection that breaks (or goes silent) before its answer arrives leaves
the outcome unknown: the server may have committed. Retrying then could write everything twice,
so that case is :class:`~batchrepo.errors.CommitOutcomeUnknownError`, never a transient error:

* COMMIT not sent yet (the connection was already closed): ``ConnectionLostError``, nothing was
  committed, safe to retry;
* COMMIT answered with an error (a deferred constraint, a serialization failure): the server
  rolled back; the error's own class;
* COMMIT sent, no answer (connection broken, or no answer within ``wait``): the connection is
  closed (its state is unknown) and ``CommitOutcomeUnknownError`` carries the transaction id
  read before COMMIT, so that :func:`commit_outcome` can ask the server later.

``pg_xact_status`` answers from the commit log, for any transaction id of the last ~2 billion
(older ones: ``"unknown"``); a transaction whose COMMIT never reached the server shows
``"in progress"`` until the server notices the broken connection (``idle_in_transaction_session_
timeout``, TCP keepalives), then ``"aborted"``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, Literal, TypeVar

from batchrepo import errors
from batchrepo.db.failures import lost_connection, translated

#: What :func:`commit_outcome` answers.
CommitStatus = Literal["committed", "aborted", "in progress", "unknown"]

#: How unit-level errors name their "table".
TRANSACTION = "transaction"

T = TypeVar("T")

_XID = "SELECT pg_current_xact_id_if_assigned()::text::int8"
_STATUS = "SELECT pg_xact_status($1::text::xid8)"


async def commit_outcome(executor: Any, xid: int) -> CommitStatus:
    """Whether transaction ``xid`` committed: ``await batchrepo.commit_outcome(pool, error.xid)``
    after a :class:`~batchrepo.errors.CommitOutcomeUnknownError`, on any connection to the same
    server. ``"in progress"`` means the server has not ended it yet: ask again later."""
    if not isinstance(xid, int) or isinstance(xid, bool) or xid < 0:
        raise TypeError(f"a transaction id is a non-negative int, not {xid!r}")
    try:
        status = await executor.fetchval(_STATUS, str(xid))
    except Exception as exc:
        mapped = translated(exc, TRANSACTION)
        if mapped is None:
            raise
        raise mapped from lost_connection(exc) or exc
    if status in ("committed", "aborted", "in progress"):
        return status  # type: ignore[no-any-return]
    return "unknown"


async def bounded(step: Awaitable[T], wait: float | None) -> T:
    """``await step``, given up after ``wait`` seconds (None: no bound) with ``TimeoutError``."""
    if wait is None:
        return await step
    async with asyncio.timeout(wait):
        return await step


def close_broken(conn: Any) -> None:
    """Close a connection whose state is unknown (no answer in time, or broken midway), so that
    nothing ever runs on it again; a pool replaces it when it is given back."""
    terminate = getattr(conn, "terminate", None)
    if terminate is not None:
        try:
            terminate()
        except Exception:  # a pool's proxy already given back: nothing left to close
            return


async def transaction_id(conn: Any, wait: float | None) -> int | None:
    """The id of ``conn``'s transaction, None when it has none yet (it wrote nothing)."""
    value = await bounded(conn.fetchval(_XID), wait)
    return None if value is None else int(value)


async def send_commit(conn: Any, *, xid: int | None, wait: float | None) -> str:
    """Send COMMIT and return its command tag, or raise what its failure means (module doc)."""
    try:
        return str(await bounded(conn.execute("COMMIT"), wait))
    except Exception as exc:
        cause = lost_connection(exc)
        if cause is None and not isinstance(exc, TimeoutError):
            mapped = translated(exc, TRANSACTION)  # the server answered: it rolled back
            if mapped is None:
                raise
            raise mapped from exc
        close_broken(conn)
        if cause is not None:
            how = "broke"
        else:
            how = "gave no answer in time" if wait is None else f"gave no answer within {wait} s"
        raise errors.CommitOutcomeUnknownError(
            TRANSACTION,
            xid=xid,
            reason=f"the connection {how} after COMMIT was sent",
        ) from cause or exc
