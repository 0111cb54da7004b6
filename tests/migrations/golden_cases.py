"""Golden migrations: ``tests/migrations/golden/<case>/`` holds ``old.yaml``, ``new.yaml`` and
the migration between them, ``expected.sql``, or, when it is refused, ``expected_error.txt``.

Optional files: ``ALLOW_DESTRUCTIVE`` (plan with ``allow_destructive=True``), ``seed.sql`` (rows
written after the old DDL, before the migration, so it runs on a table with data) and
``verify.sql`` (one SELECT returning true when the data survived the migration).

    python -m tests.migrations.golden_cases regenerate [case ...]   # rewrite the expected files
    python -m tests.migrations.golden_cases check [case ...]        # exit 1 naming stale ones
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from batchrepo_codegen.migrate.files import file_header
from batchrepo_codegen.migrate.planner import MigrationRefused, plan_migration, schema_fingerprint
from batchrepo_codegen.schema.document import SchemaDef
from batchrepo_codegen.schema.parse import parse_schema

ROOT = Path(__file__).resolve().parent.parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
REGENERATE = "python -m tests.migrations.golden_cases regenerate"
EXPECTED_SQL = "expected.sql"
EXPECTED_ERROR = "expected_error.txt"


@dataclass(frozen=True)
class Case:
    name: str
    old: SchemaDef
    new: SchemaDef
    allow_destructive: bool

    @property
    def folder(self) -> Path:
        return GOLDEN / self.name

    def optional(self, file: str) -> str | None:
        path = self.folder / file
        return path.read_text(encoding="utf-8") if path.exists() else None


def case_names() -> list[str]:
    return sorted(p.parent.name for p in GOLDEN.glob("*/new.yaml"))


def load_case(name: str) -> Case:
    folder = GOLDEN / name
    relative = folder.relative_to(ROOT).as_posix()

    def schema(file: str) -> SchemaDef:
        text = (folder / file).read_text(encoding="utf-8")
        return parse_schema(text, f"{relative}/{file}")

    allow = (folder / "ALLOW_DESTRUCTIVE").exists()
    return Case(name, schema("old.yaml"), schema("new.yaml"), allow)


def planned(case: Case) -> tuple[str, str]:
    """(file name, text) the case's migration plans to: the SQL, or the refusal."""
    relative = case.folder.relative_to(ROOT).as_posix()
    try:
        migration = plan_migration(case.old, case.new, allow_destructive=case.allow_destructive)
    except MigrationRefused as refused:
        return EXPECTED_ERROR, f"{refused}\n"
    header = file_header(
        schema_fingerprint(case.new), schema=f"{relative}/new.yaml", base=f"{relative}/old.yaml"
    )
    return EXPECTED_SQL, migration.render(header)


def stale(case: Case) -> str | None:
    """Why the committed expectation differs from the plan; None when it matches."""
    file, text = planned(case)
    path = case.folder / file
    if not path.exists():
        return f"{file} missing"
    if path.read_text(encoding="utf-8") != text:
        return f"{file} differs"
    other = EXPECTED_ERROR if file == EXPECTED_SQL else EXPECTED_SQL
    if (case.folder / other).exists():
        return f"{other} left over"
    return None


def regenerate(case: Case) -> str:
    file, text = planned(case)
    (case.folder / file).write_text(text, encoding="utf-8")
    other = EXPECTED_ERROR if file == EXPECTED_SQL else EXPECTED_SQL
    (case.folder / other).unlink(missing_ok=True)
    return file


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.migrations.golden_cases")
    parser.add_argument("command", choices=("regenerate", "check"))
    parser.add_argument("cases", nargs="*", help="cases (default: all)")
    args = parser.parse_args(argv)
    chosen = args.cases or case_names()
    if unknown := sorted(set(chosen) - set(case_names())):
        parser.error(f"no golden migration case {unknown}; known: {case_names()}")
    problems = 0
    for name in chosen:
        case = load_case(name)
        if args.command == "regenerate":
            print(f"{name}: wrote {regenerate(case)}")
        elif (why := stale(case)) is not None:
            problems += 1
            print(f"{name}: {why}")
    if problems:
        print(f"{problems} stale golden migration(s); fix: {REGENERATE}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
