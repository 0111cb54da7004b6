"""The markdown of ``make bench-citus``: rows/s side by side, one owner against many, CPU per
role, and the cost per unit of work of each ``audit_log`` placement.

Every figure is a median over the repetitions; a ratio is throughput against throughput
(``0.50x``: half the rows per second of the column it is compared with).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from ..timing import markdown_table, ms
from .cpu import ROLES
from .targets import AUDIT_DISTRIBUTED, PLAIN, TARGETS, TWO_WORKERS
from .workload import MANY, ONE, SHAPES

Key = tuple[str, str, str, str, int]  # contender, table, shape, target, rows


def medians(samples: Iterable[dict[str, Any]]) -> dict[Key, float]:
    grouped: dict[Key, list[float]] = defaultdict(list)
    for s in samples:
        grouped[(s["contender"], s["table"], s["shape"], s["target"], s["rows"])].append(s["ms"])
    return {k: statistics.median(v) for k, v in grouped.items()}


def _rate(rows: int, median_ms: float | None) -> str:
    return "-" if median_ms is None else f"{rows / median_ms * 1000:,.0f}"


def _times(faster: float | None, slower: float | None) -> str:
    """Throughput of the first median against the second's (medians are times)."""
    return "-" if faster is None or slower is None else f"{slower / faster:.2f}x"


def _entries(median: dict[Key, float]) -> list[tuple[str, str]]:
    return list(dict.fromkeys((k[0], k[1]) for k in median))


def _throughput(median: dict[Key, float], size: int) -> str:
    rows = []
    for name, table in _entries(median):
        for shape in SHAPES:
            at = {t: median.get((name, table, shape, t, size)) for t in TARGETS}
            if all(v is None for v in at.values()):
                continue
            rows.append(
                [name, table, shape, *(_rate(size, at[t]) for t in TARGETS)]
                + [_times(at[t], at[PLAIN]) for t in TARGETS[1:]]
                + [_times(at[TARGETS[2]], at[TARGETS[1]])]
            )
    headers = ["contender", "table", "batch", *(f"{t} rows/s" for t in TARGETS)]
    headers += ["1w : plain", "2w : plain", "2w : 1w"]
    return markdown_table(headers, rows)


def _owners(median: dict[Key, float], size: int) -> str:
    rows = []
    for name, table in _entries(median):
        ratios = [
            _times(
                median.get((name, table, ONE, t, size)), median.get((name, table, MANY, t, size))
            )
            for t in TARGETS
        ]
        if any(r != "-" for r in ratios):
            rows.append([name, table, *ratios])
    return markdown_table(["contender", "table", *(f"{t}: one : many" for t in TARGETS)], rows)


def _cpu(samples: Sequence[dict[str, Any]], size: int) -> str:
    rows = []
    for target in TARGETS:
        mine = [s for s in samples if s["target"] == target and s["rows"] == size]
        wall = sum(s["ms"] for s in mine)
        if not wall:
            continue
        spent = {role: sum(s["cpu"][role] for s in mine) for role in ROLES}
        busy = sum(spent.values()) / wall
        rows.append(
            [target, f"{wall / 1000:.1f}"]
            + [f"{spent[r] / 1000:.1f} ({spent[r] / wall:.0%})" for r in ROLES]
            + [f"{busy:.2f}"]
        )
    headers = ["target", "wall s", *(f"{r} CPU s (of wall)" for r in ROLES), "cores busy"]
    return markdown_table(headers, rows)


