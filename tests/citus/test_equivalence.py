"""The equivalence machine (``tests/property/equivalence``) on the cluster: batch and single-row
paths of the ``sharded_ledger`` golden case, each on a Citus database of its own.

The machine, its strategies and its comparisons are those of the plain suite, unchanged; only
the twin differs (``citus_twin``: two databases created on every node of the cluster, the
schema placed by ``citus.sql``). The tables under test are the distributed ones, each with its
parents filled first: geography (reference tables), then person (distributed by its id), then
account (co-located, keyed by owner). Example counts are small: every statement crosses the
coordinator and a worker, and ``make test-citus`` stays within a few minutes.

Run with ``pytest -s`` to see how often each outcome occurred.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from hypothesis.stateful import run_state_machine_as_test

from batchrepo.spec import TableSpec
from tests.property.equivalence.machine import STEPS, equivalence_machine, prepare
from tests.property.packages import table_specs
from tests.property.profiles import property_settings
from tests.property.twin import Twin

from .conftest import create_schema

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


@pytest.fixture(scope="module")
def ledger_twin(citus_twin: Twin, sharded_ledger: ModuleType) -> Twin:
    assert citus_twin.urls is not None
    for url in citus_twin.urls:
        citus_twin.run(create_schema(url, sharded_ledger))
    return citus_twin


@pytest.mark.parametrize("table", list(TABLES), ids=list(TABLES))
def test_sharded_ledger(ledger_twin: Twin, sharded_ledger: ModuleType, table: str) -> None:
    specs: Specs = table_specs(sharded_ledger)
    spec, parents = specs[table], [specs[name] for name in TABLES[table]]
    machine = equivalence_machine(ledger_twin, prepare(ledger_twin, spec, parents), parents)
    try:
        run_state_machine_as_test(machine, settings=property_settings(SCALE))
    finally:
        print(f"\n{table}: {dict(sorted(STEPS[table].items()))}")
