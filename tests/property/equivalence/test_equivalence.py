"""The batch path and the single-row path agree: the stateful machine on real tables.

Two families of tables: every shape of the ``shapes`` golden case (plain key, composite key,
identity key, foreign key with a self reference, array and JSON columns, column checks, table
CHECK constraints the runtime mirrors), and a few tables of the example domain's generated package
(``generated/ledger``), each with its parent tables filled first, in foreign-key order, with the
same deterministic rows in both databases.

Run with ``pytest -s`` to see, per table, how often each outcome occurred: a check that the
strategies reach the database paths and not only validation.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from hypothesis.stateful import run_state_machine_as_test

from batchrepo.spec import TableSpec

from ..packages import ddl, table_specs
from ..profiles import property_settings
from ..twin import Twin
from .machine import STEPS, equivalence_machine, prepare

Specs = dict[str, TableSpec[Any, Any]]

#: shapes: table under test -> parent tables filled first (dependency order).
SHAPES: dict[str, tuple[str, ...]] = {
    "plain": (),
    "composite": (),
    "identity_row": (),
    "child": ("parent",),
    "with_arrays": (),
    "stored_forms": (),
    "checked": (),
    "ruled": (),
}
_GEOGRAPHY = ("country", "country_subdivision", "locality", "location")
#: ledger: table under test -> parent tables filled first (dependency order).
LEDGER: dict[str, tuple[str, ...]] = {
    "person": _GEOGRAPHY,
    "account": (*_GEOGRAPHY, "person"),
    "ledger_transaction": (*_GEOGRAPHY, "person", "account"),
}


def _run(twin: Twin, specs: Specs, table: str, parents: tuple[str, ...], scale: float) -> None:
    spec = specs[table]
    parent_specs = [specs[name] for name in parents]
    shape = prepare(twin, spec, parent_specs)
    machine = equivalence_machine(twin, shape, parent_specs)
    try:
        run_state_machine_as_test(machine, settings=property_settings(scale))
    finally:
        print(f"\n{table}: {dict(sorted(STEPS[table].items()))}")


@pytest.fixture(scope="module")
def ledger() -> ModuleType:
    module: ModuleType = pytest.importorskip("ledger", reason="generated/ledger is missing")
    return module


@pytest.fixture(scope="module")
def ledger_twin(twin: Twin, ledger: ModuleType) -> Twin:
    twin.run(twin.execute(ddl(ledger)))
    return twin


@pytest.mark.parametrize("table", list(SHAPES))
def test_shapes(shapes_twin: Twin, shapes_specs: Specs, table: str) -> None:
    _run(shapes_twin, shapes_specs, table, SHAPES[table], scale=1.0)


@pytest.mark.parametrize("table", list(LEDGER))
def test_ledger(ledger_twin: Twin, ledger: ModuleType, table: str) -> None:
    # fewer examples: the ledger's tables are wide and mostly repeat the shapes' column kinds
    _run(ledger_twin, table_specs(ledger), table, LEDGER[table], scale=0.5)
