"""Generated packages the property tests drive: generating one, and finding its TableSpecs."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from batchrepo.spec import TableSpec


def generate(schema: Path, out: Path) -> None:
    """Generate the package of ``schema`` into ``out/<package>`` (the generator's pure
    ``generate()``, written as ``batchrepo generate --schema schema --out out`` would)."""
    # imported by name: batchrepo_codegen is installed through an editable-install import hook
    # that mypy cannot follow
    pipeline = importlib.import_module("batchrepo_codegen.pipeline")
    files: dict[str, str] = pipeline.generate(schema, out)
    for relative, text in files.items():
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def import_from(directory: Path, package: str) -> ModuleType:
    """Import ``package`` from ``directory`` (put first on ``sys.path``)."""
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
    return importlib.import_module(package)


def table_specs(package: ModuleType) -> dict[str, TableSpec[Any, Any]]:
    """Every TableSpec constant of the package's modules, by table name."""
    specs: dict[str, TableSpec[Any, Any]] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, TableSpec):
                specs.setdefault(value.table, value)
    return specs


def ddl(package: ModuleType) -> str:
    text = package.ddl()
    assert isinstance(text, str)
    return text
