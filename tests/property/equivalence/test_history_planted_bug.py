"""The machine compares history reads: a bug planted in the batch history statement is caught.

A copy of the ledger's ``person`` spec gets a ``select_history_batch`` that lists each key's
versions newest first, while ``load_history`` (one key) keeps the order written. Any key with
two versions (inserted, then updated or deleted) read through both paths shows it.
"""

from __future__ import annotations

import dataclasses
from types import ModuleType
from typing import Any

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from batchrepo.spec import TableSpec

from ..packages import ddl, table_specs
from ..profiles import property_settings
from ..twin import Twin
from .machine import equivalence_machine, prepare

Spec = TableSpec[Any, Any]
GEOGRAPHY = ("country", "country_subdivision", "locality", "location")


def newest_first(spec: Spec) -> Spec:
    audit = spec.audit
    assert audit is not None and audit.select_history_batch is not None
    order = 'ORDER BY h."history_id"'
    assert audit.select_history_batch.endswith(order), audit.select_history_batch
    broken = dataclasses.replace(audit, select_history_batch=audit.select_history_batch + " DESC")
    return dataclasses.replace(spec, audit=broken)


def test_machine_catches_a_history_batch_in_the_wrong_order(twin: Twin) -> None:
    ledger: ModuleType = pytest.importorskip("ledger", reason="generated/ledger is missing")
    twin.run(twin.execute(ddl(ledger)))
    specs = table_specs(ledger)
    broken = newest_first(specs["person"])
    parents = [specs[name] for name in GEOGRAPHY]
    machine = equivalence_machine(twin, prepare(twin, broken, parents), parents, max_batch=3)
    phases = tuple(p for p in Phase if p != Phase.shrink)
    chosen = settings(property_settings(), max_examples=60, stateful_step_count=10, phases=phases)
    with pytest.raises(AssertionError) as caught:
        run_state_machine_as_test(machine, settings=chosen)
    assert "person: history of" in str(caught.value), caught.value
