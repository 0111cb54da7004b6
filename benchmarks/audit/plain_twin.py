"""The ledger package without audit on ``person``, generated at run time, to compare against.

The audit overhead is only measurable next to an identical table that is not audited: same
columns, indexes and foreign keys, same generated code paths, minus the version column, the
history table and the ``audit_log`` argument. Rather than keep a second schema in the repository
(which would drift), :func:`plain_twin` copies ``schema.yaml``, drops ``audit`` from the tables
named, renames the package (so both import side by side) and runs the generator into a temporary
directory that lives as long as the ``with`` block.
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

# Imported by name: the editable install maps batchrepo_codegen onto generator/ through an import
# hook that mypy cannot follow, so a plain import fails type checking of benchmarks/.
generate: Callable[[Path, Path], dict[str, str]] = importlib.import_module(
    "batchrepo_codegen"
).generate
#: The twin's package name (the schema's ``package:``).
PLAIN_PACKAGE = "ledger_plain"


def without_audit(schema: dict[str, Any], tables: Sequence[str], package: str) -> dict[str, Any]:
    """A copy of a loaded schema with ``audit`` removed from ``tables`` and ``package`` renamed.

    A ValueError names a table that is missing or was not audited: the comparison would
    silently measure two identical tables.
    """
    copy = {**schema, "package": package, "tables": dict(schema["tables"])}
    for name in tables:
        table = copy["tables"].get(name)
        if table is None or not table.get("audit"):
            raise ValueError(f"schema table {name!r} is not an audited table of the schema")
        copy["tables"][name] = {key: value for key, value in table.items() if key != "audit"}
    return copy


@contextmanager
def plain_twin(
    schema_path: Path, tables: Sequence[str] = ("person",), package: str = PLAIN_PACKAGE
) -> Iterator[ModuleType]:
    """The generated package of ``schema_path`` without audit on ``tables``, imported as
    ``package``; removed from ``sys.path`` and ``sys.modules`` afterwards."""
    schema = yaml.safe_load(schema_path.read_text(encoding="utf-8"))
    twin = without_audit(schema, tables, package)
    with tempfile.TemporaryDirectory(prefix="batchrepo-twin-") as root:
        source = Path(root) / "schema.yaml"
        # sort_keys=False: the order of columns is the order of the table's columns
        source.write_text(yaml.safe_dump(twin, sort_keys=False), encoding="utf-8")
        out = Path(root) / "generated"
        for relative, text in generate(source, out).items():
            target = out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        sys.path.insert(0, str(out))
        try:
            yield importlib.import_module(package)
        finally:
            sys.path.remove(str(out))
            for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
                del sys.modules[name]
