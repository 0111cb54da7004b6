"""One operation inside an open unit of work, on the batch side and on the single-row side.

The batch side makes one batch call on the unit's repository (``uow.<table>``). The single-row
side is the reference, built like :mod:`outcome` builds it, from what the contract
(``docs/units-of-work.md``, "Which error") says a batch does before it writes:

1. every row checked alone by ``validate_batch``: field problems stop the batch with a
   ``ValidationError``;
2. else the duplicate keys of the batch (:func:`duplicate_problems`) stop it with a
   ``DuplicateKeyInBatchError``;
3. else the rows one by one inside ONE savepoint of the unit (``uow.savepoint()``), rolled back
   as a whole when a row fails, so "nothing written" means the same on both sides. A row whose
   parent is missing or whose key is taken fails here, as the batch fails at its first refused
   row (or at an earlier row the database refuses, as the loop would).

Outcomes are :class:`outcome.Outcome` values. Beyond what :mod:`outcome` compares, the reports
of ``ValidationError`` and ``DuplicateKeyInBatchError`` keep their ``missing_parent`` problems:
a parent's existence does not depend on what the cache happens to know, so both reports must
name the same rows. A stale version adds ``(expected, found)`` of the first stale row, and a
lost connection is one outcome whatever asyncpg called it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from functools import partial
from typing import Any, Literal

import asyncpg

from batchrepo import errors, operations
from batchrepo.spec import WriteMode

from ..outcome import Outcome, failure
from ..strategies.rows import Spec, compared
from ..twin import canonical, canonical_entity

#: The operations the machine runs.
Operation = Literal["insert", "update", "delete", "load"]
#: One outcome for every way of finding the unit's connection gone.
LOST = "connection lost"
MISSING_PARENT = "missing_parent"
KEY_EXISTS = "key_exists"


def repository(uow: Any, spec: Spec) -> Any:
    """The unit's repository of ``spec``'s table (the generated ``uow.<table>`` property)."""
    return getattr(uow, spec.table)


def connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` says the connection is gone. asyncpg has many ways to say it: closed,
    the server's termination notice, or (when that notice arrives while the connection is idle)
    an internal client error about the protocol's state."""
    lost = (
        asyncpg.InterfaceError,
        asyncpg.PostgresConnectionError,
        asyncpg.exceptions.InternalClientError,
        OSError,
    )
    if isinstance(exc, lost):
        return True
    if isinstance(exc, asyncpg.AdminShutdownError):
        return True
    if isinstance(exc, errors.BatchRepoError) and exc.sqlstate in ("57P01", "08003", "08006"):
        return True
    cause = exc.__cause__
    return cause is not None and connection_lost(cause)


def uow_failure(exc: BaseException, row: int | None = None) -> Outcome:
    """:func:`outcome.failure`, plus the versions of a stale row and one form of a lost
    connection; ``row`` is the loop's position when a single-row call raised."""
    if connection_lost(exc):
        return Outcome(error=LOST)
    found = failure(exc, row)
    if isinstance(exc, errors.StaleVersionError) and exc.expected:
        return dataclasses.replace(found, versions=(exc.expected[0], exc.found[0]))
    if isinstance(exc, errors.ValidationError):  # DuplicateKeyInBatchError too
        report = exc.report.problems
        parents = [(p.row, p.field, p.code) for p in report if p.code == MISSING_PARENT]
        return dataclasses.replace(found, problems=tuple(sorted([*found.problems, *parents])))
    return found


def duplicate_problems(spec: Spec, items: Sequence[Any]) -> list[tuple[int, str, str]]:
    """(row, field, "duplicate_key") of every row repeating a primary or unique key of an
    earlier row (as PostgreSQL compares them; keys with a NULL never repeat)."""
    problems = []
    for unique in spec.uniques:
        if any(spec.columns[c].identity for c in unique.columns):
            continue
        field = ",".join(spec.columns[c].attr for c in unique.columns)
        seen: list[Any] = []
        for at, item in enumerate(items):
            value = compared(spec, item, unique.columns)
            if None in value:
                continue
            if value in seen:
                problems.append((at, field, "duplicate_key"))
            else:
                seen.append(value)
    return problems


def _first_duplicate_constraint(spec: Spec, problems: list[tuple[int, str, str]]) -> str:
    """The first unique key, in the table's order, that some row repeats."""
    fields = {f for _row, f, _code in problems}
    for unique in spec.uniques:
        if ",".join(spec.columns[c].attr for c in unique.columns) in fields:
            return unique.constraint
    raise AssertionError(f"no unique key of {spec.table} has fields {fields}")


async def _row_problems(
    uow: Any, spec: Spec, mode: WriteMode, items: Sequence[Any]
) -> list[tuple[int, str, str]]:
    """Every row validated alone: field problems and missing parents (``key_exists`` is left
    out: the cache decides whether a check or the insert finds a taken key, and both raise
    alike). A row alone sees every parent the batch sees: no table of the package references
    itself, so no row's parent is an earlier row of the same batch."""
    if any(fk.self_parent_columns is not None for fk in spec.foreign_keys):
        raise NotImplementedError(f"{spec.table} references itself: rows cannot be checked alone")
    repo = repository(uow, spec)
    problems: list[tuple[int, str, str]] = []
    for at, item in enumerate(items):
        report = await repo.validate_batch([item], mode)
        problems += [(at, p.field, p.code) for p in report.problems if p.code != KEY_EXISTS]
    return sorted(problems)


