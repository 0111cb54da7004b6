"""One-shard routing on Citus: the statement a batch is sent as, and its arguments.

A table distributed on Citus carries a :class:`~batchrepo.spec.RoutingSpec`: for each batch
statement that reads or writes rows by key, a twin that takes one more argument, the
distribution value (``AND "t"."owner_id" = $n``). Citus cannot prune shards by the values of an
``unnest``, so the statement itself runs on every shard, whatever the batch holds; the twin
names the one shard, and Citus routes it there (a router plan: one task on one worker; the
history rows of an audited write are a step of their own, which Citus sends through the
coordinator to that shard). When every row of a batch has the same distribution value
(a batch of one owner's rows: the common case of a ledger sharded by owner), the runtime sends
the twin. The probes that look for clashes and missing parents have twins too (their lookup
of stored rows routed), where the key includes the distribution column:

* :func:`routed`: the statement (or its twin) and the arguments to append, given the values of
  the distribution column, row by row;
* :func:`keyed`: the same for a statement whose arguments are key arrays (loads, exists),
  which it builds; :func:`shard_of`: the distribution values among arrays of columns.

Rows with another value, or a NULL (never equal to anything: the twin would find nothing), keep
the statement as it is: correct on every shard. A statement the spec does not map (an insert,
which Citus pulls to the coordinator however it is written) is sent as it is. The twin matches
the same rows as its statement whenever the batch holds one value, so the results are the same
either way; the cluster tests prove it (tests/citus/test_routing.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from batchrepo.db.arguments import key_arrays
from batchrepo.spec import TableSpec


def routed(
    spec: TableSpec[Any, Any], statement: str, values: Sequence[Any]
) -> tuple[str, list[Any]]:
    """``statement``, or its routed twin when every one of ``values`` (the distribution column
    of the batch, row by row) is the same non-NULL value; and the arguments to append after the
    statement's own: none, or that value."""
    routing = spec.routing
    if routing is None or not values:
        return statement, []
    twin = routing.statements.get(statement)
    first = values[0]
    if twin is None or first is None:
        return statement, []
    for value in values:
        if value != first:
            return statement, []
    return twin, [first]


def keyed(spec: TableSpec[Any, Any], statement: str, keys: Sequence[Any]) -> tuple[str, list[Any]]:
    """A statement whose arguments are key arrays (``key_arrays``), routed by the keys'
    distribution column: the statement to send and every argument."""
    arrays: list[Any] = key_arrays(spec, keys)
    chosen, extra = routed(spec, statement, shard_of(spec, spec.key_columns, arrays))
    return chosen, arrays + extra


def shard_of(
    spec: TableSpec[Any, Any], positions: Sequence[int], arrays: Sequence[Sequence[Any]]
) -> Sequence[Any]:
    """The distribution values among ``arrays``, one array per column of ``positions`` (key
    arrays: the key columns; a probe's: its columns; a batch's: every column); none when the
    table is not distributed or the distribution column is not among them."""
    if spec.routing is None or spec.routing.column not in positions:
        return []
    return arrays[list(positions).index(spec.routing.column)]
