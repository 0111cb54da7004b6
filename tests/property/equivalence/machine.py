"""The stateful equivalence machine: every step runs one operation on both databases.

:func:`equivalence_machine` builds a ``RuleBasedStateMachine`` for one table. Its rules save,
update, upsert, delete, load, check existence and (audited tables) read the history of batches
drawn from new keys, keys saved earlier (the ``keys`` bundle, including keys deleted since),
missing keys and duplicates inside the batch. After every step it asserts that both sides had the
same :class:`Outcome` and that both databases hold the same rows (the table under test and its
parents).

:func:`prepare` fills the parent tables of the table under test with the same deterministic rows
in both databases, once per test; each example then starts from an empty table under test.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from hypothesis import event, note
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, multiple, precondition, rule

from batchrepo import operations
from batchrepo.session import as_session
from batchrepo.spec import WriteMode
from batchrepo.write.partial import partial
from batchrepo.write.upserts import upserting

from ..history_outcome import batch_history, single_history
from ..outcome import (
    ACTOR,
    COPY_ALWAYS,
    STATEMENTS_ONLY,
    Outcome,
    batch_if_new,
    batch_read,
    batch_write,
    counted,
    same,
    single_if_new,
    single_read,
    single_write,
)
from ..strategies.batches import Tweaks, build_batch, tweaks, unique_moves, unique_positions
from ..strategies.rows import Spec, TableShape, entities, get, missing_keys, sample_rows, shape_of
from ..twin import Twin
from ..validate_outcome import batch_validate, single_validate
from .known import KnownBug, known_bug

#: Most rows of a drawn batch (before a tweak adds a duplicate).
MAX_BATCH = 6
#: Rows written to each parent table.
PARENT_ROWS = 4
#: Outcomes of the steps run, by table (printed by the tests: run pytest with -s to see them).
STEPS: defaultdict[str, Counter[str]] = defaultdict(Counter)


async def _fill_parents(twin: Twin, parents: Sequence[Spec]) -> dict[str, list[Any]]:
    """Fill ``parents`` (dependency order) alike in both databases; their rows by table."""
    saved: dict[str, list[Any]] = {}
    for spec in parents:
        shape = shape_of(spec, _keys_for(spec, saved, parents))
        items = sample_rows(shape, PARENT_ROWS)
        saved[spec.table] = await operations.save_batch(
            as_session(twin.batch, actor=ACTOR), spec, items
        )
        await operations.save_batch(as_session(twin.single, actor=ACTOR), spec, items)
    return saved


def _keys_for(
    spec: Spec, saved: dict[str, list[Any]], parents: Sequence[Spec]
) -> dict[str, list[tuple[Any, ...]]]:
    """For each foreign key of ``spec`` to a filled table: the referenced values of its rows."""
    by_table = {p.table: p for p in parents}
    found = {}
    for fk in spec.foreign_keys:
        parent = by_table.get(fk.parent_table)
        if parent is None or fk.parent_table not in saved or parent is spec:
            continue
        positions = [
            next(i for i, c in enumerate(parent.columns) if c.name == n) for n in fk.parent_columns
        ]
        found[fk.name] = [get(parent, row, positions) for row in saved[fk.parent_table]]
    return found


def prepare(twin: Twin, spec: Spec, parents: Sequence[Spec] = ()) -> TableShape:
    """Empty the table and its parents in both databases, fill the parents, and return the
    table's shape with their keys."""
    twin.run(twin.reset([spec.table, *(p.table for p in parents)]))
    saved = twin.run(_fill_parents(twin, parents))
    twin.run(twin.align_sequences(spec))
    return shape_of(spec, _keys_for(spec, saved, [*parents]))


def _first(pair: tuple[Any, Any]) -> Any:
    return pair[0]


def _has_keys(machine: RuleBasedStateMachine) -> bool:
    return bool(machine.bundle("keys"))


