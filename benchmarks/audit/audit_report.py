"""The tables of ``make bench-audit``: medians, and comparisons made within each repetition.

Two variants measured seconds apart in the same repetition share the machine's mood of the
moment; the same variants measured in different repetitions may not (other jobs come and go).
So every comparison here (a ratio, a difference per row, a share) is computed per repetition
first, from the pair measured side by side, and its median reported; the absolute columns are
plain medians.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TypeVar

from ..timing import Samples, markdown_table, ms
from . import audit_ops, check_ops
from .audit_ops import AUDITED, PLAIN, SINGLE_IN_TRANSACTION, SINGLE_IN_UNIT

NAN = float("nan")
K = TypeVar("K", bound=Hashable)


class Results:
    """Every measurement by key (``audit_ops.Timings`` and ``check_ops.Timings`` keys), one
    sample per repetition, in repetition order."""

    def __init__(self) -> None:
        self._samples: dict[Hashable, Samples] = {}

    def add(self, timings: Mapping[K, float]) -> None:
        for key, elapsed in timings.items():
            self._samples.setdefault(key, Samples()).add(elapsed)

    def median(self, key: Hashable) -> float:
        found = self._samples.get(key)
        return found.median if found else NAN

    def compared(self, combine: Callable[..., float], *keys: Hashable) -> float:
        """Median over repetitions of ``combine`` applied to the samples of ``keys`` taken in
        the same repetition (side by side)."""
        series = [self._samples.get(key) for key in keys]
        if not all(series):
            return NAN
        rows = zip(*(found.values for found in series if found), strict=True)
        return statistics.median(combine(*values) for values in rows)


def _difference(a: float, b: float) -> float:
    return a - b


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else NAN


def _share(cold: float, warm: float, insert: float) -> float:
    return (cold - warm) / insert if insert > 0 else NAN


def _signed(value: float, decimals: int = 1) -> str:
    return "-" if value != value else f"{value:+.{decimals}f}"


def audit_table(results: Results, flows: Sequence[tuple[str, int]]) -> str:
    """Audited against plain, per path, operation and size (``flows``: (path, rows))."""
    lines = []
    for path, size in flows:
        for operation in audit_ops.OPERATIONS:
            audited = (operation, path, size, AUDITED)
            plain = (operation, path, size, PLAIN)
            lines.append(
                [
                    f"{path}: {operation}",
                    f"{size:,}",
                    ms(results.median(audited)),
                    ms(results.median(plain)),
                    f"{results.compared(_ratio, audited, plain):.2f}x",
                    _signed(results.compared(_difference, audited, plain) * 1000.0 / size),
                ]
            )
    headers = ["path: operation", "rows", "audited ms", "plain ms", "audited/plain", "µs/row"]
    return markdown_table(headers, lines)


def single_row_table(results: Results, rows: int) -> str:
    """Single-row costs per row, and what the unit of work and the audit add to each.

    Savepoint: plain in a unit minus plain in a transaction (a unit's single-row write runs in a
    savepoint of its own). Audit in a unit: audited minus plain, both in a unit. Log row per
    write: audited in a transaction (its own ``audit_log`` row per write) minus audited in a
    unit (one row per unit); both run each write in a savepoint.
    """

    def per_row(key: Hashable) -> str:
        value = results.median(key)
        return "-" if value != value else f"{value * 1000.0 / rows:.0f}"

    def extra(more: Hashable, less: Hashable) -> str:
        return _signed(results.compared(_difference, more, less) * 1000.0 / rows, 0)

    lines = []
    for operation in audit_ops.OPERATIONS:
        plain_transaction = (operation, SINGLE_IN_TRANSACTION, rows, PLAIN)
        plain_unit = (operation, SINGLE_IN_UNIT, rows, PLAIN)
        audited_unit = (operation, SINGLE_IN_UNIT, rows, AUDITED)
        audited_transaction = (operation, SINGLE_IN_TRANSACTION, rows, AUDITED)
        lines.append(
            [
                operation,
                per_row(plain_transaction),
                per_row(plain_unit),
                per_row(audited_unit),
                per_row(audited_transaction),
                extra(plain_unit, plain_transaction),
                extra(audited_unit, plain_unit),
                extra(audited_transaction, audited_unit),
            ]
        )
    headers = [
        "single-row, µs per row",
        "plain, transaction",
        "plain, unit",
        "audited, unit",
        "audited, transaction",
        "savepoint",
        "audit in a unit",
        "log row per write",
    ]
    return markdown_table(headers, lines)


def checks_table(results: Results, rows: int) -> str:
    """Each variant of the checks measurement, and its share of the cold-cache insert."""
    lines = [
        [
            variant,
            f"{rows:,}",
            ms(results.median(variant)),
            f"{results.median(variant) * 1000.0 / rows:.1f}",
            f"{100.0 * results.compared(_ratio, variant, check_ops.INSERT_COLD):.0f}%",
        ]
        for variant in check_ops.VARIANTS
    ]
    return markdown_table(["variant", "accounts", "ms", "µs/row", "of cold insert"], lines)


def probe_share(results: Results) -> str:
    """The probe alone (cold checks minus warm checks), also as a share of the insert."""
    warm, cold = check_ops.CHECKS_WARM, check_ops.CHECKS_COLD
    probe = results.compared(_difference, cold, warm)
    inserts = results.compared(_difference, check_ops.INSERT_COLD, check_ops.INSERT_WARM)
    share = results.compared(_share, cold, warm, check_ops.INSERT_COLD)
    return (
        f"The probe alone (cold checks - warm checks): {ms(probe)} ms, {100.0 * share:.0f}% of "
        f"the cold-cache insert; cold insert - warm insert: {_signed(inserts)} ms."
    )
