"""How long the generator's front end takes to answer hostile schema files (issue 11).

Each file is written to a temporary folder and read with ``read_schema`` (loading, shape,
meaning, the resolved model's checks: everything ``batchrepo generate`` does before rendering),
several times; the median is printed with the answer's first line. Generating a valid schema
is not timed here (about 0.4 s per table: ``benchmarks.bench`` and the golden tests cover it).

    .venv/bin/python -m benchmarks.hostile_schema [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from batchrepo_codegen.pipeline import read_schema
from batchrepo_codegen.schema.checks.limits import MAX_BYTES
from batchrepo_codegen.schema.issues import SchemaError

HEAD = ["version: 1", "package: hostile"]


def _fill(lines: list[str], line: Callable[[int], str], size: int, most: int | None = None) -> str:
    """``lines`` then ``line(i)`` for i = 0, 1, ... until the text is about ``size`` bytes."""
    total = sum(len(x) + 1 for x in lines)
    i = 0
    while total < size and (most is None or i < most):
        text = line(i)
        if total + len(text) + 1 > size:
            break
        lines.append(text)
        total += len(text) + 1
        i += 1
    return "\n".join(lines) + "\n"


def _issue_tables(size: int) -> str:
    """The issue's file: 5 MB of small tables (24,000 of them)."""
    return _fill(
        [*HEAD, "tables:"],
        lambda i: (
            f"  t{i}: {{columns: {{id: {{type: uuid, primary_key: true}}, "
            f"parent_id: {{type: uuid, references: t{i + 1}, nullable: true}}}}}}"
        ),
        size,
    )


def _tiny_tables(size: int) -> str:
    return _fill([*HEAD, "tables:"], lambda i: f"  t{i}: {{columns: {{id: {{type: uuid}}}}}}", size)


def _wide_table(size: int) -> str:
    return _fill(
        [*HEAD, "tables:", "  t:", "    columns:", "      id: {type: uuid, primary_key: true}"],
        lambda i: f"      c{i}: {{type: text}}",
        size,
    )


def _broken_everywhere(size: int) -> str:
    """1,000 tables (the limit), every column with a problem: unknown types and keys, bad
    defaults, references to missing tables, inverted checks, among 200 enums."""
    choose = random.Random(11)
    lines = [*HEAD, "enums:", *(f"  e{i}: {{values: [a, b, c]}}" for i in range(200)), "tables:"]
    kinds = ["uuuid", "varchar(10)", "numeric(10", "e3", "text", "integer"]
    extras = [
        "",
        ", nulable: true",
        ", default: 1e3",
        ", references: t{}",
        ", check: {{min: 5, max: 1}}",
        ", unique: yes",
    ]

    def table(i: int) -> str:
        columns = [f"    t{i}:", "      columns:", "        id: {type: uuid, primary_key: true}"]
        for c in range(24):
            extra = choose.choice(extras).format(choose.randrange(2000))
            columns.append(f"        c{c}: {{type: {choose.choice(kinds)}{extra}}}")
        columns.append(f"      indexes: {{t{i}_i: [c1, c2, zz]}}")
        return "\n".join(columns)[2:]

    return _fill(lines, table, size, most=1000)


def _long_number(size: int) -> str:
    columns = [
        "      id: {type: uuid, primary_key: true}",
        f"      v: {{type: numeric, default: {'9' * 5000}}}",
    ]
    return "\n".join([*HEAD, "tables:", "  t:", "    columns:", *columns])


FILES: list[tuple[str, Callable[[int], str], int]] = [
    ("5 MB, 24,000 tables (the issue's)", _issue_tables, 5 * 1024 * 1024),
    ("1 MiB, 26,000 one-column tables", _tiny_tables, MAX_BYTES),
    ("1 MiB, one table of 39,000 columns", _wide_table, MAX_BYTES),
    ("1 MiB, 1,000 tables, every column broken", _broken_everywhere, MAX_BYTES),
    ("a 5,000-digit number", _long_number, MAX_BYTES),
]


def answer(path: Path) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        read_schema(path)
    except SchemaError as error:
        elapsed = time.perf_counter() - started
        first = str(error.issues[0]).split(": ", 1)[1][:70]
        count = len(error.issues)
        return elapsed, f"{count:,} problem{'s' if count != 1 else ''}; first: {first}"
    return time.perf_counter() - started, "accepted"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print("| file | bytes | median | answer |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for label, make, size in FILES:
            path = Path(folder) / "schema.yaml"
            path.write_text(make(size), encoding="utf-8")
            runs = [answer(path) for _ in range(args.repeat)]
            median = statistics.median(seconds for seconds, _ in runs)
            print(f"| {label} | {path.stat().st_size:,} | {median:.2f} s | {runs[0][1]} |")


if __name__ == "__main__":
    main()