def equivalence_machine(
    twin: Twin,
    shape: TableShape,
    parents: Sequence[Spec] = (),
    *,
    max_batch: int = MAX_BATCH,
    known: Sequence[KnownBug] = (),
) -> type[RuleBasedStateMachine]:
    """A machine class comparing the batch and single-row paths on ``shape``'s table;
    ``max_batch`` bounds the rows drawn per batch; ``known``: differences counted, not failed,
    beyond ``known.KNOWN_BUGS`` (those of one kind of server: tests/citus)."""
    spec = shape.spec
    identity_key = any(spec.columns[p].identity for p in spec.key_columns)
    # keys distinct within what is drawn: duplicates come from tweaks and unique-key pools, at a
    # rate that leaves most batches to reach the database
    distinct = None if identity_key else spec.key_of
    inserts = st.lists(entities(shape, "insert"), max_size=max_batch, unique_by=distinct)
    first_rows = st.lists(entities(shape, "insert"), min_size=1, max_size=4, unique_by=distinct)
    keys = Bundle("keys")

    def with_keys(mode: WriteMode, size: int) -> st.SearchStrategy[list[tuple[Any, Any]]]:
        if identity_key and mode != "update":
            return st.just([])
        pairs = st.tuples(keys, entities(shape, mode))
        return st.lists(pairs, min_size=mode == "update", max_size=size, unique_by=_first)

    missing = entities(shape, "update", identity_keys=True)
    one_missing = st.one_of(st.just([]), st.just([]), st.just([]), st.lists(missing, max_size=1))

    asked = st.lists(st.one_of(keys, keys, missing_keys(shape)), max_size=max_batch)
    versions = st.one_of(st.none(), st.integers(min_value=1, max_value=3))
    targets = st.lists(keys, max_size=2) if shape.self_references else st.just([])
    bend = tweaks(shape)
    # inserts go by statement or, where the table allows it, by COPY (batchrepo.write.copy)
    # (path, counting): returning=False answers a count and sends back no rows
    ways = ["statement", "copy"] if spec.copy is not None else ["statement"]
    skippable = [u.name for u in spec.uniques if u.insert_batch_if_new_sql is not None]
    keyed = {*spec.key_columns, *([spec.audit.version_column] if spec.audit else [])}
    updatable = [c.attr for at, c in enumerate(spec.columns) if at not in keyed]
    upsert_keys = ["primary_key"] if spec.sql.upsert_batch is not None else []
    upsert_keys += [u.name for u in spec.uniques if u.upsert_batch_sql is not None]
    paths = st.tuples(st.sampled_from(ways), st.booleans())
    compared = [spec, *parents]

    class Equivalence(RuleBasedStateMachine):
        """Batch against single-row operations on one table (see the module docstring)."""

        def __init__(self) -> None:
            super().__init__()
            twin.run(twin.empty(spec.table))
            twin.run(twin.align_sequences(spec))

        def _check(self, what: str, batch: Outcome, single: Outcome, items: Sequence[Any]) -> None:
            operation = what.split()[0]
            operation += " by copy" if "by copy" in what else ""
            operation += ", counting" if ", counting" in what else ""
            operation += ", some columns" if ", columns" in what else ""
            operation += ", on a unique key" if ", on " in what else ""
            outcome = f"{operation}: {(batch.error or 'ok')[:40]}"
            problem = None
            if not same(batch, single):
                problem = "differs"
            elif batch.error is not None and batch.error.startswith("unexpected"):
                problem = "raises an exception outside the BatchRepoError hierarchy on both paths"
            elif batch != single:
                outcome += " (batch names no row)"
            if problem is not None and (bug := known_bug(batch, single, operation, known)):
                outcome, problem = f"{operation}: known bug {bug.name}", None
            event(outcome)
            STEPS[spec.table][outcome] += 1
            if problem is not None:
                raise AssertionError(
                    f"{spec.table}: {what} {problem}\n  batch:  {batch}\n  single: {single}"
                    f"\n  input:  {list(items)!r}"
                )
            differences = twin.run(twin.differences(compared))
            if differences:
                raise AssertionError(
                    f"{spec.table}: after {what} (both: {batch}) the databases differ\n"
                    + "\n".join(differences)
                    + f"\n  input:  {list(items)!r}"
                )

        def _write(
            self,
            mode: WriteMode,
            items: list[Any],
            path: str = "statement",
            counting: bool = False,
            columns: list[str] | None = None,
            on: str = "primary_key",
        ) -> Any:
            if mode != "insert" and len(spec.uniques) > 1:
                positions = [*spec.key_columns, *unique_positions(spec)]
                current = twin.run(twin.values(spec, positions))
                moved = unique_moves(spec, current, items)
                if moved:
                    note(f"rows {moved} dropped: they take a unique value from another row")
                    items = [item for row, item in enumerate(items) if row not in moved]
            note(f"{mode} batch by {path}, {'counting' if counting else 'returning'}: {items!r}")
            policy = COPY_ALWAYS if path == "copy" else STATEMENTS_ONLY
            # columns: what update_batch(items, columns=...) and update(item, columns=...) run
            written = spec if columns is None else partial(spec, columns)
            written = upserting(written, on)  # upsert_batch(..., on=...) and upsert(..., on=...)
            batch = twin.run(
                batch_write(twin.batch, written, mode, items, policy, returning=not counting)
            )
            single = twin.run(single_write(twin.single, written, mode, items))
            twin.run(twin.align_sequences(spec))
            how = f"by {path}" + (", counting" if counting else "")
            how += f", columns {columns}" if columns is not None else ""
            how += f", on {on}" if on != "primary_key" else ""
            self._check(
                f"{mode} of {len(items)} rows {how}",
                batch,
                counted(single) if counting else single,
                items,
            )
            if batch.error is not None:
                return multiple()
            # counting, no rows come back: the single side's rows have the same keys
            return multiple(*(spec.key_of(item) for item in (single if counting else batch).raw))

        def _if_new(self, on: str, items: list[Any]) -> Any:
            note(f"insert if new on {on}: {items!r}")
            batch = twin.run(batch_if_new(twin.batch, spec, on, items))
            single = twin.run(single_if_new(twin.single, spec, on, items))
            twin.run(twin.align_sequences(spec))
            self._check(f"insert_if_new of {len(items)} rows on {on}", batch, single, items)
            if batch.error is not None:
                return multiple()
            return multiple(*(spec.key_of(item) for item in batch.raw if item is not None))

        def _read(self, op: str, asked: list[Any]) -> None:
            batch = twin.run(batch_read(twin.batch, spec, op, asked))
            single = twin.run(single_read(twin.single, spec, op, asked))
            if op == "delete":  # a failed batch delete cannot name its row
                batch, single = batch.unlocated(), single.unlocated()
            self._check(f"{op} of {len(asked)} keys", batch, single, asked)

        @precondition(lambda self: not _has_keys(self))
        @rule(target=keys, fresh=first_rows, path=paths)
        def save_first(self, fresh: list[Any], path: tuple[str, bool]) -> Any:
            """Rows to start from: no tweaks, so the bundle fills and the other rules run."""
            batch = build_batch(shape, "insert", fresh, [], [], Tweaks())
            return self._write("insert", batch, *path)

        @precondition(_has_keys)
        @rule(
            target=keys,
            fresh=inserts,
            existing=with_keys("insert", 2),
            to=targets,
            bend=bend,
            path=paths,
        )
        def save(
            self,
            fresh: list[Any],
            existing: list[Any],
            to: list[Any],
            bend: Tweaks,
            path: tuple[str, bool],
        ) -> Any:
            batch = build_batch(shape, "insert", fresh, existing, to, bend)
            return self._write("insert", batch, *path)

        @precondition(lambda self: bool(skippable) and _has_keys(self))
        @rule(
            target=keys,
            fresh=inserts,
            existing=with_keys("upsert", 3),
            to=targets,
            bend=bend,
            on=st.sampled_from(skippable or ["primary_key"]),
        )
        def insert_if_new(
            self, fresh: list[Any], existing: list[Any], to: list[Any], bend: Tweaks, on: str
        ) -> Any:
            """New rows and rows whose key exists: the existing ones are skipped."""
            return self._if_new(on, build_batch(shape, "upsert", fresh, existing, to, bend))

        @precondition(_has_keys)
        @rule(
            existing=with_keys("update", max_batch),
            missing=one_missing,
            to=targets,
            bend=bend,
            counting=st.booleans(),
        )
        def update(
            self,
            existing: list[Any],
            missing: list[Any],
            to: list[Any],
            bend: Tweaks,
            counting: bool,
        ) -> None:
            batch = build_batch(shape, "update", missing, existing, to, bend)
            self._write("update", batch, counting=counting)

        @precondition(lambda self: bool(updatable) and _has_keys(self))
        @rule(
            existing=with_keys("update", max_batch),
            missing=one_missing,
            to=targets,
            bend=bend,
            chosen=st.sets(st.sampled_from(updatable or [""]), min_size=1),
        )
        def update_some(
            self,
            existing: list[Any],
            missing: list[Any],
            to: list[Any],
            bend: Tweaks,
            chosen: set[str],
        ) -> None:
            """Partial updates: only the ``chosen`` columns are written (and checked)."""
            batch = build_batch(shape, "update", missing, existing, to, bend)
            self._write("update", batch, columns=sorted(chosen))

        @precondition(lambda self: bool(upsert_keys) and _has_keys(self))
        @rule(
            target=keys,
            fresh=inserts,
            existing=with_keys("upsert", 3),
            to=targets,
            bend=bend,
            counting=st.booleans(),
            on=st.sampled_from(upsert_keys or ["primary_key"]),
        )
        def upsert(
            self,
            fresh: list[Any],
            existing: list[Any],
            to: list[Any],
            bend: Tweaks,
            counting: bool,
            on: str,
        ) -> Any:
            batch = build_batch(shape, "upsert", fresh, existing, to, bend)
            return self._write("upsert", batch, counting=counting, on=on)

        # Hypothesis orders rules by (targets, number of arguments, name) and its generation
        # favours the first: with no target, delete (one argument) would run five times as
        # often as update. As targets (they add no keys), the cheap rules sort after update.
        @precondition(_has_keys)
        @rule(target=keys, asked=asked)
        def delete(self, asked: list[Any]) -> Any:
            self._read("delete", asked)
            return multiple()

        @precondition(_has_keys)
        @rule(target=keys, op=st.sampled_from(["load", "exists"]), asked=asked)
        def read(self, op: str, asked: list[Any]) -> Any:
            self._read(op, asked)
            return multiple()

        @precondition(_has_keys)
        @rule(
            target=keys,
            fresh=inserts,
            existing=with_keys("insert", 2),
            bend=bend,
            mode=st.sampled_from(["insert", "update"]),
        )
        def validate(
            self, fresh: list[Any], existing: list[Any], bend: Tweaks, mode: WriteMode
        ) -> Any:
            """validate_batch of a batch against each row validated alone: the same clashes
            with stored rows and field problems (validate_outcome)."""
            items = build_batch(shape, mode, fresh, existing, [], bend)
            batch = twin.run(batch_validate(twin.batch, spec, mode, items))
            single = twin.run(single_validate(twin.single, spec, mode, items))
            self._check(f"validate of {len(items)} rows", batch, single, items)
            return multiple()

        @precondition(lambda self: spec.audit is not None and _has_keys(self))
        @rule(target=keys, asked=asked, versions=st.lists(versions, max_size=max_batch))
        def history(self, asked: list[Any], versions: list[int | None]) -> Any:
            """Every version of each key (no versions drawn), else each key "as of" a version."""
            wanted = (versions * len(asked))[: len(asked)] if versions else None
            batch = twin.run(batch_history(twin.batch, spec, asked, wanted))
            single = twin.run(single_history(twin.single, spec, asked, wanted))
            what = "history" if wanted is None else "as_of"
            self._check(f"{what} of {len(asked)} keys", batch, single, asked)
            return multiple()

    Equivalence.__name__ = Equivalence.__qualname__ = f"Equivalence_{spec.table}"
    return Equivalence
