"""Generated code stands on the runtime's public face only: one contract module, versioned,
and an import of a version the runtime does not provide fails with both versions named."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from batchrepo.contract import CURRENT, SUPPORTED
from tests.architecture.contract import contract_names, contract_violations
from tests.architecture.imports import ROOT

GENERATED = sorted(
    p
    for p in [*(ROOT / "generated").rglob("*.py"), *(ROOT / "tests" / "golden").rglob("*.py")]
    if "expected" in p.parts or p.is_relative_to(ROOT / "generated")
)


@pytest.mark.parametrize("path", GENERATED, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_generated_module_imports_nothing_of_the_runtime_but_its_contract(path: Path) -> None:
    assert contract_violations(path.read_text(encoding="utf-8")) == []


def test_every_aggregate_module_states_the_contract_it_needs() -> None:
    person = (ROOT / "generated" / "ledger" / "person.py").read_text(encoding="utf-8")
    assert f"from batchrepo.contract import v{CURRENT} as _rt" in person
    assert f"# Needs batchrepo runtime contract v{CURRENT} (batchrepo.contract)." in person


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("from batchrepo import operations as _ops\n", "not a contract version"),
        ("from batchrepo.spec import TableSpec\n", "not a contract version"),
        ("import batchrepo.operations\n", "import batchrepo.operations"),
        ("from batchrepo.contract import v1 as rt\n", "not _rt"),
        ("from batchrepo.contract import v1 as _rt\n_rt.checked_columns\n", "not in contract v1"),
        ("from batchrepo.contract import v999 as _rt\n", "this runtime provides"),
    ],
    ids=["module", "internal name", "plain import", "alias", "unlisted name", "unknown version"],
)
def test_the_contract_check_catches_code_that_reaches_past_it(source: str, found: str) -> None:
    violations = contract_violations(source)
    assert len(violations) == 1 and found in violations[0], violations


def test_every_supported_version_provides_each_name_it_lists() -> None:
    assert SUPPORTED[-1] == CURRENT
    for version in SUPPORTED:
        module = __import__(f"batchrepo.contract.v{version}", fromlist=["VERSION"])
        assert version == module.VERSION
        missing = [name for name in contract_names(version) if not hasattr(module, name)]
        assert missing == []


def _import_package_with_contract(tmp_path: Path, version: str) -> subprocess.CompletedProcess[str]:
    """Copy the golden ``plain_key`` package, make it ask for contract ``version``, import it
    in a fresh interpreter."""
    expected = next((ROOT / "tests" / "golden").rglob("plain_key/expected/plain_key"))
    package = tmp_path / "plain_key"
    shutil.copytree(expected, package)
    for module in package.glob("*.py"):
        text = module.read_text(encoding="utf-8")
        module.write_text(text.replace(f"import v{CURRENT} as _rt", f"import {version} as _rt"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    return subprocess.run(
        [sys.executable, "-c", "import plain_key"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_code_needing_a_newer_contract_fails_at_import_naming_both_versions(
    tmp_path: Path,
) -> None:
    newer = CURRENT + 1
    result = _import_package_with_contract(tmp_path, f"v{newer}")
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("batchrepo.contract.RuntimeContractError: ")
    assert f"needs batchrepo runtime contract v{newer}" in last
    assert f"provides contract v{CURRENT}" in last
    assert "upgrade batchrepo" in last


def test_code_needing_a_retired_contract_is_told_to_regenerate(tmp_path: Path) -> None:
    result = _import_package_with_contract(tmp_path, "v0")
    last = result.stderr.strip().splitlines()[-1]
    assert "needs batchrepo runtime contract v0" in last
    assert "regenerate the code with the installed batchrepo" in last


def test_the_unchanged_package_imports(tmp_path: Path) -> None:
    result = _import_package_with_contract(tmp_path, f"v{CURRENT}")
    assert result.returncode == 0, result.stderr
