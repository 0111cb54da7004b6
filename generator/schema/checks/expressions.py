"""Expressions of a table: its ``checks`` and the ``where`` of its long-form indexes are read
by :mod:`batchrepo_codegen.schema.expressions` (PostgreSQL's parser and the whitelist); each
refusal is a problem at the YAML value, its message naming the fragment refused and where in
the text it is. A long-form index's ``unique`` without ``where`` is a unique key, and says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..document import IndexDef, SchemaDef, TableDef
from ..expressions import ColumnInfo, ExpressionError, read_expression
from ..issues import Path, Problem
from ..types import ParsedType


def table_columns(table: TableDef, types: Mapping[str, ParsedType]) -> dict[str, ColumnInfo]:
    """What the whitelist knows of a table's columns: position (as ``TableSpec.columns``) and
    type."""
    return {
        name: ColumnInfo(position, types[name])
        for position, name in enumerate(table.columns)
        if name in types
    }


def expression_problems(
    schema: SchemaDef, types: Mapping[tuple[str, str], ParsedType]
) -> list[Problem]:
    """Every refused expression of the schema."""
    problems: list[Problem] = []
    enums: dict[str, Sequence[str]] = {name: e.values for name, e in schema.enums.items()}
    for table_name, table in schema.tables.items():
        own = {c: types[table_name, c] for c in table.columns if (table_name, c) in types}
        if len(own) < len(table.columns):
            continue  # a column type is broken (reported there): its references cannot be read
        columns = table_columns(table, own)
        base: Path = ("tables", table_name)
        texts: list[tuple[Path, str]] = [
            ((*base, "checks", name), text) for name, text in table.checks.items()
        ]
        for name, index in table.indexes.items():
            if isinstance(index, IndexDef) and index.where is not None:
                texts.append(((*base, "indexes", name, "where"), index.where))
            if isinstance(index, IndexDef) and index.unique and index.where is None:
                problems.append(
                    Problem(
                        (*base, "indexes", name, "unique"),
                        "a unique index without where is a unique key: declare it under "
                        "unique (the runtime then checks it before writing)",
                    )
                )
        for path, text in texts:
            try:
                read_expression(text, columns, enums)
            except ExpressionError as error:
                problems.append(Problem(path, str(error)))
    return problems
