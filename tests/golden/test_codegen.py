"""Codegen golden cases (``tests/golden/codegen``) and the committed ``generated/`` package: up to
date in both directions (changed, missing and extra files), importable, and clean under
``mypy --strict`` and the lint of ``make check``.

Their DDL and statements against a real PostgreSQL are in ``test_codegen_database.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from batchrepo_codegen import generate
from batchrepo_codegen.output.writer import compare_tree

from tests.golden.harness import ROOT, assert_current
from tests.golden.kinds import CODEGEN

CASES = CODEGEN.cases()
REQUIRED = {
    "plain_key",
    "composite_key",
    "identity_key",
    "foreign_keys",
    "arrays_and_json",
    "all_types",
    "keywords_and_unicode_names",
    "short_names",
}
DEMO_SCHEMA = ROOT / "schema.yaml"
DEMO_OUT = ROOT / "generated"


def test_every_required_feature_has_a_case() -> None:
    assert set(CASES) >= REQUIRED


@pytest.mark.parametrize("case", CASES)
def test_golden_case_is_up_to_date(case: str) -> None:
    assert_current(CODEGEN, case)


def test_generated_package_is_up_to_date() -> None:
    if not DEMO_SCHEMA.exists():
        pytest.skip("no schema.yaml at the repository root, so generated/ has nothing to match")
    files = generate(DEMO_SCHEMA, "generated", source="schema.yaml")
    diff = compare_tree(DEMO_OUT, files)
    assert diff.clean, (
        "generated/ is stale against schema.yaml:\n  "
        + "\n  ".join(diff.lines())
        + "\nRun: make generate (or: batchrepo generate --schema schema.yaml --out generated)"
    )


def _python_path() -> str:
    paths = [str(CODEGEN.expected_dir(case)) for case in CASES] + [str(DEMO_OUT), str(ROOT)]
    return os.pathsep.join(paths)


def test_golden_packages_import_and_ship_their_ddl() -> None:
    packages = [CODEGEN.package(case) for case in CASES]
    script = "\n".join(
        [
            "import importlib, pathlib, pkgutil",
            f"for name in {packages!r}:",
            "    package = importlib.import_module(name)",
            "    for module in pkgutil.iter_modules(package.__path__):",
            "        importlib.import_module(f'{name}.{module.name}')",
            "    expected = (pathlib.Path(package.__file__).parent / 'schema.sql').read_text()",
            "    assert package.ddl() == expected, name",
            "    assert set(package.__all__) <= set(vars(package)), name",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": _python_path()},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_golden_and_generated_packages_pass_mypy_strict(tmp_path: Path) -> None:
    packages = [CODEGEN.package(case) for case in CASES]
    if DEMO_SCHEMA.exists() and DEMO_OUT.is_dir():
        packages += [p.name for p in DEMO_OUT.iterdir() if (p / "__init__.py").exists()]
    args = [arg for package in packages for arg in ("-p", package)]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--python-version",
            "3.11",
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            *args,
        ],
        cwd=ROOT,
        env={**os.environ, "MYPYPATH": _python_path()},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_golden_and_generated_packages_pass_the_lint_of_make_check() -> None:
    """``make lint`` checks the output with ruff's defaults, isolated from the project config."""
    from batchrepo_codegen.output.gate import ruff_binary

    targets = [str(CODEGEN.expected_dir(case)) for case in CASES]
    if DEMO_OUT.is_dir():
        targets.append(str(DEMO_OUT))
    done = subprocess.run(
        [ruff_binary(), "check", "--isolated", "--line-length", "100", *targets],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
