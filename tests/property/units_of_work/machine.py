"""The stateful machine of units of work: batch side against single-row side, step by step.

Both sides open a unit of work at the same step (same actor), run the same writes in it (the
batch side as batch calls, the single-row side as loops of single-row calls, see
:mod:`calls`), open, release and roll back savepoint scopes, and end it the same way:
commit, an exception raised in the block, a cancelled task, or the connection terminated by an
administrator. Rows are drawn for every table of the audited golden package: foreign keys point
mostly at keys written earlier (which may have been rolled back or deleted since: missing
parents), updates and deletes carry versions seen earlier (current, stale, or never seen),
tweaks add duplicates, existing keys and invalid values.

After every step: both sides had the same outcome; both databases hold the same rows and the
same history (seen inside the open unit of work, else as committed); each side's global key
cache holds only keys of committed rows, with their committed versions. The batch side reads
through an entity cache of every table (loads inside units of work, and of every known key after
each unit ends), and every row it holds is the committed row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from hypothesis import event, note
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from batchrepo.session import Session
from batchrepo.spec import WriteMode

from ..outcome import Outcome, same
from ..strategies.batches import Tweaks, build_batch, tweaks, unique_moves, unique_positions
from ..strategies.rows import Spec, entities, key_values, missing_keys, put
from ..twin import Twin, quote
from .calls import (
    batch_delete,
    batch_load,
    batch_write,
    committed_load,
    ended,
    single_delete,
    single_load,
    single_write,
)
from .checks import cache_problems, entity_problems, history_differences, stored_versions
from .driver import Command
from .sides import Side
from .world import World

#: Most rows of a drawn batch.
MAX_BATCH = 4
#: Deepest nesting of savepoint scopes.
MAX_DEPTH = 2
#: How a unit of work ends, as often as listed (shrinks towards the first).
ENDINGS = [
    "commit",
    "commit",
    "raise",
    "cancel",
    "terminate then commit",
    "terminate then raise",
    "terminate then call",
]
#: Outcomes of the steps run (printed by the tests: run pytest with -s to see them).
STEPS: Counter[str] = Counter()

Call = Callable[[Any], Awaitable[Outcome]]


def _version_position(spec: Spec) -> int | None:
    return None if spec.audit is None else spec.audit.version_column


class Knowledge:
    """What the machine saw: keys written per table (in order) and every version seen per key.
    Keys stay known after their rows are rolled back or deleted: they make missing parents,
    missing rows and stale versions."""

    def __init__(self) -> None:
        self.keys: dict[str, list[Any]] = {}
        self.versions: dict[tuple[str, Any], set[int]] = {}

    def learn(self, spec: Spec, items: Sequence[Any]) -> None:
        at = _version_position(spec)
        for item in items:
            if item is None:
                continue
            key = spec.key_of(item)
            known = self.keys.setdefault(spec.table, [])
            if key not in known:
                known.append(key)
            if at is not None:
                version = getattr(item, spec.columns[at].attr)
                self.versions.setdefault((spec.table, key), set()).add(version)

    def version_choices(self, spec: Spec, key: Any) -> list[int | None]:
        """None (no check), every version seen, and one past the newest (never seen)."""
        seen = sorted(self.versions.get((spec.table, key), set()))
        return [None, *seen, (seen[-1] if seen else 1) + 1]


def uow_machine(
    world: World,
    *,
    max_batch: int = MAX_BATCH,
    history: bool = True,
    endings: Sequence[str] = ENDINGS,
) -> type[RuleBasedStateMachine]:
    """The machine class over ``world``; ``history=False`` skips comparing history tables and
    ``endings`` narrows how units of work end (for a test about one check)."""
    specs = {spec.table: spec for spec in world.specs}
    names = list(specs)

    class UnitsOfWork(RuleBasedStateMachine):
        """Units of work on both sides (see the module docstring)."""

        def __init__(self) -> None:
            super().__init__()
            world.run(world.reset())
            self.known = Knowledge()
            self.open = False
            self.depth = 0

        # -- drawing ---------------------------------------------------------------------------

        def _draw_table(self, data: st.DataObject, with_keys: bool = False) -> Spec:
            """A table; with_keys: one with keys written earlier; else mostly one whose parent
            tables have rows now (children of missing parents can only fail)."""
            if with_keys:
                choices = [t for t in names if self.known.keys.get(t)]
            else:
                parented = [t for t in names if self._parents_live(specs[t])]
                any_table = data.draw(st.integers(0, 3), label="any table") == 3
                choices = names if any_table else parented
            return specs[data.draw(st.sampled_from(choices or names), label="table")]

        def _parents_live(self, spec: Spec) -> bool:
            return all(self._live_keys(fk.parent_table) for fk in spec.foreign_keys)

        def _live_keys(self, table: str) -> list[Any]:
            """The known keys of ``table`` whose rows exist now, as the open unit of work sees
            them (else as committed), in the batch database (both hold the same rows)."""
            known = self.known.keys.get(table, [])
            if not known:
                return []
            conn = world.batch.connection if self.open else world.twin.batch
            stored = world.run(stored_versions(conn, specs[table]))
            return [key for key in known if key in stored]

        def _draw_key(self, data: st.DataObject, table: str, label: str) -> Any:
            """A key written earlier: mostly one whose row exists now (so children and updates
            get written, and the cache and history have something to hold), else any, which
            may have been rolled back or deleted since."""
            live = self._live_keys(table)
            if live and data.draw(st.integers(0, 3), label=f"{label} live") < 3:
                return data.draw(st.sampled_from(live), label=label)
            return data.draw(st.sampled_from(self.known.keys[table]), label=label)

        def _point_at_parents(self, data: st.DataObject, spec: Spec, items: list[Any]) -> list[Any]:
            """Foreign keys mostly to keys written earlier; now and then the drawn (missing)
            value, or NULL where allowed."""
            out = []
            for item in items:
                for fk in spec.foreign_keys:
                    parents = self.known.keys.get(fk.parent_table)
                    choice = data.draw(st.integers(0, 9), label=f"{fk.name} choice")
                    if choice < 8 and parents:
                        parent = self._draw_key(data, fk.parent_table, fk.name)
                        item = put(
                            spec, item, fk.columns, key_values(specs[fk.parent_table], parent)
                        )
                    elif choice == 8 and all(spec.columns[c].nullable for c in fk.columns):
                        item = put(spec, item, fk.columns, [None] * len(fk.columns))
                out.append(item)
            return out

        def _with_versions(self, data: st.DataObject, spec: Spec, items: list[Any]) -> list[Any]:
            at = _version_position(spec)
            if at is None:
                return items
            out = []
            for item in items:
                choices = self.known.version_choices(spec, spec.key_of(item))
                version = data.draw(st.sampled_from(choices), label="version")
                out.append(put(spec, item, [at], [version]))
            return out

        def _draw_rows(self, data: st.DataObject, spec: Spec, mode: WriteMode) -> list[Any]:
            shape = world.shapes[spec.table]
            known = self.known.keys.get(spec.table, [])
            fresh = data.draw(
                st.lists(entities(shape, mode), min_size=mode == "insert", max_size=max_batch),
                label="fresh",
            )
            existing: list[tuple[Any, Any]] = []
            if known and not (mode == "insert" and _identity(spec)):
                # updates mostly of rows that exist now (else most would miss their row)
                live = self._live_keys(spec.table) if mode == "update" else []
                if live and data.draw(st.integers(0, 3), label="existing live") < 3:
                    known = live
                pairs = st.tuples(st.sampled_from(known), entities(shape, mode))
                size = max_batch if mode == "update" else 1
                existing = data.draw(
                    st.lists(pairs, max_size=size, unique_by=lambda p: p[0]), label="existing"
                )
            if mode == "update":  # fresh rows of an update are missing rows: one at most
                fresh = fresh[:1] if data.draw(st.integers(0, 3), label="missing") == 3 else []
            tweak: Tweaks = data.draw(tweaks(shape), label="tweaks")
            fresh = self._point_at_parents(data, spec, fresh)
            bodies = self._point_at_parents(data, spec, [body for _key, body in existing])
            existing = [(key, body) for (key, _old), body in zip(existing, bodies, strict=True)]
            items = build_batch(shape, mode, fresh, existing, [], tweak)
            at = _version_position(spec)
            if mode == "insert" and at is not None:
                return [put(spec, item, [at], [None]) for item in items]
            return self._with_versions(data, spec, items)

        # -- running ---------------------------------------------------------------------------

        def _both(self, what: str, batch_call: Call, single_call: Call) -> tuple[Outcome, Outcome]:
            async def run() -> tuple[Outcome, Outcome]:
                assert world.batch.driver is not None and world.single.driver is not None
                batch = await world.batch.driver.call(batch_call)
                single = await world.single.driver.call(single_call)
                for spec in world.specs:
                    await world.twin.align_sequences(spec)
                return batch, single

            batch, single = world.run(run())
            self._compare(what, batch, single)
            return batch, single

        def _compare(self, what: str, batch: Outcome, single: Outcome) -> None:
            operation = what.split()[0]
            outcome = f"{operation}: {(batch.error or 'ok')[:40]}"
            if batch.problems:
                outcome += f" {sorted({code for _row, _field, code in batch.problems})}"
            event(outcome)
            STEPS[outcome] += 1
            if not same(batch, single):
                raise AssertionError(f"{what} differs\n  batch:  {batch}\n  single: {single}")
            if batch.error is not None and batch.error.startswith("unexpected"):
                raise AssertionError(f"{what} raises outside the BatchRepoError hierarchy: {batch}")

        def _write(self, spec: Spec, mode: WriteMode, items: list[Any]) -> None:
            if mode == "update" and len(spec.uniques) > 1:
                items = self._without_unique_moves(spec, items)
            note(f"{mode} {spec.table}: {items!r}")
            batch, _single = self._both(
                f"{mode} of {len(items)} {spec.table} rows",
                lambda uow: batch_write(uow, spec, mode, items),
                lambda uow: single_write(uow, spec, mode, items),
            )
            if batch.error is None:
                self.known.learn(spec, batch.raw)

        def _without_unique_moves(self, spec: Spec, items: list[Any]) -> list[Any]:
            """Drop rows taking a unique value another row of the batch holds (see
            :func:`batches.unique_moves`: the paths cannot be compared there)."""
            positions = [*spec.key_columns, *unique_positions(spec)]
            columns = ", ".join(quote(spec.columns[p].name) for p in positions)
            sql = f"SELECT {columns} FROM {quote(spec.table)}"
            records = world.run(world.batch.connection.fetch(sql))
            moved = unique_moves(spec, [tuple(r.values()) for r in records], items)
            if moved:
                note(f"rows {moved} dropped: they take a unique value from another row")
            return [item for row, item in enumerate(items) if row not in moved]

        # -- rules: writes inside the open unit of work ----------------------------------------

        @precondition(lambda self: self.open)
        @rule(data=st.data())
        def insert(self, data: st.DataObject) -> None:
            spec = self._draw_table(data)
            self._write(spec, "insert", self._draw_rows(data, spec, "insert"))

        @precondition(lambda self: self.open and any(self.known.keys.values()))
        @rule(data=st.data())
        def update(self, data: st.DataObject) -> None:
            spec = self._draw_table(data, with_keys=True)
            if spec.sql.update_batch is None:
                return
            self._write(spec, "update", self._draw_rows(data, spec, "update"))

        @precondition(lambda self: self.open and any(self.known.keys.values()))
        @rule(data=st.data())
        def delete(self, data: st.DataObject) -> None:
            spec = self._draw_table(data, with_keys=True)
            shape = world.shapes[spec.table]
            known = st.sampled_from(self.known.keys[spec.table])
            drawn = st.one_of(known, known, missing_keys(shape))
            # a key may repeat, each time with a version of its own: the loop decides it at its
            # first occurrence (test_generated_unit_of_work has the case that was wrong)
            keys = data.draw(st.lists(drawn, max_size=3), label="keys")
            versions = [
                data.draw(st.sampled_from(self.known.version_choices(spec, key)), label="version")
                if spec.audit is not None
                else None
                for key in keys
            ]
            note(f"delete {spec.table}: keys {keys!r} versions {versions!r}")
            self._both(
                f"delete of {len(keys)} {spec.table} keys",
                lambda uow: batch_delete(uow, spec, keys, versions),
                lambda uow: single_delete(uow, spec, keys, versions),
            )

        @precondition(lambda self: self.open and any(self.known.keys.values()))
        @rule(data=st.data())
        def load(self, data: st.DataObject) -> None:
            """Loads see the unit's own writes; the versions they return may go stale later."""
            spec = self._draw_table(data, with_keys=True)
            keys = data.draw(st.lists(st.sampled_from(self.known.keys[spec.table]), max_size=4))
            batch, _single = self._both(
                f"load of {len(keys)} {spec.table} keys",
                lambda uow: batch_load(uow, spec, keys),
                lambda uow: single_load(uow, spec, keys),
            )
            if batch.error is None:
                self.known.learn(spec, batch.raw)

        def _load_committed(self) -> None:
            """After a unit of work: every known key loaded outside any unit, through the batch
            side's entity cache (``load_batch``: hits, then fills) and one by one on the other
            side. It draws nothing, so the machine explores the same steps as without it."""

            async def run(spec: Spec, keys: list[Any]) -> list[Outcome]:
                found = []
                for side in world.sides:
                    await side.connect()
                    session = Session(side.connection, cache=side.cache)
                    found.append(await committed_load(session, spec, keys, side is world.batch))
                return found

            for spec in world.specs:
                keys = self.known.keys.get(spec.table, [])[: MAX_BATCH * 2]
                if keys:
                    batch, single = world.run(run(spec, keys))
                    self._compare(f"load_committed of {len(keys)} {spec.table} keys", batch, single)

        # -- rules: the unit of work and its savepoints ----------------------------------------
        # Few rules, each drawing what it does: Hypothesis picks among enabled rules evenly, and
        # one rule per ending would end most units of work before they wrote anything.

        @precondition(lambda self: not self.open)
        @rule()
        def begin(self) -> None:
            async def run() -> None:
                for side in world.sides:
                    await side.open(world.unit_of_work)

            world.run(run())
            self.open, self.depth = True, 0

        @precondition(lambda self: self.open)
        @rule(action=st.sampled_from(["savepoint", "release", "rollback_savepoint"]))
        def scope(self, action: str) -> None:
            """Open a savepoint scope, or leave the innermost one (release, or an exception)."""
            if self.depth == 0 or (self.depth < MAX_DEPTH and action == "savepoint"):
                action = "savepoint"
            elif action == "savepoint":
                action = "release"

            async def run() -> None:
                for side in world.sides:
                    assert side.driver is not None
                    await side.driver.send(Command(action))  # type: ignore[arg-type]

            world.run(run())
            self.depth += 1 if action == "savepoint" else -1

        def _end(self, how: str, start: Callable[[Side], Awaitable[None]]) -> None:
            async def run() -> list[str]:
                for side in world.sides:
                    await start(side)
                endings = []
                for side in world.sides:
                    exc, raised = await side.finish()
                    endings.append(ended(exc, raised))
                return endings

            batch, single = world.run(run())
            self.open, self.depth = False, 0
            event(f"{how}: {batch[:40]}")
            STEPS[f"{how}: {batch[:40]}"] += 1
            if batch != single:
                raise AssertionError(
                    f"{how} ended differently\n  batch:  {batch}\n  single: {single}"
                )
            for side in world.sides:
                if side.left_in_transaction:
                    raise AssertionError(
                        f"{how}: the {side.name} unit of work ended ({batch}) leaving its"
                        " connection inside a transaction (its rollback did not happen)"
                    )
            self._load_committed()

        @precondition(lambda self: self.open)
        @rule(how=st.sampled_from(list(endings)), data=st.data())
        def end(self, how: str, data: st.DataObject) -> None:
            """Leave the block: commit, raise, cancel the task during a write, or terminate the
            connection first (then commit, raise, or run a statement that finds it gone)."""
            if how == "cancel":
                self._cancel(data)
                return
            if how.startswith("terminate"):
                self._terminate(how.split()[-1])
                return

            async def start(side: Side) -> None:
                assert side.driver is not None
                await side.driver.post(Command("commit" if how == "commit" else "raise"))

            self._end(how, start)

        def _cancel(self, data: st.DataObject) -> None:
            """Cancel the block's task some loop turns into a write (wherever it awaits)."""
            ticks = data.draw(st.integers(0, 40), label="ticks")
            spec = self._draw_table(data)
            items = self._draw_rows(data, spec, "insert")
            note(f"insert {spec.table} cancelled after {ticks} ticks: {items!r}")
            calls = {
                world.batch.name: lambda uow: batch_write(uow, spec, "insert", items),
                world.single.name: lambda uow: single_write(uow, spec, "insert", items),
            }

            async def start(side: Side) -> None:
                assert side.driver is not None
                await side.driver.cancel_after(Command("call", calls[side.name]), ticks)
                if side.driver.swallowed_cancellations:
                    STEPS["cancel: swallowed (known bug, see driver.cancel_after)"] += 1

            self._end("cancel", start)

        def _terminate(self, then: str) -> None:
            """An administrator terminates the unit's connection; then the block commits,
            raises, or runs a statement (which finds the connection gone)."""

            async def start(side: Side) -> None:
                driver = side.driver
                assert driver is not None
                await side.terminate()
                if then == "call":
                    try:  # finds the connection gone; the failure leaves the block
                        await driver.call(lambda uow: uow.connection.fetchval("SELECT 1"))
                    except Exception:
                        return  # how the block ended is compared by _end
                    await driver.post(Command("commit"))
                else:
                    await driver.post(Command("commit" if then == "commit" else "raise"))

            self._end(f"terminate, {then}", start)

        # -- after every step ------------------------------------------------------------------

        @invariant()
        def same_state(self) -> None:
            async def problems() -> list[str]:
                seen = world.twin
                if self.open:  # what the unit of work sees, its uncommitted writes included
                    seen = Twin(seen.loop, world.batch.connection, world.single.connection)
                found = await seen.differences(world.specs)
                if history:
                    found += await history_differences(seen.batch, seen.single, world.specs)
                for side in world.sides:
                    found += await cache_problems(side.admin, side.cache, world.specs, side.name)
                    found += await entity_problems(side.admin, side.cache, world.specs, side.name)
                return found

            found = world.run(problems())
            if found:
                state = "inside the open unit of work" if self.open else "committed"
                raise AssertionError(f"after this step ({state}):\n" + "\n".join(found))

        def teardown(self) -> None:
            if not self.open:
                return

            async def run() -> None:
                for side in world.sides:
                    if side.driver is not None:
                        await side.driver.post(Command("raise"))
                        await side.finish()

            world.run(run())

    UnitsOfWork.__name__ = UnitsOfWork.__qualname__ = "UnitsOfWork"
    return UnitsOfWork


def _identity(spec: Spec) -> bool:
    return any(spec.columns[p].identity for p in spec.key_columns)
