"""The front end: ``schema.yaml`` text to a checked :class:`SchemaDef`, or every problem at once.

API for the later stages::

    load_schema(path, later_checks=()) -> SchemaDef   # reads the file (UTF-8); OSError if
    unreadable
    parse_schema(text, filename, later_checks=()) -> SchemaDef  # filename names the file in
    messages
    check_document(data, locator, later_checks=(), reported=()) -> SchemaDef   # plain data
    check_schema_def(schema, locator, later_checks=()) -> SchemaDef    # models built in Python
    column_types(schema) -> {table: {column: ParsedType}}
    column_type(schema, table, column) -> ParsedType

The loaders raise :class:`SchemaError` carrying every issue, located ``file:line:column`` (a
``locator`` says where a path is: the YAML's :class:`SourceMap`, or a Python object path for
a schema written in Python). The size of the text is bounded first (:data:`limits.MAX_BYTES`);
then the YAML rules (:mod:`loader`; a syntax error stops there), the shape (:mod:`shape`), the
meaning (:mod:`checks`), then ``later_checks``: checks of a later stage that need a schema every
front-end check accepted (the SQL names of :mod:`batchrepo_codegen.model` need it resolved),
located like the others. Problems of every kind come in one report: when the shape check
fails, the semantic checks still run on what can be read (:mod:`partial`), and problems that
merely follow from one already reported are left out.

A schema these functions return is known to generate: every type parses, every reference
resolves, every name is safe where it lands. ``column_types`` relies on that (it raises
:class:`TypeSyntaxError` only for a schema that did not come from here).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from pydantic import ValidationError

from .checks.limits import MAX_BYTES, count_problems, size_problem
from .checks.tables import check_schema
from .document import SchemaDef
from .issues import Path, Problem, SchemaError, SchemaIssue, suggestion_budget
from .loader import read_yaml
from .partial import semantic_problems_despite, without_follow_ons
from .shape import shape_problems
from .types import ParsedType, parse_type

#: A check a later stage runs once the front end accepted a schema.
LaterCheck = Callable[[SchemaDef], list[Problem]]


class Locator(Protocol):
    """Where a document path is, for messages."""

    def issue(self, path: Path, message: str, *, at_key: bool = False) -> SchemaIssue: ...


def load_schema(
    path: str | os.PathLike[str], *, later_checks: Sequence[LaterCheck] = ()
) -> SchemaDef:
    """Read, parse and check the schema file at ``path``."""
    filename = os.fspath(path)
    with open(filename, "rb") as file:
        raw = file.read(MAX_BYTES + 1)  # a larger file is refused unread
    if len(raw) > MAX_BYTES:
        size = os.stat(filename).st_size
        raise SchemaError([SchemaIssue(filename, 1, 1, (), size_problem(size))])
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
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_BYTES:
        raise SchemaError([SchemaIssue(filename, 1, 1, (), size_problem(size))])
    loaded = read_yaml(text, filename)
    if not loaded.complete:
        raise SchemaError(loaded.issues)
    return check_document(
        loaded.data,
        loaded.source,
        later_checks=later_checks,
        reported=loaded.issues,
        replaced=loaded.replaced,
    )


def check_document(
    data: Any,
    locator: Locator,
    *,
    later_checks: Sequence[LaterCheck] = (),
    reported: Sequence[SchemaIssue] = (),
    replaced: Sequence[Path] = (),
) -> SchemaDef:
    """Check plain data (what YAML gives: dicts, lists, str, int, float, bool, None) against the
    schema language; ``reported`` are problems an earlier step found in it (the loader's), and
    ``replaced`` the nodes it did not keep as written, whose follow-ons are left out."""
    with suggestion_budget():
        return _check_document(data, locator, later_checks, reported, replaced)


def _check_document(
    data: Any,
    locator: Locator,
    later_checks: Sequence[LaterCheck],
    reported: Sequence[SchemaIssue],
    replaced: Sequence[Path],
) -> SchemaDef:
    problems: list[Problem] = count_problems(data)
    if problems:  # far over a limit: say so without spending long on the rest
        raise SchemaError(
            [*reported, *(locator.issue(p.path, p.message, at_key=p.at_key) for p in problems)]
        )
    schema: SchemaDef | None = None
    try:
        schema = SchemaDef.model_validate(data)
    except ValidationError as error:
        shape = shape_problems(data, error)
        semantic = semantic_problems_despite(data, shape, later_checks)
        problems = shape + without_follow_ons(semantic, [p.path for p in shape])
    else:
        problems = _semantic(schema, later_checks)
    problems = without_follow_ons(problems, replaced)
    issues = [*reported, *(locator.issue(p.path, p.message, at_key=p.at_key) for p in problems)]
    if issues or schema is None:
        raise SchemaError(issues)
    return schema


def check_schema_def(
    schema: SchemaDef, locator: Locator, *, later_checks: Sequence[LaterCheck] = ()
) -> SchemaDef:
    """Check a :class:`SchemaDef` built in Python (its shape held when it was constructed)."""
    with suggestion_budget():
        problems = _semantic(schema, later_checks)
    if problems:
        raise SchemaError(locator.issue(p.path, p.message, at_key=p.at_key) for p in problems)
    return schema


def _semantic(schema: SchemaDef, later_checks: Sequence[LaterCheck]) -> list[Problem]:
    problems = check_schema(schema)
    for check in later_checks:
        if problems:
            break
        problems = check(schema)
    return problems


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
