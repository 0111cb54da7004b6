"""Schema errors: every problem of a document at once, each with its file, line and path.

Checks produce :class:`Problem` (a path in the document and a message); the front end locates
each one in the source (:class:`SourceMap`) and raises one :class:`SchemaError` carrying every
:class:`SchemaIssue`. Its ``str()`` has one line per issue, sorted by position::

    schema.yaml:12:15: tables.person.columns.id.type: unknown type 'uuuid'; did you mean 'uuid'?

Schema names are untrusted, so a path part that is not a plain printable identifier is shown as
its ``repr()`` (``tables['per\\u200bson']``): no control or invisible character reaches a terminal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: Where a node sits in the document: mapping keys and list indexes from the root.
Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    """``("tables", "person", "columns", "id")`` -> ``tables.person.columns.id``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.isidentifier() and part.isprintable() and part.isascii():
            text += f".{part}" if text else part
        else:
            # Non-ASCII names are shown escaped too: confusable letters (Cyrillic 'а' against
            # Latin 'a') are exactly what a reader of an error message needs to see.
            text += f"[{part!r}]"
    return text


def describe(value: Any) -> str:
    """A value as the author wrote it: ``the string 'yes'``, ``the number 3``, ``a list``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found by a check, before it is located in the source."""

    path: Path
    message: str
    at_key: bool = False
    """Located at the entry's key rather than its value (the key itself is the problem)."""


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    """One problem, located: ``file:line:column: path: message``."""

    file: str
    line: int
    column: int
    path: Path
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        if self.path:
            return f"{where}: {format_path(self.path)}: {self.message}"
        return f"{where}: {self.message}"


def _order(issue: SchemaIssue) -> tuple[int, int, str, str]:
    return (issue.line, issue.column, format_path(issue.path), issue.message)


class SchemaError(Exception):
    """A schema that cannot be generated from; ``issues`` holds every problem, by position."""

    def __init__(self, issues: Iterable[SchemaIssue]) -> None:
        self.issues: tuple[SchemaIssue, ...] = tuple(sorted(set(issues), key=_order))
        # The issues are the argument, so a pickled error (pytest-xdist, multiprocessing) rebuilds.
        super().__init__(self.issues)

    def __str__(self) -> str:
        return "\n".join(str(issue) for issue in self.issues)
