"""The markdown report of one run: the targets, then one table per operation.

Each operation's table has a row per contender and table, a column per size: the median time
and, in brackets, how many times the reference's (batchrepo's default batch method on the plain
table) it took, so ``2.5x`` reads "2.5 times as long as batchrepo". Then the cold-start rows and
the streamed imports with their peak memory.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..timing import markdown_table, ms
from .cold_start import OPERATION as COLD_START
from .cold_start import WARM
from .registry import FAMILIES, OPERATIONS, PLAIN
from .results import Results
from .targets import verdicts

#: The row each operation's ratios are relative to.
REFERENCE = {
    "insert": "batchrepo save_batch",
    "load": "batchrepo load_batch",
    "exists": "batchrepo exists_batch",
    "update": "batchrepo update_batch",
    "delete": "batchrepo delete_batch",
    "upsert": "batchrepo upsert_batch",
    COLD_START: WARM,
}


def _rows_of(results: Results, operation: str) -> list[tuple[str, str, str]]:
    """(family, contender, table) of ``operation`` in family order, then first appearance."""
    seen: dict[tuple[str, str, str], int] = {}
    for s in results.samples:
        if s.operation == operation:
            seen.setdefault((s.family, s.contender, s.table), len(seen))
    return sorted(seen, key=lambda k: (FAMILIES.index(k[0]), seen[k]))


def operation_table(results: Results, operation: str, sizes: Sequence[int]) -> str:
    medians = results.medians()
    reference = REFERENCE[operation]
    rows = []
    for _family, contender, table in _rows_of(results, operation):
        cells = [contender, table]
        for size in sizes:
            value = medians.get((operation, contender, table, size))
            base = medians.get((operation, reference, PLAIN, size))
            if value is None:
                cells.append("")
            elif base:
                cells.append(f"{ms(value)} ({value / base:.2f}x)")
            else:
                cells.append(ms(value))
        rows.append(cells)
    return markdown_table(["contender", "table", *(f"{s:,} rows" for s in sizes)], rows)


def targets_table(results: Results) -> str:
    rows = [[v.target, v.rows, v.measured, v.goal, v.mark] for v in verdicts(results)]
    return markdown_table(["target (issue 9)", "rows", "measured", "goal", "verdict"], rows)


def streamed_table(results: Results) -> str:
    rows = [
        [
            s.contender,
            f"{s.rows:,}",
            f"{s.chunk_size:,}",
            ms(s.ms),
            f"{s.rows / s.ms * 1000:,.0f}",
            f"{s.peak_rss_mb:.0f}",
            f"{s.baseline_rss_mb:.0f}",
        ]
        for s in sorted(results.streamed, key=lambda s: (s.contender, s.rows))
    ]
    headers = ["streamed import", "rows", "chunk", "ms", "rows/s", "peak RSS MB", "before MB"]
    return markdown_table(headers, rows)


def markdown(results: Results) -> str:
    env = results.environment
    opts = results.options
    sizes = [
        s
        for s in results.sizes()
        if any(x.rows == s and x.operation in OPERATIONS for x in results.samples)
    ]
    delay = opts.get("proxy_delay_ms") or 0
    network = (
        f"through a loopback proxy adding {delay:g} ms per direction "
        f"(round trip measured {env.get('round_trip_ms', float('nan')):.2f} ms)"
        if delay
        else f"over {env.get('transport', 'a unix socket')} "
        f"(round trip {env.get('round_trip_ms', float('nan')):.3f} ms)"
    )
    lines = [
        f"# batchrepo benchmark, {env.get('date', '')}",
        "",
        f"{env.get('summary', '')}; {network}; medians of {opts.get('repeat')} "
        f"repetitions, contenders interleaved in a rotating order; `person` table (13 columns), "
        "plain = generated without audit, audited = version column and history; "
        f"command: `{opts.get('command', '')}`",
        "",
        "Cells: median ms (time / batchrepo's default batch method on the plain table).",
        "",
        "## Targets",
        "",
        targets_table(results),
    ]
    for operation in OPERATIONS:
        if any(s.operation == operation for s in results.samples):
            lines += ["", f"## {operation}", "", operation_table(results, operation, sizes)]
    if any(s.operation == COLD_START for s in results.samples):
        lines += [
            "",
            "## Cold start (100 rows; ratio to the warm call)",
            "",
            operation_table(results, COLD_START, [100]),
        ]
    if results.streamed:
        lines += ["", "## Streamed import (a child process each)", "", streamed_table(results)]
    notes = [f"* {name}: {note}" for name, note in sorted(results.notes.items())]
    if notes:
        lines += ["", "Notes:", "", *notes]
    return "\n".join(lines) + "\n"
