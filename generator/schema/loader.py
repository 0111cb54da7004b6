"""Safe YAML loading of untrusted text into plain data, with the position of every node.

PyYAML's ``safe_load`` is not safe enough for a schema (field notes part 2): it keeps the last of
two duplicate keys silently and reads ``on``/``no`` as booleans, ``0x1F`` as 31 and ``1:30`` as
5400. This loader builds the data from PyYAML's *events* instead, so it decides itself:

* no tags (``!!str``, ``!custom``), no anchors or aliases (they would let a short file expand to
  an enormous one), one document;
* mapping keys are strings and appear once;
* plain scalars resolve as YAML 1.2 core, narrowed: ``true``/``false`` are the only booleans,
  ``null``/``~``/nothing the only null, ``0`` or decimal digits without a leading zero are
  integers, decimal fractions/exponents are floats; everything else (``yes``, ``on``, ``0x1F``,
  ``0755``, ``1_000``, ``.inf``, ``2024-01-01``) stays a string, so the shape check rejects it
  where a number or boolean is expected; quoted and block scalars are always strings.

:class:`SourceMap` records the line and column (1-based) of every node by its path, so any later
problem can name ``file:line:column``.

Problems other than a syntax error do not stop the loader: :func:`read_yaml` returns the data
it could read (a rejected node left out or kept as its text) with the problems, so the later
checks still report the rest of the document at once. Numbers are bounded
(:data:`MAX_NUMBER_DIGITS`) before Python converts them, so a 5,000-digit literal is a located
problem rather than ``int()``'s ``ValueError``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import yaml

from .issues import Path, SchemaError, SchemaIssue, describe

#: Deeper documents are rejected: a schema needs six levels, and depth costs every later stage.
MAX_DEPTH = 32

#: Most digits a number literal may have: numeric's largest precision, so no column could hold a
#: longer number exactly (and Python refuses to read integers of more than 4,300 digits).
MAX_NUMBER_DIGITS = 1000

#: libyaml's parser when PyYAML was built with it (25 times faster, same events); its syntax error
#: messages are worded a little differently from the pure-Python parser's.
_EVENT_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)

#: First characters of every plain scalar that is not a string.
_MAY_START_A_VALUE = frozenset("0123456789+-.tfn~")
_INTEGER = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][-+]?[0-9]+)?")


class Position(NamedTuple):
    line: int
    column: int


@dataclass(slots=True)
class SourceMap:
    """Positions of the nodes of one document, by path."""

    file: str
    nodes: dict[Path, Position] = field(default_factory=dict)
    """Where each node's value starts."""
    keys: dict[Path, Position] = field(default_factory=dict)
    """Where the key of each mapping entry starts."""
    collections: set[Path] = field(default_factory=set)
    flow_mappings: set[Path] = field(default_factory=set)
    """Mappings written inline (``{a: 1, b: 2}``), where a comma ends an entry."""

    def locate(self, path: Path) -> Position:
        """Where a reader looks for ``path``: a scalar's value, a mapping or list's key (``id:``
        above a column's settings); for a path not in the document, its nearest ancestor."""
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            if prefix in self.collections and prefix in self.keys:
                return self.keys[prefix]
            if prefix in self.nodes:
                return self.nodes[prefix]
        return Position(1, 1)

    def locate_key(self, path: Path) -> Position:
        """Where the key of the entry ``path`` is (for problems with the name itself)."""
        return self.keys.get(path) or self.locate(path)

    def issue(self, path: Path, message: str, *, at_key: bool = False) -> SchemaIssue:
        where = self.locate_key(path) if at_key else self.locate(path)
        return SchemaIssue(self.file, where.line, where.column, path, message)


@dataclass(frozen=True, slots=True)
class LoadedYaml:
    """What the loader read: the data, where each node is, and the problems it found."""

    data: Any
    source: SourceMap
    issues: tuple[SchemaIssue, ...]
    complete: bool
    """False when reading stopped early (a syntax error, too deep): the data is partial, and
    checking it would report what is merely unread."""
    replaced: tuple[Path, ...] = ()
    """Nodes the data does not hold as written (an alias read as null, the second of two equal
    keys or a key that is not a string left out, a number too long kept as its text): what the
    later checks say at, under or around them only follows from the problem reported there."""


def load_yaml(text: str, filename: str) -> tuple[Any, SourceMap]:
    """Plain data (dicts, lists, str, int, float, bool, None) and where each node is.

    Raises :class:`SchemaError` with every problem the loader sees (a YAML syntax error stops it
    at the first, as the rest of the text cannot be read reliably).
    """
    loaded = read_yaml(text, filename)
    if loaded.issues:
        raise SchemaError(loaded.issues)
    return loaded.data, loaded.source


