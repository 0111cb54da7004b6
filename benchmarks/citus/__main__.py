"""``make bench-citus``: the distributed domain on a single PostgreSQL, a Citus coordinator with
one worker and one with two workers, side by side; then the ``audit_log`` placement question.

Starts its own servers (:mod:`.targets`), imports the package of the golden case
``tests/golden/codegen/distributed`` (``sharded``, as tests/citus do), and writes
``<out>/<name>.json`` (every sample) and ``.md`` (also printed).

    .venv/bin/python -m benchmarks.citus [--quick] [--sizes 1000,10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import platform
import shlex
import sys
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import asdict
from pathlib import Path
from types import ModuleType
from typing import Any

from batchrepo_codegen import devcluster

from ..options import environment, row_counts
from ..timing import machine
from . import runner
from .report import markdown
from .targets import (
    AUDIT_DISTRIBUTED,
    PLACEMENTS,
    TARGETS,
    TWO_WORKERS,
    open_target,
    placement,
    servers,
)
from .workload import setup

ROOT = Path(__file__).resolve().parents[2]
SHARDED = ROOT / "tests" / "golden" / "codegen" / "distributed" / "expected"
FULL_SIZES, QUICK_SIZES = [1_000, 10_000, 100_000], [1_000, 10_000]
DESCRIPTIONS = {
    "plain": "plain: one server, schema.sql only",
    "citus-1w": "citus-1w: a coordinator and 1 worker, schema.sql then citus.sql (4 shards)",
    "citus-2w": "citus-2w: a coordinator and 2 workers, the same",
    AUDIT_DISTRIBUTED: f"{AUDIT_DISTRIBUTED}: citus-2w's servers, audit_log distributed by "
    "id, no foreign key from history to it (audit section only)",
}


def _unit_rows(text: str) -> list[int]:
    """``--unit-rows``: comma-separated row counts, each at least 1 (a unit may save one row)."""
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"unit rows are comma-separated counts: {exc}") from exc
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("each unit saves at least 1 row")
    return counts


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.citus", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="sizes up to 10,000, 3 repetitions")
    parser.add_argument("--sizes", type=row_counts, help="batch sizes (default 1,000 to 100,000)")
    parser.add_argument("--repeat", type=int, help="repetitions (default 5, quick 3)")
    parser.add_argument(
        "--loop-max", type=int, default=1_000, help="largest batch of the row-by-row loop"
    )
    parser.add_argument(
        "--unit-rows",
        type=_unit_rows,
        default=[1, 100],
        help="rows per audit unit of work, comma-separated (default 1,100)",
    )
    parser.add_argument("--units", type=int, help="units per audit sample (default 20, quick 10)")
    parser.add_argument(
        "--multi-shard-mode",
        choices=("sequential", "parallel"),
        default="sequential",
        help="citus.multi_shard_modify_mode of the Citus targets' sessions (default sequential, "
        "as docs/citus.md asks of the runtime's connections)",
    )
    parser.add_argument(
        "--only", default="", help="comma-separated words: contenders (name or table) to keep"
    )
    parser.add_argument("--no-audit", action="store_true", help="skip the audit_log placement")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--name", default="citus", help="file stem of the outputs")
    parser.add_argument(
        "--report", type=Path, help="write the markdown again from this JSON; measure nothing"
    )
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.command = shlex.join(["python", "-m", "benchmarks.citus", *argv])
    args.sizes = args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    args.repeat = args.repeat or (3 if args.quick else 5)
    args.units = args.units or (10 if args.quick else 20)
    if min(args.repeat, args.units, args.loop_max) < 1:
        parser.error("--repeat, --units and --loop-max must be at least 1")
    return args


def _package() -> ModuleType:
    if str(SHARDED) not in sys.path:
        sys.path.insert(0, str(SHARDED))
    import sharded  # type: ignore[import-not-found]  # the golden case's expected package

    return sharded  # type: ignore[no-any-return]


async def _run(
    args: argparse.Namespace,
    nodes: dict[str, devcluster.Cluster],
    save: Callable[[dict[str, Any]], None],
) -> dict[str, Any]:
    """Measure everything, calling ``save`` with the data so far after the audit units and
    after each repetition of each size (a long run cut short keeps what it measured)."""
    package = _package()
    settings = {"citus.multi_shard_modify_mode": args.multi_shard_mode}
    async with AsyncExitStack() as stack:
        targets = {
            label: await stack.enter_async_context(
                open_target(label, nodes[label], package, PLACEMENTS[label], settings)
            )
            for label in TARGETS
        }
        rows = [await setup(targets[label]) for label in TARGETS]
        placed = {label: await placement(target) for label, target in targets.items()}
        data: dict[str, Any] = {
            "format": 1,
            "environment": {
                "date": datetime.date.today().isoformat(),
                "summary": await environment(targets[TWO_WORKERS].conn),
                "python": platform.python_version(),
                "machine": machine(),
                "targets": [DESCRIPTIONS[t] for t in (*TARGETS, AUDIT_DISTRIBUTED)],
                "placement": placed,
            },
            "options": {
                k: getattr(args, k)
                for k in (
                    "command",
                    "sizes",
                    "repeat",
                    "loop_max",
                    "unit_rows",
                    "units",
                    "quick",
                    "multi_shard_mode",
                    "only",
                )
            },
        }
        samples: list[runner.Sample] = []
        audit: list[runner.Sample] = []

        def checkpoint() -> None:
            data["environment"]["machine_after"] = machine()
            data["samples"] = [asdict(s) for s in samples]
            data["audit"] = [asdict(s) for s in audit]
            save(data)

        if not args.no_audit:  # first: a few minutes, and the question docs/citus.md leaves open
            variant = await stack.enter_async_context(
                open_target(
                    AUDIT_DISTRIBUTED,
                    nodes[TWO_WORKERS],
                    package,
                    PLACEMENTS[AUDIT_DISTRIBUTED],
                    settings,
                )
            )
            placed[AUDIT_DISTRIBUTED] = await placement(variant)
            units = [rows[0], rows[2], await setup(variant)]
            await runner.audit_units(units, args.unit_rows, args.units, args.repeat, audit)
            checkpoint()
        only = [word.strip() for word in args.only.split(",") if word.strip()]
        await runner.measure(
            rows, args.sizes, args.repeat, args.loop_max, samples, checkpoint, only
        )
        checkpoint()
        return data


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.report:
        data = json.loads(args.report.read_text(encoding="utf-8"))
    else:

        def save(data: dict[str, Any]) -> None:
            text = json.dumps(data, indent=1) + "\n"
            (args.out / f"{args.name}.json").write_text(text, encoding="utf-8")
            (args.out / f"{args.name}.md").write_text(markdown(data), encoding="utf-8")

        try:
            with servers() as nodes:
                data = asyncio.run(_run(args, nodes, save))
        except devcluster.CitusUnavailable as error:
            print(f"bench-citus: Citus is not available here: {error}", file=sys.stderr)
            return 2
    report = markdown(data)
    print(report)
    (args.out / f"{args.name}.md").write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
