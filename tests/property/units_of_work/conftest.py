"""Fixtures of the units-of-work machine: the twin databases (``tests/property/conftest.py``) with
the audited golden package's DDL, and a work connection per side."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest

from ..packages import ddl
from ..twin import Twin
from .world import World, open_world


@pytest.fixture(scope="module")
def uow_world(twin: Twin, audited_package: ModuleType) -> Iterator[World]:
    """The twin databases with the audited DDL, and a work connection per side, for the
    units-of-work machine."""
    twin.run(twin.execute(ddl(audited_package)))
    with open_world(twin, audited_package) as world:
        yield world
