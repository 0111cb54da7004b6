"""One operation on both sides, reduced to comparable :class:`Outcome` values.

The batch side calls the batch operation once. The single side is the reference the batch must
match, built from single-row operations only, in three steps that mirror the documented
semantics (``docs/design.md``):

1. field validation before any SQL: each row validated as a batch of one (what ``save_one`` and
   friends run), so the batch's report must equal the union of the rows' reports;
2. duplicate keys inside the batch, from the model in :func:`batches.duplicate_rows`;
3. the rows one by one, inside ONE transaction that rolls back as a whole when a row fails, so
   "nothing written" means the same on both sides.

A batch reports every offending row, ascending; the loop stops at the first. So an error outcome
keeps the error class, constraint, the *first* offending row and its key; validation outcomes
keep every (row, field, code) problem.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import asyncpg

from batchrepo import errors, operations
from batchrepo.session import Session, WritePolicy, as_session
from batchrepo.spec import WriteMode

from .strategies.batches import duplicate_rows
from .strategies.rows import Spec
from .twin import canonical, canonical_entity

#: Errors whose batch form must name the offending rows (the runtime probes for them).
LOCATED = (
    errors.UniqueViolationError,
    errors.ForeignKeyViolationError,
    errors.NotNullViolationError,
    errors.MissingRowsError,
)


#: Problems found against the database and the cache, not in the row itself. Alone they raise
#: MissingParentError / UniqueViolationError (what the loop raises at the first such row); next
#: to field problems they are listed in the same ValidationError report, which the model compares
#: by its field problems only (a row validated alone cannot see the batch's earlier rows).
REFERENCE_CODES = frozenset({"missing_parent", "key_exists"})


@dataclass(frozen=True)
class Outcome:
    """What one side did: a canonical ``result``, or an error described by its parts."""

    result: Any = None
    error: str | None = None
    constraint: str | None = None
    rows: tuple[int, ...] = ()
    """Validation: every offending row. Other errors: the first offending row (or none)."""
    key: Any = None
    problems: tuple[tuple[int, str, str], ...] = ()
    """Validation: (row, field, code) of every problem, rows ascending."""
    versions: tuple[int | None, int | None] | None = None
    """Stale version: (expected, found) of the first stale row."""
    raw: Any = field(default=None, compare=False, repr=False)
    """The result as returned (entities), for the machine's bundle."""

    def unlocated(self) -> Outcome:
        """Without rows and key: for statements whose failing row nobody can name (deletes)."""
        return Outcome(self.result, self.error, self.constraint)

    def __str__(self) -> str:
        if self.error is None:
            return f"ok {self.result!r}"
        parts = [self.error]
        if self.constraint is not None:
            parts.append(f"constraint={self.constraint}")
        if self.rows:
            parts.append(f"rows={list(self.rows)}")
        if self.key is not None:
            parts.append(f"key={self.key!r}")
        if self.problems:
            parts.append(f"problems={list(self.problems)}")
        if self.versions is not None:
            parts.append(f"expected/found={self.versions}")
        return " ".join(parts)


#: Who the machine writes as: audited tables (the ledger's) refuse writes without an actor.
ACTOR = "equivalence-machine"


def _on(conn: asyncpg.Connection) -> Session:
    """The connection as a session with an actor (no cache: a bare connection has none)."""
    return as_session(conn, actor=ACTOR)


def same(batch: Outcome, single: Outcome) -> bool:
    """Whether the outcomes agree. A batch error the runtime does not locate (a check or data
    error: validation should have caught it before SQL) is compared without row and key."""
    if batch == single:
        return True
    located = {cls.__name__ for cls in LOCATED}
    unlocated = not batch.rows and batch.error is not None and batch.error not in located
    return unlocated and batch.unlocated() == single.unlocated()


def failure(exc: BaseException, row: int | None = None) -> Outcome:
    """The outcome of an exception; ``row`` is the loop's position when a single op raised."""
    name = type(exc).__name__
    if not isinstance(exc, errors.BatchRepoError):
        return Outcome(error=f"unexpected {type(exc).__module__}.{name}: {exc}")
    if isinstance(exc, errors.DuplicateKeyInBatchError):
        return Outcome(error=name, constraint=exc.constraint, rows=tuple(exc.rows))
    if isinstance(exc, errors.ValidationError):
        # field problems only: duplicates and references are modelled by the steps after
        problems = tuple(
            (p.row, p.field, p.code)
            for p in exc.report.problems
            if p.code not in REFERENCE_CODES and p.code != "duplicate_key"
        )
        rows = tuple(sorted({row for row, _field, _code in problems}))
        return Outcome(error=name, rows=rows, problems=problems)
    if row is not None:
        at: tuple[int, ...] = (row,)
        key = exc.keys[0] if exc.keys else None
    elif exc.rows:
        at, key = (exc.rows[0],), exc.keys[0] if exc.keys else None
    elif isinstance(exc, LOCATED) and exc.sqlstate != "21000":
        at, key = (-1,), "<batch error names no row>"
    else:
        at, key = (), None
    return Outcome(error=name, constraint=exc.constraint, rows=at, key=canonical(key))


async def _attempt(call: Callable[[], Awaitable[Any]], shape: Callable[[Any], Any]) -> Outcome:
    try:
        result = await call()
    except Exception as exc:
        return failure(exc)
    return Outcome(result=shape(result), raw=result)


def _entities(spec: Spec) -> Callable[[Sequence[Any]], Any]:
    return lambda items: tuple(canonical_entity(spec, item) for item in items)


