"""``update_batch(returning=False)`` sends the counting statement: when the count falls short of
the rows sent, the stale or missing rows are named as the returning statement names them.

The equivalence machine found the counting path calling every row stale: it asked for the
versions inside the statement's savepoint, where the rows the statement had updated already
carried their new versions. The probe now runs once the savepoint rolled back.
"""

from __future__ import annotations

import dataclasses
from types import ModuleType

import asyncpg
import pytest

from batchrepo import errors


@pytest.mark.parametrize("returning", [True, False])
async def test_a_short_count_names_the_stale_and_missing_rows_as_returning_does(
    audited_pool: asyncpg.Pool, audited: ModuleType, returning: bool
) -> None:
    repo = audited.CustomerRepository(audited_pool, actor="importer")
    fine, moved = await repo.save_batch([audited.Customer(name="a"), audited.Customer(name="b")])
    await repo.update(dataclasses.replace(moved, name="b2"))  # moved on to version 2
    stale = dataclasses.replace(moved, name="y")
    missing = audited.Customer(name="z", version=1)

    with pytest.raises(errors.StaleVersionError) as caught:
        await repo.update_batch(
            [dataclasses.replace(fine, name="x"), stale, missing], returning=returning
        )
    assert (caught.value.rows, caught.value.expected, caught.value.found) == ([1], [1], [2])
    with pytest.raises(errors.MissingRowsError) as first_missing:
        await repo.update_batch([fine, missing, stale], returning=returning)
    assert first_missing.value.rows == [1]
    assert [c.version for c in await repo.load_batch([fine.id, moved.id])] == [1, 2]
