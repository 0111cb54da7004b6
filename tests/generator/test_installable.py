"""A package generated with ``--package-metadata`` is a distribution: it builds into a wheel
offline, installs into a fresh virtual environment, and imports there without ``PYTHONPATH``,
with its ``schema.sql`` and ``py.typed`` and a dependency on the batchrepo releases that provide
its runtime contract."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

from batchrepo_codegen.cli import main

from batchrepo.contract import CURRENT
from tests.golden.kinds import CODEGEN

CASE = "installable"
PROBE = """
import importlib.metadata, importlib.resources, json, sys
import installable_ledger
from installable_ledger import EntryRepository, UnitOfWork
package = importlib.resources.files("installable_ledger")
print(json.dumps({
    "file": installable_ledger.__file__,
    "requires": importlib.metadata.requires("installable-ledger"),
    "version": importlib.metadata.version("installable-ledger"),
    "typed": package.joinpath("py.typed").is_file(),
    "ddl": "CREATE TABLE" in installable_ledger.ddl(),
    "history": hasattr(EntryRepository, "load_history_batch"),
}))
"""


def _run(*command: str | Path, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
    return done.stdout


def _fresh_venv(root: Path) -> Path:
    """A new virtual environment that sees this one's packages (batchrepo, asyncpg) through a
    ``.pth`` line, but not the generated package; its python."""
    _run(sys.executable, "-m", "venv", "--without-pip", root, cwd=root.parent)
    python = root / "bin" / "python"
    purelib = _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=root)
    ours = [p for p in site.getsitepackages() if "site-packages" in p]
    lines = [f"import site; site.addsitedir({p!r})" for p in ours]
    Path(purelib.strip(), "dev_environment.pth").write_text("\n".join(lines) + "\n")
    return python


def test_the_generated_package_builds_installs_and_imports_without_pythonpath(
    tmp_path: Path,
) -> None:
    source = tmp_path / "source"
    shutil.copytree(CODEGEN.expected_dir(CASE), source)  # a build writes beside its sources
    wheels = tmp_path / "wheels"
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check")
    offline = ("--no-deps", "--no-index", "--no-build-isolation")
    _run(*pip, "wheel", *offline, "--wheel-dir", wheels, source, cwd=tmp_path)
    (wheel,) = wheels.glob("installable_ledger-*.whl")
    python = _fresh_venv(tmp_path / "venv")
    _run(*pip, "--python", python, "install", "--no-deps", "--no-index", wheel, cwd=tmp_path)
    found = json.loads(_run(python, "-c", PROBE, cwd=tmp_path))
    assert Path(found["file"]).is_relative_to(tmp_path / "venv")
    assert found["requires"] == ["batchrepo<0.2,>=0.1"]
    assert found["version"].startswith("0.1.0+schema.")
    assert found["typed"] and found["ddl"] and found["history"]


def test_check_expects_the_metadata_it_was_generated_with(tmp_path: Path) -> None:
    schema = str(CODEGEN.schema_path(CASE))
    out = str(tmp_path / "out")
    assert main(["generate", "--schema", schema, "--out", out, "--package-metadata"]) == 0
    text = (tmp_path / "out" / "pyproject.toml").read_text(encoding="utf-8")
    assert f"runtime contract v{CURRENT}" in text
    assert "--package-metadata" in text.splitlines()[1]
    assert main(["check", "--schema", schema, "--out", out, "--package-metadata"]) == 0
    assert main(["check", "--schema", schema, "--out", out]) == 1  # pyproject.toml is extra
