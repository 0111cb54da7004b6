"""Fixtures of the units-of-work machine: the twin databases (``tests/property/conftest.py``) with
the audited golden package's DDL, and a work connection per side."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest

from batchrepo.session import WritePolicy

from ..packages import ddl, table_specs
from ..twin import Twin
from .machine import World
from .sides import Side


@pytest.fixture(scope="module")
def uow_world(twin: Twin, audited_package: ModuleType) -> Iterator[World]:
    """The twin databases with the audited DDL, and a work connection per side, for the
    units-of-work machine."""
    twin.run(twin.execute(ddl(audited_package)))
    assert twin.urls is not None
    # every batch insert of a table that allows COPY goes by COPY, however small
    batch = Side("batch", twin.urls[0], twin.batch, WritePolicy(copy_from_rows=0))
    single = Side("single", twin.urls[1], twin.single)
    specs = list(table_specs(audited_package).values())
    built = World(twin, batch, single, specs, audited_package.UnitOfWork)
    try:
        yield built
    finally:
        for side in built.sides:
            if side.work is not None and not side.work.is_closed():
                twin.run(side.work.close())
