"""Units of work on the batch path and the single-row path agree, step by step.

The stateful machine of :mod:`machine` on the ``tests/golden/codegen/audited`` tables (audited
parent and children with foreign keys, an identity key, a composite key with an array column, a
table without audit): units of work that commit or roll back, savepoints, stale versions, rows
that fail validation or reference missing parents, an exception in the block, a cancelled task
and a terminated connection. After every step: the same outcomes, rows and history on both
sides, and each side's global key cache holds only committed keys.

Run with ``pytest -s`` to see how often each outcome occurred.
"""

from __future__ import annotations

from hypothesis.stateful import run_state_machine_as_test

from ..profiles import property_settings
from .machine import STEPS, uow_machine
from .world import World


def test_units_of_work_agree(uow_world: World) -> None:
    STEPS.clear()  # the planted-bug test runs the same machine in this process
    try:
        run_state_machine_as_test(uow_machine(uow_world), settings=property_settings(0.5))
    finally:
        print(f"\nunits of work: {dict(sorted(STEPS.items()))}")
