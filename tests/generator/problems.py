"""Helpers of the check tests: a schema from plain data, its problems as ``path: message``."""

from __future__ import annotations

from typing import Any

from batchrepo_codegen.checks import check_schema
from batchrepo_codegen.errors import format_path
from batchrepo_codegen.schema import SchemaDef

ID = {"type": "uuid", "primary_key": True}


def problems(
    tables: dict[str, Any], enums: dict[str, Any] | None = None, package: str = "shop"
) -> list[str]:
    schema = SchemaDef.model_validate(
        {"version": 1, "package": package, "enums": enums or {}, "tables": tables}
    )
    return [f"{format_path(p.path)}: {p.message}" for p in check_schema(schema)]


def column_problems(column: dict[str, Any], enums: dict[str, Any] | None = None) -> list[str]:
    """Problems of one column ``c`` of a table ``item`` keyed by ``id``."""
    return problems({"item": {"columns": {"id": ID, "c": column}}}, enums)
