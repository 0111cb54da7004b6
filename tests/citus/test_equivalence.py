"""The equivalence machine (``tests/property/equivalence``) on the cluster: batch and single-row
paths of the ``sharded_ledger`` golden case, each on a Citus database of its own.

The machine, its strategies and its comparisons are those of the plain suite, unchanged; only
the twin differs (``ledger_twin``: two databases created on every node of the cluster, the
schema placed by ``citus.sql``). The tables under test are the distributed ones, each with its
parents filled first: geography (reference tables), then person (distributed by its id), then
account (co-located, keyed by owner). Example counts are small: every statement crosses the
coordinator and a worker, and ``make test-citus`` stays within a few minutes.

The last test plants a bug in a batch path (``update_batch`` of ``entity_reference`` forgets
a column, as ``tests/property/equivalence/test_planted_bug.py`` does on a plain PostgreSQL) and
the machine must catch it on the cluster.

Run with ``pytest -s`` to see how often each outcome occurred.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from batchrepo.spec import TableSpec
from tests.property.equivalence.known import KnownBug
from tests.property.equivalence.machine import STEPS, equivalence_machine, prepare
from tests.property.equivalence.test_planted_bug import without_set_column
from tests.property.packages import table_specs
from tests.property.profiles import property_settings
from tests.property.twin import Twin

Specs = dict[str, TableSpec[Any, Any]]

_GEOGRAPHY = ("country", "country_subdivision", "locality", "location")
#: table under test -> parent tables filled first (dependency order).
TABLES: dict[str, tuple[str, ...]] = {
    "person": _GEOGRAPHY,
    "entity_reference": (*_GEOGRAPHY, "person"),
    "account": (*_GEOGRAPHY, "person"),
    "ledger_transaction": (*_GEOGRAPHY, "person", "account"),
}
#: A fraction of the profile's examples per table (``ci``: 30 -> 6).
SCALE = 0.2

#: Differences found on the cluster only, counted rather than failed: the first is reproduced
#: alone (xfail) by ``test_sharded_package.py::test_an_update_without_a_version_check``; the
#: second is met by the machine only (no reproduction written yet).
ON_CITUS = (
    KnownBug(
        "citus: update_batch counts a row twice",
        "the audited update_batch answers the rows it updated (a data-modifying CTE) UNION ALL "
        "the rows left unchanged, read from the table; on Citus the CTE runs first, so the "
        "table read sees a row updated without a version check as unchanged too: one row too "
        "many, and a MissingRowsError that names no row",
        lambda batch, single: (
            batch.error == "MissingRowsError" and batch.rows == (-1,) and single.error is None
        ),
        operation="update",
    ),
    KnownBug(
        "citus: a COPY clash is a DatabaseError",
        "a batch insert by COPY of a row whose key is stored fails with DatabaseError where the "
        "row-by-row insert names the UniqueViolationError: Citus relays a worker's unique "
        "violation during COPY as XX000 (internal error), with the shard's constraint in the "
        "message only (why the check before writing did not find the clash: not analysed)",
        lambda batch, single: (
            batch.error == "DatabaseError" and single.error == "UniqueViolationError"
        ),
        operation="insert by copy",
    ),
)


#: The audited tables: their update_batch diverges on Citus (ON_CITUS, "counts a row twice"),
#: which leaves the twins' rows different and fails later steps; not run until that is fixed.
_UPDATE_COUNTS_TWICE = pytest.mark.xfail(
    run=False,
    reason="audited update_batch on Citus returns an updated row twice (the CTE's row and the "
    "table read as unchanged): MissingRowsError on the batch side, the twins then differ",
)
CASES = [
    pytest.param(table, id=table, marks=() if table == "entity_reference" else _UPDATE_COUNTS_TWICE)
    for table in TABLES
]


@pytest.mark.parametrize("table", CASES)
def test_sharded_ledger(ledger_twin: Twin, sharded_ledger: ModuleType, table: str) -> None:
    specs: Specs = table_specs(sharded_ledger)
    spec, parents = specs[table], [specs[name] for name in TABLES[table]]
    shape = prepare(ledger_twin, spec, parents)
    machine = equivalence_machine(ledger_twin, shape, parents, known=ON_CITUS)
    try:
        run_state_machine_as_test(machine, settings=property_settings(SCALE))
    finally:
        print(f"\n{table}: {dict(sorted(STEPS[table].items()))}")


def test_machine_catches_an_update_batch_that_drops_a_column(
    ledger_twin: Twin, sharded_ledger: ModuleType
) -> None:
    specs = table_specs(sharded_ledger)
    broken = without_set_column(specs["entity_reference"], "entity_role")
    parents = [specs[name] for name in TABLES["entity_reference"]]
    shape = prepare(ledger_twin, broken, parents)
    machine = equivalence_machine(ledger_twin, shape, parents, max_batch=3, known=ON_CITUS)
    no_shrinking = tuple(p for p in Phase if p != Phase.shrink)
    chosen = settings(
        property_settings(), max_examples=10, stateful_step_count=6, phases=no_shrinking
    )
    with pytest.raises(AssertionError) as caught:
        run_state_machine_as_test(machine, settings=chosen)
    message = str(caught.value)
    assert "entity_reference: update of" in message or "after update of" in message, message
    print(f"\n--- planted bug on Citus: update_batch without SET entity_role ---\n{message}")