_BATCH_WRITES = {
    "insert": operations.save_batch,
    "update": operations.update_batch,
    "upsert": operations.upsert_batch,
}
_SINGLE_WRITES = {
    "insert": operations.save_one,
    "update": operations.update_one,
    "upsert": operations.upsert_one,
}


#: Write policies of the batch side: statements only, and COPY for every insert it can take.
STATEMENTS_ONLY = WritePolicy(copy_from_rows=None)
COPY_ALWAYS = WritePolicy(copy_from_rows=0)


async def batch_write(
    conn: asyncpg.Connection,
    spec: Spec,
    mode: WriteMode,
    items: Sequence[Any],
    policy: WritePolicy = STATEMENTS_ONLY,
    *,
    returning: bool = True,
) -> Outcome:
    """``returning=False``: the outcome's result is the count the batch returned."""
    session = as_session(conn, actor=ACTOR, policy=policy)
    write = _BATCH_WRITES[mode]
    if not returning:
        return await _attempt(lambda: write(session, spec, items, returning=False), int)
    return await _attempt(lambda: write(session, spec, items), _entities(spec))


def counted(single: Outcome) -> Outcome:
    """A single-row loop's outcome as a batch with ``returning=False`` tells it: a count."""
    if single.error is not None:
        return single
    return replace(single, result=len(single.result))


async def _loop(
    conn: asyncpg.Connection,
    items: Sequence[Any],
    one: Callable[[Any], Awaitable[Any]],
    shape: Callable[[list[Any]], Any],
) -> Outcome:
    """``one`` per item inside one transaction; all or nothing."""
    results = []
    transaction = conn.transaction()
    await transaction.start()
    for at, item in enumerate(items):
        try:
            results.append(await one(item))
        except Exception as exc:
            await transaction.rollback()
            return failure(exc, row=at)
    await transaction.commit()
    return Outcome(result=shape(results), raw=results)


async def single_write(
    conn: asyncpg.Connection, spec: Spec, mode: WriteMode, items: Sequence[Any]
) -> Outcome:
    problems: list[tuple[int, str, str]] = []
    for at, item in enumerate(items):
        report = await operations.validate_batch(_on(conn), spec, [item], mode)
        problems += [
            (at, p.field, p.code) for p in report.problems if p.code not in REFERENCE_CODES
        ]
    if problems:
        rows = tuple(sorted({row for row, _field, _code in problems}))
        return Outcome(error="ValidationError", rows=rows, problems=tuple(problems))
    duplicates = duplicate_rows(spec, items)
    if duplicates is not None:
        constraint, repeating = duplicates
        return Outcome(
            error="DuplicateKeyInBatchError", constraint=constraint, rows=tuple(repeating)
        )
    one = _SINGLE_WRITES[mode]
    return await _loop(conn, items, lambda item: one(_on(conn), spec, item), _entities(spec))


def _entities_or_none(spec: Spec) -> Callable[[Sequence[Any]], Any]:
    return lambda items: tuple(None if i is None else canonical_entity(spec, i) for i in items)


async def batch_if_new(
    conn: asyncpg.Connection, spec: Spec, on: str, items: Sequence[Any]
) -> Outcome:
    """``save_batch_if_new``: one entry per row, the row inserted or None where skipped."""
    session = _on(conn)
    return await _attempt(
        lambda: operations.save_batch_if_new(session, spec, items, on=on), _entities_or_none(spec)
    )


async def single_if_new(
    conn: asyncpg.Connection, spec: Spec, on: str, items: Sequence[Any]
) -> Outcome:
    """The loop ``save_batch_if_new`` replaces: ``save_if_new`` per row, checked as a batch of
    one (as an upsert: a taken key is no problem), duplicates in the batch refused first."""
    problems: list[tuple[int, str, str]] = []
    for at, item in enumerate(items):
        report = await operations.validate_batch(_on(conn), spec, [item], "upsert")
        problems += [
            (at, p.field, p.code) for p in report.problems if p.code not in REFERENCE_CODES
        ]
    if problems:
        rows = tuple(sorted({row for row, _field, _code in problems}))
        return Outcome(error="ValidationError", rows=rows, problems=tuple(problems))
    duplicates = duplicate_rows(spec, items)
    if duplicates is not None:
        constraint, repeating = duplicates
        return Outcome(
            error="DuplicateKeyInBatchError", constraint=constraint, rows=tuple(repeating)
        )
    return await _loop(
        conn,
        items,
        lambda item: operations.save_if_new(_on(conn), spec, item, on=on),
        _entities_or_none(spec),
    )


async def batch_read(conn: asyncpg.Connection, spec: Spec, op: str, keys: Sequence[Any]) -> Outcome:
    if op == "load":
        return await _attempt(lambda: operations.load_batch(_on(conn), spec, keys), _entities(spec))
    if op == "exists":
        return await _attempt(lambda: operations.exists_batch(_on(conn), spec, keys), tuple)
    assert op == "delete"
    return await _attempt(lambda: operations.delete_batch(_on(conn), spec, keys), int)


async def single_read(
    conn: asyncpg.Connection, spec: Spec, op: str, keys: Sequence[Any]
) -> Outcome:
    if op == "load":
        return await _loop(
            conn, keys, lambda k: operations.load_one(_on(conn), spec, k), _entities(spec)
        )
    if op == "exists":
        return await _loop(conn, keys, lambda k: operations.exists_one(_on(conn), spec, k), tuple)
    assert op == "delete"
    return await _loop(conn, keys, lambda k: operations.delete_one(_on(conn), spec, k), sum)
