"""Writes that meet existing keys without failing: ``save_if_new`` skips such rows and says so,
an upsert on a unique key updates the row it finds (which keeps its primary key). History follows
what happened (inserted, changed, neither), and two sessions racing on the same new keys never
fail (``ON CONFLICT``: the unique index decides).

The equivalence machine (tests/property/equivalence) runs the batches against loops of the
single-row calls on every shape; these tests pin what it does not see: history rows,
concurrency, and the errors of a key that cannot be used.
"""

from __future__ import annotations

import asyncio
from types import ModuleType

import asyncpg
import pytest

from batchrepo import operations as ops
from batchrepo.session import as_session


async def _history(pool: asyncpg.Pool) -> list[tuple[str, str]]:
    rows = await pool.fetch('SELECT name, operation::text FROM "customer_history" ORDER BY name')
    return [(r["name"], r["operation"]) for r in rows]


async def test_existing_rows_are_skipped_and_only_new_ones_get_history(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    await audited_pool.execute('TRUNCATE "customer", "customer_history", "audit_log" CASCADE')
    customer = audited.customer
    session = as_session(audited_pool, actor="importer")
    spec = customer.CUSTOMER_TABLE
    first = await ops.save_batch(session, spec, [customer.Customer(name="a", email="a@x")])
    again = [
        customer.Customer(name="b", email="b@x"),
        customer.Customer(id=first[0].id, name="a changed", email="a2@x"),  # key taken: skipped
        customer.Customer(name="c", email="a@x"),  # taken email, skipped when skipping on email
    ]
    by_key = await ops.save_batch_if_new(session, spec, again[:2])
    assert [row is None for row in by_key] == [False, True]
    assert by_key[0] is not None and by_key[0].version == 1
    by_email = await ops.save_batch_if_new(session, spec, again[2:], on="email")
    assert by_email == [None]
    assert await ops.save_if_new(session, spec, again[1]) is None
    assert await _history(audited_pool) == [("a", "insert"), ("b", "insert")]
    stored = await audited_pool.fetchval('SELECT name FROM "customer" WHERE id = $1', first[0].id)
    assert stored == "a"  # the skipped row left the stored one alone


async def test_two_sessions_inserting_the_same_new_keys_at_once(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    """Each key is inserted once, by whichever session got there first; the other skips it,
    with no error and no duplicate history (the second waits on the first's uncommitted row)."""
    await audited_pool.execute('TRUNCATE "customer", "customer_history", "audit_log" CASCADE')
    customer = audited.customer
    spec = customer.CUSTOMER_TABLE
    rows = [customer.Customer(name=f"n{i}", email=f"{i}@x") for i in range(50)]
    async with audited_pool.acquire() as one, audited_pool.acquire() as two:
        first_tx, second_tx = one.transaction(), two.transaction()
        await first_tx.start()
        await second_tx.start()
        first = await ops.save_batch_if_new(as_session(one, actor="one"), spec, rows)
        # the second blocks on the first's uncommitted keys until it commits
        second_task = asyncio.ensure_future(
            ops.save_batch_if_new(as_session(two, actor="two"), spec, rows)
        )
        await asyncio.sleep(0.2)
        assert not second_task.done()
        await first_tx.commit()
        second = await second_task
        await second_tx.commit()
    assert all(row is not None for row in first)
    assert second == [None] * len(rows)
    assert await audited_pool.fetchval('SELECT count(*) FROM "customer"') == 50
    assert await audited_pool.fetchval('SELECT count(*) FROM "customer_history"') == 50


async def test_a_key_drawn_by_the_database_cannot_be_skipped_on(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    entry = audited.ledger_entry
    session = as_session(audited_pool, actor="importer")
    with pytest.raises(TypeError, match="drawn by the database"):
        await ops.save_batch_if_new(session, entry.LEDGER_ENTRY_TABLE, [], on="primary_key")
    with pytest.raises(KeyError, match="has no key 'nope'"):
        await ops.save_if_new(session, entry.LEDGER_ENTRY_TABLE, None, on="nope")


async def test_an_audited_upsert_on_a_unique_key_writes_what_changed(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    """Found by email, a row keeps its primary key; changed rows get a version and an
    ``update`` history row, unchanged rows neither, new rows an ``insert`` one."""
    await audited_pool.execute('TRUNCATE "customer", "customer_history", "audit_log" CASCADE')
    customer = audited.customer
    spec = customer.CUSTOMER_TABLE
    session = as_session(audited_pool, actor="importer")
    a, b = await ops.save_batch(
        session,
        spec,
        [customer.Customer(name="a", email="a@x"), customer.Customer(name="b", email="b@x")],
    )
    upserted = await ops.upsert_batch(
        session,
        spec,
        [
            customer.Customer(name="a", email="a@x"),  # unchanged (a new id, found by email)
            customer.Customer(name="B", email="b@x"),  # changed
            customer.Customer(name="c", email="c@x"),  # new
        ],
        on="email",
    )
    assert [(u.id == a.id, u.version) for u in upserted[:1]] == [(True, 1)]
    assert (upserted[1].id, upserted[1].name, upserted[1].version) == (b.id, "B", 2)
    assert upserted[2].version == 1
    assert await _history(audited_pool) == [
        ("B", "update"),
        ("a", "insert"),
        ("b", "insert"),
        ("c", "insert"),
    ]


async def test_an_upsert_returns_a_row_another_session_inserted_while_it_waited(
    audited: ModuleType, audited_pool: asyncpg.Pool
) -> None:
    """The unchanged row was committed by another transaction after the upsert's snapshot was
    taken: the statement cannot return it, the runtime reads it afterwards."""
    await audited_pool.execute('TRUNCATE "customer", "customer_history", "audit_log" CASCADE')
    customer = audited.customer
    spec = customer.CUSTOMER_TABLE
    row = customer.Customer(name="same", email="same@x")
    async with audited_pool.acquire() as one, audited_pool.acquire() as two:
        first = one.transaction()
        await first.start()
        (inserted,) = await ops.save_batch(as_session(one, actor="one"), spec, [row])
        waiting = asyncio.ensure_future(
            ops.upsert_batch(
                as_session(two, actor="two"),
                spec,
                [
                    customer.Customer(name="same", email="same@x"),
                    customer.Customer(name="x", email="x@x"),
                ],
                on="email",
            )
        )
        await asyncio.sleep(0.2)
        assert not waiting.done()
        await first.commit()
        upserted = await waiting
    assert [u.id for u in upserted][:1] == [inserted.id]
    assert upserted[0].version == 1 and upserted[1].email == "x@x"
    assert await _history(audited_pool) == [("same", "insert"), ("x", "insert")]
