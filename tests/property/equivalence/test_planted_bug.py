"""The machine catches a bug planted in one batch path.

A copy of the ``plain`` TableSpec gets an ``update_batch`` statement whose SET clause forgets one
column: a batch update then reports success and returns the rows, but the column keeps its old
value, while ``update_one`` writes it. The single-row path is untouched. The machine must fail,
and Hypothesis must shrink the failure to a short, readable sequence of steps (printed with
``pytest -s``).
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from batchrepo.spec import TableSpec

from ..profiles import PROFILE_NAME, property_settings
from ..twin import Twin, quote
from .machine import equivalence_machine, prepare

Spec = TableSpec[Any, Any]


def without_set_column(spec: Spec, column: str) -> Spec:
    """``spec`` whose update_batch statement no longer assigns ``column``."""
    statement = spec.sql.update_batch
    assert statement is not None
    assignment = f"{quote(column)} = u.{quote(column)}, "
    assert assignment in statement, statement
    broken_sql = dataclasses.replace(spec.sql, update_batch=statement.replace(assignment, "", 1))
    return dataclasses.replace(spec, sql=broken_sql)


def test_machine_catches_an_update_batch_that_drops_a_column(
    shapes_twin: Twin, shapes_specs: dict[str, Spec]
) -> None:
    broken = without_set_column(shapes_specs["plain"], "label")
    shape = prepare(shapes_twin, broken)
    # small batches and short runs: the bug shows in any successful update
    machine = equivalence_machine(shapes_twin, shape, max_batch=3)
    # Shrinking replays the machine hundreds of times (minutes): the ci profile only checks that
    # the bug is caught; the long profile (or BATCHREPO_PROPERTY_SHRINK=1) shows the minimal
    # example, as quoted in the module docstring.
    shrink = PROFILE_NAME == "long" or os.environ.get("BATCHREPO_PROPERTY_SHRINK") == "1"
    phases = tuple(Phase) if shrink else tuple(p for p in Phase if p != Phase.shrink)
    chosen = settings(property_settings(), max_examples=50, stateful_step_count=6, phases=phases)
    with pytest.raises(AssertionError) as caught:
        run_state_machine_as_test(machine, settings=chosen)
    message = str(caught.value)
    assert "plain: update of" in message or "plain: after update of" in message, message
    steps = "\n".join(getattr(caught.value, "__notes__", []))
    assert "state.update(" in steps, steps
    print(f"\n--- planted bug: update_batch without SET label ---\n{message}\n{steps}")
