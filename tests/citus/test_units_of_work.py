"""The units-of-work machine (``tests/property/units_of_work``) on the cluster: units of work
that commit or roll back, savepoints, an exception in the block, a cancelled task and a
terminated connection, on two Citus databases holding the sharded ledger, compared step by
step (rows, history, each side's key and entity caches).

The machine is the plain suite's, unchanged; ``open_world`` builds its world on ``ledger_twin``.
It runs on the reference tables alone (geography, written to every node in a two-phase commit)
and on the whole ledger.

Run with ``pytest -s`` to see how often each outcome occurred.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest
from hypothesis.stateful import run_state_machine_as_test

from tests.property.profiles import property_settings
from tests.property.twin import Twin
from tests.property.units_of_work.machine import STEPS, uow_machine
from tests.property.units_of_work.world import World, open_world

GEOGRAPHY = ("country", "country_subdivision", "locality", "location")
#: A fraction of the profile's examples (``ci``: 30 -> 3): a step here is a unit of work on
#: every node (two-phase commits), and ``make test-citus`` stays within a few minutes.
SCALE = 0.1


@pytest.fixture(scope="module")
def geography(ledger_twin: Twin, sharded_ledger: ModuleType) -> Iterator[World]:
    with open_world(ledger_twin, sharded_ledger, GEOGRAPHY) as world:
        yield world


def _run(world: World) -> None:
    STEPS.clear()
    try:
        run_state_machine_as_test(uow_machine(world), settings=property_settings(SCALE))
    finally:
        print(f"\nunits of work: {dict(sorted(STEPS.items()))}")


def test_units_of_work_on_reference_tables(geography: World) -> None:
    _run(geography)


def test_units_of_work_on_the_sharded_ledger(ledger_twin: Twin, sharded_ledger: ModuleType) -> None:
    with open_world(ledger_twin, sharded_ledger) as world:
        _run(world)
