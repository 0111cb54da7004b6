"""batchrepo's batch methods, one contender per path, on both tables.

The default path of each batch method (what an application gets without saying anything: an
insert of 1,000 rows or more goes by binary COPY where the table allows it), and the paths a
caller can choose: ``returning=False`` (a count instead of entities: nothing sent back or
decoded that nobody reads) and a session ``WritePolicy`` forcing binary COPY
(``copy_from_rows=0``) or the ``UNNEST`` statement (``None``). Every call is on a bare
connection: a single statement runs without an explicit transaction, as the runtime decides.
"""

from __future__ import annotations

from typing import Any

from batchrepo.contract import v1 as _rt
from batchrepo.session import WritePolicy

from ..registry import AUDITED, PLAIN, Job, Work, contender
from ..workload import Lane

BOTH = (PLAIN, AUDITED)


def _with_policy(lane: Lane, copy_from_rows: int | None) -> Any:
    """A repository whose session forces COPY (``0``: always) or the statement (``None``)."""
    policy = WritePolicy(copy_from_rows=copy_from_rows)
    actor = "bench" if lane.audited else None
    return lane.repository(_rt.as_session(lane.conn, actor=actor, policy=policy))


@contender("insert", "batchrepo save_batch", family="batchrepo", tables=BOTH)
def save_batch(lane: Lane, work: Work) -> Job:
    return lambda: lane.repository().save_batch(work.items)


@contender("insert", "batchrepo save_batch, returning=False", family="batchrepo", tables=BOTH)
def save_batch_count(lane: Lane, work: Work) -> Job:
    return lambda: lane.repository().save_batch(work.items, returning=False)


@contender("insert", "batchrepo save_batch, COPY", family="batchrepo", tables=BOTH)
def save_batch_copy(lane: Lane, work: Work) -> Job:
    return lambda: _with_policy(lane, 0).save_batch(work.items)


@contender("insert", "batchrepo save_batch, UNNEST", family="batchrepo", tables=BOTH)
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


@contender("update", "batchrepo update_batch, returning=False", family="batchrepo", tables=BOTH)
def update_batch_count(lane: Lane, work: Work) -> Job:
    return lambda: lane.repository().update_batch(work.items, returning=False)


@contender("delete", "batchrepo delete_batch", family="batchrepo", tables=BOTH)
def delete_batch(lane: Lane, work: Work) -> Job:
    return lambda: lane.repository().delete_batch(work.keys)


@contender("upsert", "batchrepo upsert_batch", family="batchrepo")
def upsert_batch(lane: Lane, work: Work) -> Job:
    return lambda: lane.repository().upsert_batch(work.items)


@contender("upsert", "batchrepo upsert_batch, returning=False", family="batchrepo")
def upsert_batch_count(lane: Lane, work: Work) -> Job:
    return lambda: lane.repository().upsert_batch(work.items, returning=False)


@contender("insert", "batchrepo save_batch_if_new", family="batchrepo", tables=BOTH)
def save_batch_if_new(lane: Lane, work: Work) -> Job:
    """Insert, skipping rows whose key exists (none here): what an idempotent import pays."""
    return lambda: lane.repository().save_batch_if_new(work.items)


@contender(
    "update", "batchrepo update_batch, columns=[display_name]", family="batchrepo", tables=BOTH
)
def update_batch_one_column(lane: Lane, work: Work) -> Job:
    """Write and check only the column that changed (the others are not even sent)."""
    return lambda: lane.repository().update_batch(work.items, columns=["display_name"])
