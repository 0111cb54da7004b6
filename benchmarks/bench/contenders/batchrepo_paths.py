"""batchrepo's batch methods, one contender per path, on both tables.

The default path of each batch method (what an application gets without saying anything), and
the paths a caller can choose, each registered only when the installed runtime has it:
``returning=False`` (counts instead of entities: nothing decoded that nobody reads) and a session
write policy forcing binary COPY or the ``UNNEST`` statement. Every call is on a bare connection:
the method opens what it needs itself (one transaction for a write).
"""

from __future__ import annotations

import inspect
from typing import Any

import batchrepo
from batchrepo.contract import v1 as _rt

from ..registry import AUDITED, PLAIN, Job, Work, contender
from ..workload import Lane

BOTH = (PLAIN, AUDITED)

#: ``returning=False`` on the batch writes (counts back instead of entities), once it landed.
HAS_RETURNING_FLAG = "returning" in inspect.signature(_rt.save_batch).parameters
#: ``batchrepo.WritePolicy(copy_from_rows=...)``: a session that forces a write path.
HAS_WRITE_POLICY = hasattr(batchrepo, "WritePolicy")


def _with_policy(lane: Lane, copy_from_rows: int | None) -> Any:
    """A repository whose session forces COPY (``0``: always) or the statement (``None``)."""
    policy = batchrepo.WritePolicy(copy_from_rows=copy_from_rows)  # type: ignore[attr-defined,unused-ignore]
    actor = "bench" if lane.audited else None
    session = _rt.as_session(lane.conn, actor=actor, policy=policy)  # type: ignore[call-arg,unused-ignore]
    return lane.repository(session)


@contender("insert", "batchrepo save_batch", family="batchrepo", tables=BOTH)
def save_batch(lane: Lane, work: Work) -> Job:
    return lambda: lane.repository().save_batch(work.items)


@contender(
    "insert",
    "batchrepo save_batch, returning=False",
    family="batchrepo",
    tables=BOTH,
    when=HAS_RETURNING_FLAG,
)
def save_batch_count(lane: Lane, work: Work) -> Job:
    return lambda: lane.repository().save_batch(work.items, returning=False)


@contender(
    "insert", "batchrepo save_batch, COPY", family="batchrepo", tables=BOTH, when=HAS_WRITE_POLICY
)
def save_batch_copy(lane: Lane, work: Work) -> Job:
    return lambda: _with_policy(lane, 0).save_batch(work.items)


@contender(
    "insert",
    "batchrepo save_batch, UNNEST",
    family="batchrepo",
    tables=BOTH,
    when=HAS_WRITE_POLICY,
)
def save_batch_unnest(lane: Lane, work: Work) -> Job:
    return lambda: _with_policy(lane, None).save_batch(work.items)


@contender("load", "batchrepo load_batch", family="batchrepo", tables=BOTH)
def load_batch(lane: Lane, work: Work) -> Job:
    return lambda: lane.repository().load_batch(work.keys)


@contender("exists", "batchrepo exists_batch", family="batchrepo", tables=BOTH)
def exists_batch(lane: Lane, work: Work) -> Job:
    return lambda: lane.repository().exists_batch(work.keys)


@contender("update", "batchrepo update_batch", family="batchrepo", tables=BOTH)
def update_batch(lane: Lane, work: Work) -> Job:
    return lambda: lane.repository().update_batch(work.items)


@contender(
    "update",
    "batchrepo update_batch, returning=False",
    family="batchrepo",
    tables=BOTH,
    when=HAS_RETURNING_FLAG,
)
def update_batch_count(lane: Lane, work: Work) -> Job:
    return lambda: lane.repository().update_batch(work.items, returning=False)


@contender("delete", "batchrepo delete_batch", family="batchrepo", tables=BOTH)
def delete_batch(lane: Lane, work: Work) -> Job:
    return lambda: lane.repository().delete_batch(work.keys)


@contender("upsert", "batchrepo upsert_batch", family="batchrepo")
def upsert_batch(lane: Lane, work: Work) -> Job:
    return lambda: lane.repository().upsert_batch(work.items)


@contender(
    "upsert",
    "batchrepo upsert_batch, returning=False",
    family="batchrepo",
    when=HAS_RETURNING_FLAG,
)
def upsert_batch_count(lane: Lane, work: Work) -> Job:
    return lambda: lane.repository().upsert_batch(work.items, returning=False)