def _per_row(samples: Sequence[dict[str, Any]], size: int) -> str:
    """Median CPU microseconds per row of each role, many-owner batches: what each role's
    ceiling in rows/s would be on a machine of its own (1e6 / µs)."""
    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for s in samples:
        if s["rows"] == size and s["shape"] == MANY:
            grouped[(s["contender"], s["table"], s["target"])].append(s)
    rows = []
    for name, table in dict.fromkeys((n, t) for n, t, _ in grouped):
        for target in [t for t in TARGETS if (name, table, t) in grouped]:
            mine = grouped[(name, table, target)]
            per_row = [statistics.median(s["cpu"][r] for s in mine) * 1000 / size for r in ROLES]
            wall = statistics.median(s["ms"] for s in mine) * 1000 / size
            rows.append([name, table, target, *(f"{v:.1f}" for v in per_row), f"{wall:.1f}"])
    headers = ["contender", "table", "target", *(f"{r} µs/row" for r in ROLES), "wall µs/row"]
    return markdown_table(headers, rows)


def _audit(samples: Sequence[dict[str, Any]]) -> str:
    median = medians(samples)
    targets = (PLAIN, TWO_WORKERS, AUDIT_DISTRIBUTED)
    rows = []
    for n in sorted({s["rows"] for s in samples}):
        at = {
            t: next((v for k, v in median.items() if k[3] == t and k[4] == n), None)
            for t in targets
        }
        cpu = {
            t: {
                r: statistics.median(
                    s["cpu"][r] for s in samples if s["target"] == t and s["rows"] == n
                )
                for r in ROLES
            }
            for t in targets
            if at[t] is not None
        }
        rows.append(
            [f"{n} row{'s' * (n > 1)}", *(ms(at[t]) if at[t] else "-" for t in targets)]
            + [_times(at[AUDIT_DISTRIBUTED], at[TWO_WORKERS])]
            + [" / ".join(ms(cpu[t][r]) for r in ROLES) if t in cpu else "-" for t in targets[1:]]
        )
    headers = ["unit", "plain ms", "audit_log reference ms", "audit_log distributed ms"]
    headers += ["distributed : reference (throughput)", "CPU ms reference (client/coord/workers)"]
    headers += ["CPU ms distributed (client/coord/workers)"]
    return markdown_table(headers, rows)


def markdown(data: dict[str, Any]) -> str:
    samples, audit = data["samples"], data["audit"]
    median = medians(samples)
    sizes = sorted({s["rows"] for s in samples})
    env, options = data["environment"], data["options"]
    parts = [
        "# make bench-citus: the distributed domain on plain PostgreSQL and Citus",
        "",
        f"{env['summary']}. `{options['command']}`; medians of {options['repeat']} "
        f"repetitions, targets interleaved. Load before: {env['machine']}; after: "
        f"{env.get('machine_after', '-')}.",
        "",
        "Targets (all on this machine, sharing its cores): " + "; ".join(env["targets"]) + ".",
    ]
    for target, tables in env.get("placement", {}).items():
        if tables:
            placed = ", ".join(f"{name} {how}" for name, how in tables.items())
            parts += ["", f"Placement on {target} (pg_dist_partition): {placed}."]
    done = {
        size: len({s["repetition"] for s in samples if s["rows"] == size})
        for size in options["sizes"]
    }
    if any(n != options["repeat"] for n in done.values()):
        cut = ", ".join(f"{size:,} rows: {n}" for size, n in done.items())
        parts += ["", f"Cut short: repetitions measured per size: {cut}."]
    if options.get("only"):
        parts += ["", f"Only the contenders matching `{options['only']}`."]
    for size in sizes:
        parts += ["", f"## {size:,} rows", "", _throughput(median, size)]
    if sizes:
        largest = sizes[-1]
        parts += ["", f"## One owner against many owners ({largest:,} rows)", ""]
        parts += [_owners(median, largest)]
        parts += ["", f"## CPU by role, every job of {largest:,} rows summed", ""]
        parts += [_cpu(samples, largest)]
        parts += ["", f"## CPU per row by role, many owners, {largest:,} rows", ""]
        parts += [_per_row(samples, largest)]
    if audit:
        parts += ["", "## audit_log placement: cost per unit of work (save_batch of one owner)", ""]
        parts += [_audit(audit)]
    return "\n".join(parts) + "\n"
