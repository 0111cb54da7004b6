"""``validate_batch`` on both sides: the batch side validates the whole batch once, the single
side each row alone. Rows clash with stored rows (``key_exists``, on the primary key for inserts
and on unique keys in every mode) and break field rules whatever the other rows are, so those
problems must be the same both ways; duplicates and missing parents depend on the other rows
(an earlier row of the batch may be the parent) and are compared by the write rules instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from batchrepo import operations
from batchrepo.spec import WriteMode

from .outcome import Outcome, _on
from .strategies.rows import Spec

#: Problems that depend on the other rows of the batch.
BATCH_DEPENDENT = frozenset({"duplicate_key", "missing_parent"})


def _problems(found: Sequence[tuple[int, str, str]]) -> Outcome:
    kept = tuple(sorted(p for p in found if p[2] not in BATCH_DEPENDENT))
    return Outcome(result=kept)


async def batch_validate(
    conn: asyncpg.Connection, spec: Spec, mode: WriteMode, items: Sequence[Any]
) -> Outcome:
    report = await operations.validate_batch(_on(conn), spec, items, mode)
    return _problems([(p.row, p.field, p.code) for p in report.problems])


async def single_validate(
    conn: asyncpg.Connection, spec: Spec, mode: WriteMode, items: Sequence[Any]
) -> Outcome:
    found = []
    for row, item in enumerate(items):
        report = await operations.validate_batch(_on(conn), spec, [item], mode)
        found += [(row, p.field, p.code) for p in report.problems]
    return _problems(found)
