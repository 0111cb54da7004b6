"""Helpers of the check tests: a schema from plain data, its problems as ``path: message``.

The problems are those of the front end's checks, then, when they pass, the resolved model's
(:data:`batchrepo_codegen.model.MODEL_CHECKS`), as ``batchrepo generate`` runs them.
"""

from __future__ import annotations

from typing import Any

from batchrepo_codegen.model import MODEL_CHECKS
from batchrepo_codegen.schema.checks.tables import check_schema
from batchrepo_codegen.schema.document import SchemaDef
from batchrepo_codegen.schema.issues import format_path

ID = {"type": "uuid", "primary_key": True}


def problems(
    tables: dict[str, Any], enums: dict[str, Any] | None = None, package: str = "shop"
) -> list[str]:
    schema = SchemaDef.model_validate(
        {"version": 1, "package": package, "enums": enums or {}, "tables": tables}
    )
    found = check_schema(schema)
    for check in MODEL_CHECKS:
        found = found or check(schema)
    return [f"{format_path(p.path)}: {p.message}" for p in found]


def column_problems(column: dict[str, Any], enums: dict[str, Any] | None = None) -> list[str]:
    """Problems of one column ``c`` of a table ``item`` keyed by ``id``."""
    return problems({"item": {"columns": {"id": ID, "c": column}}}, enums)
