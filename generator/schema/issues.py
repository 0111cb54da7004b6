"""Schema errors: every problem of a document at once, each with its file, line and path.

Checks produce :class:`Problem` (a path in the document and a message); the front end locates
each one in the source (:class:`SourceMap`) and raises one :class:`SchemaError` carrying every
:class:`SchemaIssue`. Its ``str()`` has one line per issue, sorted by position::

    schema.yaml:12:15: tables.person.columns.id.type: unknown type 'uuuid'; did you mean 'uuid'?

Schema names are untrusted, so a path part that is not a plain printable identifier is shown as
its ``repr()`` (``tables['per\\u200bson']``): no control or invisible character reaches a terminal.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from .characters import hidden_characters

#: Where a node sits in the document: mapping keys and list indexes from the root.
Path = tuple[str | int, ...]


def visible(text: str) -> str:
    """``text`` with every character that does not show as itself written as an escape
    (``\\u3164``): messages quote untrusted names, and ``repr()`` escapes only what Python
    counts unprintable, not a Hangul filler or a variation selector."""
    for ch in hidden_characters(text):
        code = ord(ch)
        text = text.replace(ch, f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return text


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
    if isinstance(value, int) and value.bit_length() > 3000:
        # str() refuses ints of more than 4,300 digits; a Python schema can hold one
        return f"a number of about {value.bit_length() * 30103 // 100000:,} digits"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


#: Comparisons left for "did you mean" suggestions in the document being checked (None: no
#: bound). difflib compares a word with every option in Python: a hostile document of 1,000
#: tables with a broken reference each spent 8 s there, 4,000 unknown types among 200 enums 13 s.
_SUGGESTIONS: ContextVar[list[int] | None] = ContextVar("suggestions", default=None)

#: Comparisons one document may spend on suggestions: every suggestion of a real schema (a few
#: dozen problems, each among at most a few hundred names) fits many times over.
SUGGESTION_BUDGET = 50_000


@contextmanager
def suggestion_budget(comparisons: int = SUGGESTION_BUDGET) -> Iterator[None]:
    """Bound the suggestions made inside the block; past the bound messages go without."""
    token = _SUGGESTIONS.set([comparisons])
    try:
        yield
    finally:
        _SUGGESTIONS.reset(token)


def close_match(word: str, options: Sequence[str], *, cutoff: float = 0.6) -> str | None:
    """The option closest to ``word`` (difflib), if any is close and the budget allows."""
    budget = _SUGGESTIONS.get()
    if budget is not None:
        budget[0] -= len(options)
        if budget[0] < 0:
            return None
    found = difflib.get_close_matches(word, list(options), n=1, cutoff=cutoff)
    return found[0] if found else None


def listed(names: Sequence[str], most: int = 20) -> str:
    """``a, b, c`` for a message, at most ``most`` of them (``... and 980 more``)."""
    shown = ", ".join(names[:most])
    return shown if len(names) <= most else f"{shown} and {len(names) - most:,} more"


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found by a check, before it is located in the source."""

    path: Path
    message: str
    at_key: bool = False
    """Located at the entry's key rather than its value (the key itself is the problem)."""


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    """One problem, located: ``file:line:column: path: message``.

    A schema written in Python has no line per node: its issues have line 0 and name the node
    by its Python object path (``shown``: ``LEDGER.tables['person'].columns['id'].type``); an
    error raised while the module ran has the line of the call, and column 0."""

    file: str
    line: int
    column: int
    path: Path
    message: str
    shown: str | None = None
    """How the path is shown, when not as a document path."""

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
        if self.column:
            where += f":{self.column}"
        shown = self.shown if self.shown is not None else format_path(self.path)
        line = f"{where}: {shown}: {self.message}" if shown else f"{where}: {self.message}"
        return visible(line)


def _order(issue: SchemaIssue) -> tuple[int, int, str, str]:
    shown = issue.shown if issue.shown is not None else format_path(issue.path)
    return (issue.line, issue.column, shown, issue.message)


class SchemaError(Exception):
    """A schema that cannot be generated from; ``issues`` holds every problem, by position."""

    def __init__(self, issues: Iterable[SchemaIssue]) -> None:
        self.issues: tuple[SchemaIssue, ...] = tuple(sorted(set(issues), key=_order))
        # The issues are the argument, so a pickled error (pytest-xdist, multiprocessing) rebuilds.
        super().__init__(self.issues)

    def __str__(self) -> str:
        return "\n".join(str(issue) for issue in self.issues)
