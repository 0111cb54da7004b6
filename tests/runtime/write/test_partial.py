"""Partial-column updates: ``update(item, columns=[...])`` and ``update_batch(items, columns=...)``
write and check the named columns only; the others keep their stored values, whatever the
entities hold.

The equivalence machine runs the batch against the single-row path for random column choices;
both go through the same derived spec (``batchrepo.write.partial``), so these tests check that
spec against the database on its own: stored values kept, checks skipped where nothing is
written, versions and history of audited rows.
"""

from __future__ import annotations

from types import ModuleType

import asyncpg
import pytest

from batchrepo import errors
from batchrepo import operations as ops
from batchrepo.session import as_session


async def test_only_the_named_columns_are_written_and_checked(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    await audited_pool.execute('TRUNCATE "customer", "customer_history", "audit_log" CASCADE')
    customer = audited.customer
    spec = customer.CUSTOMER_TABLE
    session = as_session(audited_pool, actor="importer")
    saved = await ops.save_batch(
        session, spec, [customer.Customer(name=f"n{i}", email=f"{i}@x") for i in range(3)]
    )
    # email changes, name is a placeholder far too long for varchar(100): not written, not checked
    changed = [
        customer.Customer(id=s.id, name="x" * 500, email=f"new{i}@x", version=s.version)
        for i, s in enumerate(saved)
    ]
    updated = await ops.update_batch(session, spec, changed, columns=["email"])
    assert [(u.name, u.email, u.version) for u in updated] == [
        (f"n{i}", f"new{i}@x", 2) for i in range(3)
    ]
    same = customer.Customer(id=saved[0].id, name="n0", email=None, version=2)
    unchanged = await ops.update_one(session, spec, same, columns=["name"])
    assert (unchanged.version, unchanged.email) == (2, "new0@x")  # nothing changed: no version
    history = await audited_pool.fetch(
        "SELECT name, email, version FROM \"customer_history\" WHERE operation = 'update' "
        "ORDER BY email"
    )
    assert [(h["name"], h["email"], h["version"]) for h in history] == [
        (f"n{i}", f"new{i}@x", 2) for i in range(3)
    ]


async def test_a_named_column_is_still_checked(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    await audited_pool.execute('TRUNCATE "customer", "customer_history", "audit_log" CASCADE')
    customer = audited.customer
    spec = customer.CUSTOMER_TABLE
    session = as_session(audited_pool, actor="importer")
    (saved,) = await ops.save_batch(session, spec, [customer.Customer(name="a", email="a@x")])
    too_long = customer.Customer(id=saved.id, name="x" * 500, email=None, version=1)
    with pytest.raises(errors.ValidationError) as refused:
        await ops.update_batch(session, spec, [too_long], columns=["name"])
    assert [p.field for p in refused.value.report.problems] == ["name"]
    stale = customer.Customer(id=saved.id, name="b", email=None, version=7)
    with pytest.raises(errors.StaleVersionError):
        await ops.update_one(session, spec, stale, columns=["name"])
    stored = await audited_pool.fetchrow('SELECT name, email FROM "customer"')
    assert (stored["name"], stored["email"]) == ("a", "a@x")


async def test_unknown_or_no_columns_are_refused(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    account = audited.account
    session = as_session(audited_pool, actor="importer")
    with pytest.raises(ValueError, match="has no column 'balanse' to update"):
        await ops.update_batch(session, account.ACCOUNT_TABLE, [], columns=["balanse"])
    with pytest.raises(ValueError, match="updates nothing"):
        await ops.update_batch(session, account.ACCOUNT_TABLE, [], columns=[])
