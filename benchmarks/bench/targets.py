"""Issue 9's targets, judged on one run's medians: each a row of the report, pass or fail.

A target compares two contenders of one run at the sizes it names (``at``); where the run did
not measure them (``--quick`` stops at 10,000 rows, the delay proxy is off) it says so instead
of passing. Ratios are ``time of the first / time of the second``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from .cold_start import FIRST, HOOKED, WARM
from .cold_start import OPERATION as COLD_START
from .contenders.single_row import AUTOCOMMIT, IN_TRANSACTION
from .registry import AUDITED, PLAIN
from .results import Results

AT_SCALE = (10_000, 100_000)


@dataclasses.dataclass(frozen=True, slots=True)
class Verdict:
    target: str
    rows: str
    measured: str
    goal: str
    passed: bool | None  # None: not judged in this run
    #: Why it was not judged, when it was not.
    why: str = "not measured"

    @property
    def mark(self) -> str:
        return {True: "pass", False: "**FAIL**", None: self.why}[self.passed]


@dataclasses.dataclass(frozen=True, slots=True)
class Ratio:
    """``operation``: ``slow`` (on ``slow_table``) over ``fast`` (on ``fast_table``), at most
    (``most``) or at least (``least``) a bound."""

    target: str
    operation: str
    slow: str
    slow_table: str
    fast: str
    fast_table: str
    bound: float
    at_most: bool
    at: Sequence[int] = AT_SCALE


def _ratios() -> list[Ratio]:
    save, copy = "batchrepo save_batch", "asyncpg COPY"
    save_count = f"{save}, returning=False"
    update, raw_update = "batchrepo update_batch", "asyncpg UPDATE .. FROM unnest"
    delete, raw_delete = "batchrepo delete_batch", "asyncpg DELETE .. = ANY"
    load, raw_load = "batchrepo load_batch", "asyncpg = ANY + from_record"
    return [
        Ratio("save_batch / raw COPY", "insert", save, PLAIN, copy, PLAIN, 1.2, True),
        Ratio("save_batch audited / raw COPY", "insert", save, AUDITED, copy, PLAIN, 2.0, True),
        # like for like: neither sends rows back
        Ratio(
            "save_batch, returning=False / raw COPY",
            "insert",
            save_count,
            PLAIN,
            copy,
            PLAIN,
            1.2,
            True,
        ),
        Ratio(
            "save_batch audited, returning=False / raw COPY",
            "insert",
            save_count,
            AUDITED,
            copy,
            PLAIN,
            2.0,
            True,
        ),
        Ratio("update_batch / raw UPDATE", "update", update, PLAIN, raw_update, PLAIN, 1.3, True),
        Ratio(
            "update_batch, returning=False / raw UPDATE",
            "update",
            f"{update}, returning=False",
            PLAIN,
            raw_update,
            PLAIN,
            1.3,
            True,
        ),
        Ratio(
            "update_batch audited / raw UPDATE",
            "update",
            update,
            AUDITED,
            raw_update,
            PLAIN,
            2.0,
            True,
        ),
        Ratio("delete_batch / raw DELETE", "delete", delete, PLAIN, raw_delete, PLAIN, 1.3, True),
        Ratio(
            "delete_batch audited / raw DELETE",
            "delete",
            delete,
            AUDITED,
            raw_delete,
            PLAIN,
            2.0,
            True,
        ),
        Ratio("load_batch / raw = ANY + objects", "load", load, PLAIN, raw_load, PLAIN, 1.1, True),
        Ratio(
            "SQLAlchemy ORM bulk insert / save_batch",
            "insert",
            "SQLAlchemy ORM bulk insert",
            PLAIN,
            save,
            PLAIN,
            2.5,
            False,
        ),
        Ratio(
            "SQLAlchemy ORM bulk update / update_batch",
            "update",
            "SQLAlchemy ORM bulk update",
            PLAIN,
            update,
            PLAIN,
            1.5,
            False,
        ),
        Ratio(
            "SQLAlchemy ORM IN load / load_batch",
            "load",
            "SQLAlchemy ORM IN",
            PLAIN,
            load,
            PLAIN,
            3.0,
            False,
        ),
        Ratio(
            "cold start: first call / warm call",
            COLD_START,
            FIRST,
            PLAIN,
            WARM,
            PLAIN,
            2.0,
            True,
            (100,),
        ),
        Ratio(
            "cold start with the set-up hook / warm call",
            COLD_START,
            HOOKED,
            PLAIN,
            WARM,
            PLAIN,
            2.0,
            True,
            (100,),
        ),
    ]


def _goal(ratio: Ratio) -> str:
    return f"≤ {ratio.bound:g}x" if ratio.at_most else f"≥ {ratio.bound:g}x"


def _judge(ratio: Ratio, medians: dict[tuple[str, str, str, int], float]) -> list[Verdict]:
    """A verdict per size of ``ratio.at`` the run measured; one "not measured" if none."""
    verdicts = []
    for rows in ratio.at:
        slow = medians.get((ratio.operation, ratio.slow, ratio.slow_table, rows))
        fast = medians.get((ratio.operation, ratio.fast, ratio.fast_table, rows))
        if slow is None or fast is None or fast <= 0:
            continue
        value = slow / fast
        passed = value <= ratio.bound if ratio.at_most else value >= ratio.bound
        verdicts.append(Verdict(ratio.target, f"{rows:,}", f"{value:.2f}x", _goal(ratio), passed))
    if not verdicts:
        sizes = " and ".join(f"{rows:,}" for rows in ratio.at)
        verdicts.append(Verdict(ratio.target, sizes, "-", _goal(ratio), None))
    return verdicts


def _loop_over_batch(
    results: Results, medians: dict[tuple[str, str, str, int], float]
) -> list[Verdict]:
    """With the delay proxy: every batch method of 100 rows at least 20x its row-by-row loop."""
    delay = float(results.options.get("proxy_delay_ms") or 0)
    if delay < 0.5:
        return []  # the target is about a network's round trips; the tables show the ratios
    verdicts = []
    batch = {
        "insert": "batchrepo save_batch",
        "load": "batchrepo load_batch",
        "exists": "batchrepo exists_batch",
        "update": "batchrepo update_batch",
        "delete": "batchrepo delete_batch",
        "upsert": "batchrepo upsert_batch",
    }
    for operation, method in batch.items():
        loop = AUTOCOMMIT if operation in ("load", "exists") else IN_TRANSACTION
        for table in (PLAIN, AUDITED):
            name = f"{loop} / {method.removeprefix('batchrepo ')} ({table}), {delay:g} ms delay"
            fast = medians.get((operation, method, table, 100))
            slow = medians.get((operation, loop, table, 100))
            if fast is None or slow is None:
                continue
            value = slow / fast
            verdicts.append(Verdict(name, "100", f"{value:.1f}x", "≥ 20x", value >= 20))
    return verdicts


def _streamed(results: Results) -> list[Verdict]:
    verdicts = []
    for name in sorted({s.contender for s in results.streamed}):
        peaks: dict[int, list[float]] = {}
        for s in results.streamed:
            if s.contender == name:
                peaks.setdefault(s.rows, []).append(s.peak_rss_mb)
        if not peaks:
            continue
        largest = max(peaks)
        peak = max(peaks[largest])
        judged = largest >= 1_000_000
        why = "not judged: needs 1,000,000 rows"
        verdicts.append(
            Verdict(
                f"streamed peak RSS, {name}",
                f"{largest:,}",
                f"{peak:.0f} MB",
                "< 200 MB",
                peak < 200 if judged else None,
                why,
            )
        )
        smaller = largest // 10
        if smaller in peaks:
            growth = peak - max(peaks[smaller])
            verdicts.append(
                Verdict(
                    f"streamed peak growth from {smaller:,} rows, {name}",
                    f"{largest:,}",
                    f"{growth:+.0f} MB",
                    "≤ 30 MB",
                    growth <= 30 if judged else None,
                    why,
                )
            )
    return verdicts


def verdicts(results: Results) -> list[Verdict]:
    medians = results.medians()
    found = [v for ratio in _ratios() for v in _judge(ratio, medians)]
    return found + _streamed(results) + _loop_over_batch(results, medians)