def _before_writing(
    spec: Spec, items: Sequence[Any], problems: list[tuple[int, str, str]]
) -> Outcome | None:
    """What stops a batch before it writes (``batchrepo.validate.references.error_for_report``):
    field
    problems, else duplicate keys inside the batch; None when the rows go to the loop.

    The report of either error lists the missing parents too (the uow machine compares them,
    see :func:`uow_failure`). A batch refused only for references fails as the loop does at
    its first failing row, so those are left to the loop itself.
    """
    parents = [p for p in problems if p[2] == MISSING_PARENT]
    fields = [p for p in problems if p not in parents]
    if fields:
        rows = tuple(sorted({row for row, _field, _code in fields}))
        return Outcome(error="ValidationError", rows=rows, problems=tuple(sorted(problems)))
    duplicates = duplicate_problems(spec, items)
    if duplicates:
        constraint = _first_duplicate_constraint(spec, duplicates)
        rows = tuple(sorted({row for row, _field, _code in duplicates}))
        return Outcome(
            error="DuplicateKeyInBatchError",
            constraint=constraint,
            rows=rows,
            problems=tuple(sorted(parents)),
        )
    return None


class _LoopFailed(Exception):
    def __init__(self, outcome: Outcome) -> None:
        super().__init__(str(outcome))
        self.outcome = outcome


async def _in_savepoint(uow: Any, calls: Sequence[Any]) -> list[Any]:
    """Await ``calls`` (factories of awaitables) one by one in a savepoint; the first failure
    rolls the savepoint back and raises :class:`_LoopFailed` with its outcome."""
    results = []
    async with uow.savepoint():
        for at, call in enumerate(calls):
            try:
                results.append(await call())
            except Exception as exc:
                raise _LoopFailed(uow_failure(exc, row=at)) from exc
    return results


async def _loop(uow: Any, calls: Sequence[Any]) -> tuple[list[Any], Outcome | None]:
    try:
        return await _in_savepoint(uow, calls), None
    except _LoopFailed as stopped:
        return [], stopped.outcome
    except Exception as exc:  # the savepoint itself failed (a lost connection)
        return [], uow_failure(exc)


def _entities(spec: Spec, items: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(canonical_entity(spec, item) for item in items)


async def batch_write(uow: Any, spec: Spec, mode: WriteMode, items: Sequence[Any]) -> Outcome:
    repo = repository(uow, spec)
    call = repo.save_batch if mode == "insert" else repo.update_batch
    try:
        result = await call(items)
    except Exception as exc:
        return uow_failure(exc)
    return Outcome(result=_entities(spec, result), raw=result)


async def single_write(uow: Any, spec: Spec, mode: WriteMode, items: Sequence[Any]) -> Outcome:
    try:
        problems = await _row_problems(uow, spec, mode, items)
    except Exception as exc:
        return uow_failure(exc)
    stopped = _before_writing(spec, items, problems)
    if stopped is not None:
        return stopped
    repo = repository(uow, spec)
    one = repo.save if mode == "insert" else repo.update
    results, failed = await _loop(uow, [lambda item=item: one(item) for item in items])
    if failed is not None:
        return failed
    return Outcome(result=_entities(spec, results), raw=results)


async def batch_delete(
    uow: Any, spec: Spec, keys: Sequence[Any], versions: Sequence[int | None]
) -> Outcome:
    repo = repository(uow, spec)
    try:
        if any(v is not None for v in versions):
            count = await repo.delete_batch(keys, versions=list(versions))
        else:
            count = await repo.delete_batch(keys)
    except Exception as exc:
        return _delete_outcome(uow_failure(exc))
    return Outcome(result=count)


async def single_delete(
    uow: Any, spec: Spec, keys: Sequence[Any], versions: Sequence[int | None]
) -> Outcome:
    repo = repository(uow, spec)
    calls = [
        partial(repo.delete, key, version=version)
        if version is not None
        else partial(repo.delete, key)
        for key, version in zip(keys, versions, strict=True)
    ]
    results, failed = await _loop(uow, calls)
    if failed is not None:
        return _delete_outcome(failed)
    return Outcome(result=sum(results))


def _delete_outcome(outcome: Outcome) -> Outcome:
    """A failed batch delete cannot name its row, except for stale versions (probed)."""
    if outcome.error == "StaleVersionError":
        return outcome
    return outcome.unlocated()


async def batch_load(uow: Any, spec: Spec, keys: Sequence[Any]) -> Outcome:
    try:
        found = await repository(uow, spec).load_batch(keys)
    except Exception as exc:
        return uow_failure(exc)
    return Outcome(result=_entities(spec, found), raw=found)


async def committed_load(session: Any, spec: Spec, keys: Sequence[Any], batch: bool) -> Outcome:
    """A load outside any unit of work: ``load_batch`` on the batch side, ``load`` per key on
    the other."""
    try:
        if batch:
            found = await operations.load_batch(session, spec, keys)
        else:
            found = [await operations.load_one(session, spec, key) for key in keys]
    except Exception as exc:
        return uow_failure(exc)
    return Outcome(result=_entities(spec, found), raw=found)


async def single_load(uow: Any, spec: Spec, keys: Sequence[Any]) -> Outcome:
    repo = repository(uow, spec)
    found = []
    try:
        for key in keys:
            found.append(await repo.load(key))
    except Exception as exc:
        return uow_failure(exc, row=len(found))
    return Outcome(result=_entities(spec, found), raw=found)


def ended(exc: BaseException | None, raised: BaseException | None) -> str:
    """How a unit of work ended, comparably: committed, the caller's own exception (the very
    object raised in the block), cancelled, lost connection, or anything else by class."""
    if exc is None:
        return "committed"
    if raised is not None and exc is raised:
        return "caller's exception"
    if isinstance(exc, BaseException) and type(exc).__name__ == "CancelledError":
        return "cancelled"
    if connection_lost(exc):
        return LOST
    return f"{type(exc).__module__}.{type(exc).__name__}: {canonical(str(exc))}"
