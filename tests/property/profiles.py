"""Hypothesis settings of the property suite: ``ci`` by default, ``long`` on request.

``BATCHREPO_PROPERTY_PROFILE=long`` (or ``ci``) selects the profile;
``BATCHREPO_PROPERTY_EXAMPLES`` overrides the number of examples of either;
``BATCHREPO_PROPERTY_SHRINK=0`` skips shrinking (a first look at a failure without waiting
minutes for the minimal example); ``BATCHREPO_PROPERTY_STRICT=1`` tolerates no known bug
(``equivalence/known.py``).

``ci`` is derandomized (the same examples on every run, so the suite's time and verdict are
stable) and keeps the whole suite within about three minutes on two cores. ``long`` draws fresh
random examples and runs longer sequences; use it after touching the runtime or the generator.
A database is involved, so no deadline.

The profiles are applied per test (``settings=`` of each run), never loaded globally, so they do
not change other tests' Hypothesis settings.

Under ``pytest -n`` (``make test``) the xdist workers cannot clash over examples: ``ci`` keeps
no example database (``database=None``) and derives its examples from each test alone
(``derandomize``), so every worker draws the same ones; ``long`` keeps Hypothesis' directory
database in ``.hypothesis/``, keyed per test (a test runs in one worker) and written atomically.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

_QUIET_CHECKS = [
    HealthCheck.too_slow,
    HealthCheck.filter_too_much,
    HealthCheck.data_too_large,
    HealthCheck.large_base_example,
]

settings.register_profile(
    "batchrepo-ci",
    max_examples=30,
    stateful_step_count=12,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=_QUIET_CHECKS,
)
settings.register_profile(
    "batchrepo-long",
    max_examples=300,
    stateful_step_count=30,
    deadline=None,
    derandomize=False,
    print_blob=True,
    suppress_health_check=_QUIET_CHECKS,
)

PROFILE_NAME = os.environ.get("BATCHREPO_PROPERTY_PROFILE", "ci")
if PROFILE_NAME not in ("ci", "long"):
    raise ValueError(f"BATCHREPO_PROPERTY_PROFILE must be ci or long, not {PROFILE_NAME!r}")


def property_settings(scale: float = 1.0) -> settings:
    """The selected profile; ``scale`` shrinks or grows its number of examples for one test."""
    chosen = settings.get_profile(f"batchrepo-{PROFILE_NAME}")
    examples = int(os.environ.get("BATCHREPO_PROPERTY_EXAMPLES", chosen.max_examples))
    phases = list(Phase)
    if os.environ.get("BATCHREPO_PROPERTY_SHRINK", "1") == "0":
        phases.remove(Phase.shrink)
    return settings(chosen, max_examples=max(1, round(examples * scale)), phases=phases)
