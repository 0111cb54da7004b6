"""The front end: ``schema.yaml`` text to a checked :class:`SchemaDef`, or every problem at once.

API for the later stages::

    load_schema(path, later_checks=()) -> SchemaDef   # reads the file (UTF-8); OSError if
    unreadable
    parse_schema(text, filename, later_checks=()) -> SchemaDef  # filename names the file in
    messages
    column_types(schema) -> {table: {column: ParsedType}}
    column_type(schema, table, column) -> ParsedType

Both loaders raise :class:`SchemaError` carrying every issue, located ``file:line:column``:
first the YAML rules (:mod:`loader`; a syntax error stops there), then the shape
(:mod:`shape`), then the meaning (:mod:`checks`), then ``later_checks``: checks of a later
stage that need a schema every front-end check accepted (the SQL names of
:mod:`batchrepo_codegen.model` need it resolved), located like the others. When the shape check
fails, the semantic checks
still run on the tables and enums that passed it (the broken ones are taken on trust where
referenced), so one run shows nearly everything.

A schema these functions return is known to generate: every type parses, every reference
resolves, every name is safe where it lands. ``column_types`` relies on that (it raises
:class:`TypeSyntaxError` only for a schema that did not come from here).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError

from .checks.tables import check_schema
from .document import SchemaDef
from .issues import Problem, SchemaError, SchemaIssue
from .loader import SourceMap, load_yaml
from .shape import shape_problems
from .types import ParsedType, TypeSyntaxError, parse_type

#: Stands in for a package name that failed the shape check, so the rest can still be checked.
_PLACEHOLDER_PACKAGE = "unreadable_package"

#: A check a later stage runs once the front end accepted a schema.
LaterCheck = Callable[[SchemaDef], list[Problem]]


def load_schema(
    path: str | os.PathLike[str], *, later_checks: Sequence[LaterCheck] = ()
) -> SchemaDef:
    """Read, parse and check the schema file at ``path``."""
    filename = os.fspath(path)
    with open(filename, "rb") as file:
        raw = file.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        message = f"the file is not valid UTF-8 (byte 0x{raw[error.start]:02X})"
        raise SchemaError([SchemaIssue(filename, line, column, (), message)]) from None
    return parse_schema(text, filename, later_checks=later_checks)


def parse_schema(text: str, filename: str, *, later_checks: Sequence[LaterCheck] = ()) -> SchemaDef:
    """Parse and check schema text; ``filename`` is what messages call the file."""
    data, source = load_yaml(text, filename)
    try:
        schema = SchemaDef.model_validate(data)
    except ValidationError as error:
        shape = shape_problems(data, error)
        raise SchemaError(_located(source, shape + _check_readable_part(data, shape))) from None
    problems = check_schema(schema)
    for check in later_checks:
        if problems:
            break
        problems = check(schema)
    if problems:
        raise SchemaError(_located(source, problems))
    return schema


def column_types(schema: SchemaDef) -> dict[str, dict[str, ParsedType]]:
    """The parsed type of every column, by table and column name, in schema order."""
    enum_names = frozenset(schema.enums)
    return {
        table_name: {
            column_name: parse_type(column.type, enum_names)
            for column_name, column in table.columns.items()
        }
        for table_name, table in schema.tables.items()
    }


def column_type(schema: SchemaDef, table: str, column: str) -> ParsedType:
    """The parsed type of one column (``KeyError`` for a table or column not in the schema)."""
    return parse_type(schema.tables[table].columns[column].type, frozenset(schema.enums))


def _located(source: SourceMap, problems: list[Problem]) -> list[SchemaIssue]:
    return [source.issue(p.path, p.message, at_key=p.at_key) for p in problems]


def _unreadable_column_types(
    data: dict[str, Any], tables: set[str], enum_names: set[str]
) -> list[Problem]:
    """Type problems of the columns of tables left out for their shape: type names are where
    typos are most likely, and they do not depend on the rest of the table."""
    problems = []
    for table_name in sorted(tables):
        columns = (
            data["tables"][table_name].get("columns")
            if isinstance(data["tables"][table_name], dict)
            else None
        )
        if not isinstance(columns, dict):
            continue
        for column_name, column in columns.items():
            declared = column.get("type") if isinstance(column, dict) else None
            if not isinstance(declared, str) or not declared:
                continue
            try:
                parse_type(declared, enum_names)
            except TypeSyntaxError as error:
                path = ("tables", table_name, "columns", column_name, "type")
                problems.append(Problem(path, str(error)))
    return problems


def _check_readable_part(data: Any, shape: list[Problem]) -> list[Problem]:
    """Semantic problems of the tables and enums that passed the shape check.

    Entries with a shape problem are left out (and named as unreadable, so references to them
    are not reported as missing); a broken ``version`` or ``package`` is replaced by a stand-in.
    Returns nothing when too little is readable to check anything.
    """
    if not isinstance(data, dict):
        return []
    partial = dict(data)
    broken: dict[str, set[str]] = {"tables": set(), "enums": set()}
    for problem in shape:
        path = problem.path
        if len(path) >= 2 and path[0] in broken:
            broken[str(path[0])].add(str(path[1]))
        elif len(path) == 1 and path[0] in broken:
            return []
        elif len(path) == 1:
            partial.pop(str(path[0]), None)
    partial.setdefault("version", 1)
    package_unreadable = "package" not in partial
    partial.setdefault("package", _PLACEHOLDER_PACKAGE)
    for section, names in broken.items():
        entries = partial.get(section, {})
        if not isinstance(entries, dict):
            return []
        partial[section] = {k: v for k, v in entries.items() if k not in names}
    if not partial["tables"]:
        return []
    try:
        schema = SchemaDef.model_validate(partial)
    except ValidationError:
        return []
    problems = check_schema(
        schema, unreadable_tables=broken["tables"], unreadable_enums=broken["enums"]
    )
    problems += _unreadable_column_types(data, broken["tables"], {*schema.enums, *broken["enums"]})
    if package_unreadable:
        problems = [p for p in problems if p.path[:1] != ("package",)]
    return problems
