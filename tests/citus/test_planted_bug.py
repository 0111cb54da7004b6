"""The equivalence machine catches a bug planted in a batch path on the cluster too: the
``entity_reference`` spec of the sharded ledger with an ``update_batch`` statement that forgets
one column (``tests/property/equivalence/test_planted_bug.py`` plants the same on a plain
PostgreSQL). A batch update reports success and returns its rows, but the column keeps its old
value on the shard; the row-by-row side writes it."""

from __future__ import annotations

from types import ModuleType

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.property.equivalence.machine import equivalence_machine, prepare
from tests.property.equivalence.test_planted_bug import without_set_column
from tests.property.packages import table_specs
from tests.property.profiles import property_settings
from tests.property.twin import Twin

from .conftest import create_schema
from .test_equivalence import ON_CITUS, TABLES


@pytest.fixture(scope="module")
def ledger_twin(citus_twin: Twin, sharded_ledger: ModuleType) -> Twin:
    assert citus_twin.urls is not None
    for url in citus_twin.urls:
        citus_twin.run(create_schema(url, sharded_ledger))
    return citus_twin


def test_machine_catches_an_update_batch_that_drops_a_column_on_the_cluster(
    ledger_twin: Twin, sharded_ledger: ModuleType
) -> None:
    specs = table_specs(sharded_ledger)
    broken = without_set_column(specs["entity_reference"], "entity_role")
    parents = [specs[name] for name in TABLES["entity_reference"]]
    machine = equivalence_machine(
        ledger_twin, prepare(ledger_twin, broken, parents), parents, max_batch=3, known=ON_CITUS
    )
    chosen = settings(
        property_settings(),
        max_examples=20,
        stateful_step_count=6,
        phases=tuple(p for p in Phase if p != Phase.shrink),
    )
    with pytest.raises(AssertionError) as caught:
        run_state_machine_as_test(machine, settings=chosen)
    message = str(caught.value)
    assert "entity_reference: update of" in message or "after update of" in message, message
    print(f"\n--- planted bug on Citus: update_batch without SET entity_role ---\n{message}")