def read_yaml(text: str, filename: str) -> LoadedYaml:
    """:func:`load_yaml` without raising: the data read so far and every problem found."""
    builder = _Builder(SourceMap(filename))
    complete = True
    try:
        for event in yaml.parse(text, Loader=_EVENT_LOADER):
            builder.feed(event)
    except _TooDeep:
        complete = False
    except _SecondDocument:
        pass
    except yaml.MarkedYAMLError as error:
        complete = False
        builder.issues.append(_syntax_issue(text, filename, error))
    except yaml.reader.ReaderError as error:
        complete = False
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        builder.issues.append(
            SchemaIssue(
                filename,
                line,
                column,
                (),
                f"invalid YAML: character U+{error.character:04X} is not allowed in YAML text; "
                'write it as an escape inside double quotes ("\\u0007")',
            )
        )
    if not builder.issues and builder.documents == 0:
        builder.issues.append(SchemaIssue(filename, 1, 1, (), "the document is empty"))
        complete = False
    return LoadedYaml(
        builder.root, builder.source, tuple(builder.issues), complete, tuple(builder.replaced)
    )


def _syntax_issue(text: str, filename: str, error: yaml.MarkedYAMLError) -> SchemaIssue:
    mark = error.problem_mark or error.context_mark
    reason = error.problem or error.context or "cannot be read"
    context = f" ({error.context})" if error.context and error.problem else ""
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    message = f"invalid YAML: {reason}{context}"
    if mark is not None and _tab_at(text, mark.index):
        message = (
            "invalid YAML: a tab character; YAML indents with spaces only (replace the tab "
            f"with spaces): {reason}"
        )
    return SchemaIssue(filename, line, column, (), message)


def _tab_at(text: str, index: int) -> bool:
    """Whether the syntax error at ``index`` is about a tab: the character there, or the
    indentation of its line, is one (libyaml points at the tab or just after it)."""
    if 0 <= index < len(text) and text[index] == "\t":
        return True
    start = text.rfind("\n", 0, index) + 1
    indentation = text[start : index + 1]
    return "\t" in indentation and not indentation.strip(" \t")


def _digits(text: str) -> int:
    """Digits of a number literal's mantissa (``-12.50e3`` has 4)."""
    mantissa = re.split("[eE]", text, maxsplit=1)[0]
    return sum(ch.isdigit() for ch in mantissa)


def resolve_plain(text: str) -> Any:
    """The value of a plain (unquoted) scalar, by the narrowed YAML 1.2 core rules above."""
    if text and text[0] not in _MAY_START_A_VALUE:
        return text  # a name or a word: the common case, decided without a pattern
    if text in ("", "~", "null"):
        return None
    if text == "true":
        return True
    if text == "false":
        return False
    if _digits_over_limit(text):
        return text  # reported by the loader; Python would not read a long integer
    if _INTEGER.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        number = float(text)
        # 1e999 would become inf: keep it a string, so it is reported instead of used.
        return number if math.isfinite(number) else text
    return text


@dataclass(slots=True)
class _Open:
    """A mapping or list being built, and where its next child goes."""

    path: Path
    value: dict[str, Any] | list[Any]
    detached: bool
    """Inside a value that is dropped (its key was rejected): read to stay in step, not kept."""
    expecting_value: bool = False
    key: str = ""
    key_position: Position | None = None
    drop_value: bool = False


class _TooDeep(Exception):
    pass


class _SecondDocument(Exception):
    pass


