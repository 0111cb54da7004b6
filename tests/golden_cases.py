"""Golden cases: ``tests/golden/<feature>/schema.yaml`` and the package generated from it,
committed under ``tests/golden/<feature>/expected/<package>/``.

    python -m tests.golden_cases regenerate [feature ...]   # rewrite expected output (make golden)
    python -m tests.golden_cases check [feature ...]        # exit 1 listing stale files

Each case is generated as if by ``batchrepo generate --schema tests/golden/<feature>/schema.yaml
--out tests/golden/<feature>/expected`` run from the repository root, whatever the current
directory, so the headers (which name that command) are the same on every machine.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from batchrepo_codegen import generate
from batchrepo_codegen.output.writer import TreeDiff, compare_tree, write_tree

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
REGENERATE = "make golden (or: python -m tests.golden_cases regenerate)"


def cases() -> list[str]:
    """Every feature folder that holds a schema, sorted."""
    return sorted(p.parent.name for p in GOLDEN.glob("*/schema.yaml"))


def schema_path(case: str) -> Path:
    return GOLDEN / case / "schema.yaml"


def expected_dir(case: str) -> Path:
    return GOLDEN / case / "expected"


def generate_case(case: str) -> dict[str, str]:
    relative = f"tests/golden/{case}"
    return generate(schema_path(case), f"{relative}/expected", source=f"{relative}/schema.yaml")


def diff_case(case: str) -> TreeDiff:
    return compare_tree(expected_dir(case), generate_case(case))


def regenerate(case: str) -> int:
    files = generate_case(case)
    write_tree(expected_dir(case), files)
    return len(files)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.golden_cases")
    parser.add_argument("command", choices=("regenerate", "check"))
    parser.add_argument("cases", nargs="*", help="features (default: all)")
    args = parser.parse_args(argv)
    chosen = args.cases or cases()
    unknown = sorted(set(chosen) - set(cases()))
    if unknown:
        parser.error(f"no golden case {unknown}; known: {cases()}")
    stale = 0
    for case in chosen:
        if args.command == "regenerate":
            print(f"{case}: wrote {regenerate(case)} files")
            continue
        diff = diff_case(case)
        if not diff.clean:
            stale += 1
            print(f"{case}: stale")
            for line in diff.lines():
                print(f"  {line}")
    if stale:
        print(f"{stale} stale golden case(s); fix: {REGENERATE}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