class _Builder:
    """Turns the event stream into plain data and the source map, collecting problems."""

    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.issues: list[SchemaIssue] = []
        self.replaced: list[Path] = []
        self.root: Any = None
        self.documents = 0
        self._stack: list[_Open] = []

    def feed(self, event: yaml.Event) -> None:
        kind = type(event)
        if kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            self._stack.pop()
            return
        mark = event.start_mark
        position = Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)
        if kind is yaml.ScalarEvent:
            assert isinstance(event, yaml.ScalarEvent)
            if event.tag or event.anchor is not None:
                self._check_node(event, position)
            plain = not event.style  # None from PyYAML's parser, "" from libyaml's
            text = event.value
            value = resolve_plain(text) if plain else text
            path, _ = self._add(value, position, is_collection=False, plain=plain)
            if plain and _digits_over_limit(text):
                self.replaced.append(path)
                self._problem(
                    position,
                    path,
                    f"the number has {_digits(text)} digits; at most {MAX_NUMBER_DIGITS} "
                    "are allowed (numeric's largest precision)",
                )
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            assert isinstance(event, yaml.CollectionStartEvent)
            if event.tag or event.anchor is not None:
                self._check_node(event, position)
            mapping = kind is yaml.MappingStartEvent
            container: dict[str, Any] | list[Any] = {} if mapping else []
            path, detached = self._add(container, position, is_collection=True, plain=False)
            if mapping and event.flow_style and not detached:
                self.source.flow_mappings.add(path)
            if len(self._stack) >= MAX_DEPTH:
                self._problem(position, path, f"nesting deeper than {MAX_DEPTH} levels")
                raise _TooDeep
            self._stack.append(_Open(path, container, detached))
        elif kind is yaml.AliasEvent:
            self._problem(position, self._child_path(), "aliases (*name) are not allowed")
            self.replaced.append(self._child_path())
            self._add(None, position, is_collection=False, plain=False)
        elif kind is yaml.DocumentStartEvent:
            self.documents += 1
            if self.documents == 2:
                self._problem(position, (), "only one YAML document is allowed (remove '---')")
                raise _SecondDocument  # the first is read whole: check it, ignore the rest

    def _check_node(
        self, event: yaml.ScalarEvent | yaml.CollectionStartEvent, at: Position
    ) -> None:
        path = self._child_path()
        if event.tag:
            self._problem(
                at, path, f"YAML tags are not allowed ({event.tag!r}); write plain values"
            )
        if event.anchor is not None:
            self._problem(at, path, f"anchors (&{event.anchor}) are not allowed")

    def _child_path(self) -> Path:
        if not self._stack:
            return ()
        top = self._stack[-1]
        if isinstance(top.value, list):
            return (*top.path, len(top.value))
        return (*top.path, top.key) if top.expecting_value else top.path

    def _add(
        self, value: Any, position: Position, *, is_collection: bool, plain: bool
    ) -> tuple[Path, bool]:
        """Place a node; returns its path and whether it is dropped."""
        if not self._stack:
            self.root = value
            self._record((), position, is_collection)
            return (), False
        top = self._stack[-1]
        if isinstance(top.value, list):
            path = (*top.path, len(top.value))
            top.value.append(value)
            if not top.detached:
                self._record(path, position, is_collection)
            return path, top.detached
        if not top.expecting_value:
            self._take_key(top, value, position, is_collection, plain)
            return top.path, True
        top.expecting_value = False
        path = (*top.path, top.key)
        dropped = top.detached or top.drop_value
        if not dropped:
            top.value[top.key] = value
            self._record(path, position, is_collection)
            if top.key_position is not None:
                self.source.keys[path] = top.key_position
        return path, dropped

    def _take_key(
        self, top: _Open, key: Any, position: Position, is_collection: bool, plain: bool
    ) -> None:
        assert isinstance(top.value, dict)
        top.expecting_value, top.key_position, top.drop_value = True, position, True
        if is_collection or not isinstance(key, str):
            top.key = "?" if is_collection else key_text(key)
            if is_collection:
                problem = "mapping keys must be strings, not a mapping or list"
            else:
                quote = f": quote it ('{top.key}')" if plain else ""
                problem = f"mapping keys must be strings, not {describe(key)}{quote}"
            self._problem(position, top.path, problem)
            self.replaced.append((*top.path, top.key))
            return
        top.key = key
        if key in top.value:
            first = self.source.keys[(*top.path, key)]
            message = f"duplicate key {key!r} (first at line {first.line}); YAML would keep one"
            self._problem(position, (*top.path, key), message)
            self.replaced.append((*top.path, key))
            return
        top.drop_value = top.detached

    def _record(self, path: Path, position: Position, is_collection: bool) -> None:
        self.source.nodes[path] = position
        if is_collection:
            self.source.collections.add(path)

    def _problem(self, position: Position, path: Path, message: str) -> None:
        self.issues.append(
            SchemaIssue(self.source.file, position.line, position.column, path, message)
        )


def _digits_over_limit(text: str) -> bool:
    if len(text) <= MAX_NUMBER_DIGITS:
        return False  # too short to hold that many digits (the common case, decided fast)
    return bool(_INTEGER.fullmatch(text) or _FLOAT.fullmatch(text)) and (
        _digits(text) > MAX_NUMBER_DIGITS
    )


def key_text(value: Any) -> str:
    """How a non-string key was written: ``true``, ``null``, ``1``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
