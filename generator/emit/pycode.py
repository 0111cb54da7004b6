"""Python source fragments for generated modules: imports, type annotations, literals, docstrings.

Schema names and texts are untrusted, so every fragment that carries one is produced here:
strings only through ``repr()``, docstrings through :func:`docstring` and SQL statements through
:func:`triple_quoted` (both escaped, never closed early), and names through :mod:`names`.

Runtime names come from one place, :meth:`Scope.runtime`: generated code imports the runtime's
contract module (:mod:`batchrepo.contract`) and nothing else of batchrepo.

:class:`Scope` resolves the names a module refers to. A dataclass field is a name in its class
body, so a column called ``uuid``, ``str`` or ``datetime`` would shadow the module or builtin an
annotation below it needs (mypy rejects it, and ``dataclasses.field`` breaks at runtime). A scope
knows the names its classes define and imports a clashing name under a private alias
(``import uuid as _uuid``, ``import builtins as _builtins``) instead; schema names cannot start
with ``_``, so the alias is always free.
"""

from __future__ import annotations

import ast
import datetime
import importlib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from batchrepo.contract import CURRENT as CONTRACT_VERSION

from ..model import Column, GenerationError
from ..schema.characters import is_ignorable, shows_as_itself
from ..schema.names import enum_member_name

#: The one runtime module generated code imports (:mod:`batchrepo.contract`), and its alias.
CONTRACT_MODULE = "batchrepo.contract"
CONTRACT_ALIAS = "_rt"
#: Every name that contract version provides.
CONTRACT_NAMES = frozenset(
    importlib.import_module(f"{CONTRACT_MODULE}.v{CONTRACT_VERSION}").__all__
)

#: Python type of each column kind: (module, attribute); module "" for builtins.
_TYPES: dict[str, tuple[str, str]] = {
    "uuid": ("uuid", "UUID"),
    "bool": ("", "bool"),
    "int2": ("", "int"),
    "int4": ("", "int"),
    "int8": ("", "int"),
    "numeric": ("decimal", "Decimal"),
    "float4": ("", "float"),
    "float8": ("", "float"),
    "text": ("", "str"),
    "bytea": ("", "bytes"),
    "date": ("datetime", "date"),
    "time": ("datetime", "time"),
    "timestamp": ("datetime", "datetime"),
    "timestamptz": ("datetime", "datetime"),
    "interval": ("datetime", "timedelta"),
}


@dataclass(frozen=True, slots=True)
class Import:
    """One import statement; ``statement`` is what the module prints."""

    module: str
    name: str | None
    """``None`` for ``import module``, else ``from module import name``."""
    alias: str | None
    statement: str

    @property
    def bound(self) -> str:
        """The name the import binds in the module."""
        if self.alias is not None:
            return self.alias
        return self.name if self.name is not None else self.module.split(".")[0]


@dataclass(frozen=True, slots=True)
class Arg:
    """``name=value`` in a call; ``value`` is a Python expression."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Call:
    """``function(name=value, ...)``."""

    function: str
    args: tuple[Arg, ...]


class Scope:
    """The names of one generated module and the imports they need."""

    def __init__(self, claimed: set[str], json_type: tuple[str, str]) -> None:
        self._claimed = frozenset(claimed)
        self._imports: dict[tuple[str, str | None], Import] = {}
        self._json_type = json_type

    def _local(self, preferred: str) -> str:
        return "_" + preferred if preferred in self._claimed else preferred

    def module(self, module: str) -> str:
        """The reference to ``module`` (``uuid`` or ``_uuid``), imported."""
        local = self._local(module)
        alias = local if local != module else None
        statement = f"import {module}" + (f" as {alias}" if alias else "")
        self._imports[(module, None)] = Import(module, None, alias, statement)
        return local

    def name(self, module: str, name: str, alias: str | None = None) -> str:
        """``from module import name``; the local name, aliased when it clashes."""
        local = alias if alias is not None else self._local(name)
        suffix = f" as {local}" if local != name else ""
        statement = f"from {module} import {name}{suffix}"
        self._imports[(module, name)] = Import(module, name, local if suffix else None, statement)
        return local

    def runtime(self, name: str) -> str:
        """``_rt.name``: a name of the runtime contract, the only runtime module generated code
        imports (``from batchrepo.contract import v1 as _rt``). Schema names cannot start with
        ``_``, so the alias is always free."""
        if name not in CONTRACT_NAMES:
            raise GenerationError(
                f"runtime contract v{CONTRACT_VERSION} has no name {name!r} "
                f"(add it to {CONTRACT_MODULE}.v{CONTRACT_VERSION} or a new version)"
            )
        version = f"v{CONTRACT_VERSION}"
        statement = f"from {CONTRACT_MODULE} import {version} as {CONTRACT_ALIAS}"
        self._imports[(CONTRACT_MODULE, version)] = Import(
            CONTRACT_MODULE, version, CONTRACT_ALIAS, statement
        )
        return f"{CONTRACT_ALIAS}.{name}"

    def builtin(self, name: str) -> str:
        if name in self._claimed:
            return f"{self.module('builtins')}.{name}"
        return name

    def qualified(self, module: str, attribute: str) -> str:
        return f"{self.module(module)}.{attribute}" if module else self.builtin(attribute)

    def imports(self) -> tuple[Import, ...]:
        return tuple(sorted(self._imports.values(), key=lambda i: i.statement))

    # --- column types --------------------------------------------------------------------

    def element_type(self, column: Column, enum_class: str | None) -> str:
        """Python type of the column's value (of one element, for arrays), without None."""
        kind = column.type.kind
        if kind == "enum":
            if enum_class is None:
                raise GenerationError(f"column {column.name!r}: enum without class")
            return self.name(".enums", enum_class)
        if kind == "jsonb":
            return self.name(*self._json_type)
        module, attribute = _TYPES[kind]
        return self.qualified(module, attribute)

    def value_type(self, column: Column, enum_class: str | None) -> str:
        """The type of a column's value when present: ``T``, or for arrays ``list[T]`` (or
        ``list[T | None]`` when its elements may be NULL)."""
        element = self.element_type(column, enum_class)
        if column.type.is_array:
            if column.nullable_elements:
                element = f"{element} | None"
            return f"{self.builtin('list')}[{element}]"
        return element


def python_default(column: Column, scope: Scope, enum_class: str | None) -> str:
    """A literal default as a Python expression of the field's type."""
    value = column.default
    kind = column.type.kind
    if value is None or column.type.is_array:
        raise GenerationError(f"column {column.name!r}: no literal default to render")
    if kind == "enum" and isinstance(value, str):
        return f"{scope.element_type(column, enum_class)}.{enum_member_name(value)}"
    if kind == "numeric" and not isinstance(value, bool):
        return decimal_literal(Decimal(str(value)), scope)
    if kind in ("float4", "float8") and isinstance(value, int | float):
        return repr(float(value))
    if kind == "uuid" and isinstance(value, str):
        # a call in a dataclass default is evaluated once; uuid.UUID is immutable but ruff's
        # RUF009 does not know it, so the default goes through dataclasses.field
        dc, module = scope.module("dataclasses"), scope.module("uuid")
        return f"{dc}.field(default={module}.UUID({str(uuid.UUID(value))!r}))"
    if kind in ("date", "time", "timestamp", "timestamptz") and isinstance(value, str):
        return temporal_literal(kind, value, scope.module("datetime"))
    if isinstance(value, bool) and kind in ("bool", "jsonb"):
        return repr(value)
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and kind in ("int2", "int4", "int8", "jsonb")
    ):
        return repr(value)
    if isinstance(value, str) and kind in ("text", "jsonb"):
        return string_literal(value)
    if isinstance(value, float) and kind == "jsonb":
        return repr(value)
    raise GenerationError(f"column {column.name!r}: default {value!r} does not fit type {kind}")


def bound_literal(value: int | Decimal, scope: Scope) -> str:
    if isinstance(value, int):
        return repr(value)
    return decimal_literal(value, scope)


def decimal_literal(value: Decimal, scope: Scope) -> str:
    """``decimal.Decimal('1.50')``, or ``decimal.Decimal(3)`` when the text is a whole number."""
    text = format(value, "f")
    argument = text if re.fullmatch(r"-?[0-9]+", text) else repr(text)
    return f"{scope.module('decimal')}.Decimal({argument})"


def temporal_literal(kind: str, value: str, module: str) -> str:
    """A date or time default as a constructor call of its parts (numbers only)."""
    if kind == "date":
        day = datetime.date.fromisoformat(value)
        return f"{module}.date({day.year}, {day.month}, {day.day})"
    if kind == "time":
        clock = datetime.time.fromisoformat(value)
        return f"{module}.time({clock.hour}, {clock.minute}, {clock.second}, {clock.microsecond})"
    moment = datetime.datetime.fromisoformat(value)
    parts = ", ".join(
        str(n)
        for n in (
            moment.year,
            moment.month,
            moment.day,
            moment.hour,
            moment.minute,
            moment.second,
            moment.microsecond,
        )
    )
    offset = moment.utcoffset()
    if kind == "timestamp" or offset is None:
        return f"{module}.datetime({parts})"
    if not offset:
        return f"{module}.datetime({parts}, tzinfo={module}.UTC)"
    seconds = int(offset.total_seconds())
    zone = f"{module}.timezone({module}.timedelta(seconds={seconds}))"
    return f"{module}.datetime({parts}, tzinfo={zone})"


def lint_exemption(module: str) -> str | None:
    """``# ruff: noqa: N999`` where pep8-naming rejects a module name (non-ASCII, capitals): a
    generated module is named after its table."""
    return None if re.fullmatch(r"[a-z_][a-z0-9_]*", module) else "# ruff: noqa: N999"


def docstring(text: str, indent: str = "") -> str:
    """A triple-quoted string literal holding ``text``: backslashes and quotes escaped, every
    character that does not show as itself (:mod:`..schema.characters`) but the newline written
    as an escape, and continuation lines
    indented by ``indent`` (documentation tools strip it, as ``inspect.cleandoc`` does)."""
    out: list[str] = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\n" + indent)
        elif shows_as_itself(ch):
            out.append(ch)
        else:
            out.append(_escape(ord(ch)))
    return '"""' + "".join(out).replace(indent + "\n", "\n") + '"""'


def string_literal(text: str) -> str:
    """``repr(text)``, with the default-ignorable characters ``repr`` leaves raw (it escapes only
    what Python counts unprintable) escaped too, so nothing invisible reaches the file."""
    literal = repr(text)
    for ch in set(literal):
        if is_ignorable(ch):
            literal = literal.replace(ch, _escape(ord(ch)))
    return literal


def _escape(code: int) -> str:
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def triple_quoted(lines: Sequence[str]) -> str:
    """A triple-quoted string literal whose value is ``lines`` joined by newlines: one source line
    per item, after an opening triple quote and a backslash (a line continuation, so the value
    starts with the first item). The table modules print statements with it, as they run.

    Inside an item a backslash is doubled, a quote that would make a third in a row or end the
    text is escaped, and every character but a printable one (a newline, a control, a bidi
    override, an invisible space) becomes an escape (``\\n``, ``\\u202e``). Raises
    :class:`GenerationError` unless the literal evaluates to the text exactly.
    """
    text = "\n".join(lines)
    body: list[str] = []
    for number, line in enumerate(lines):
        last_line = number == len(lines) - 1
        run = 0  # unescaped quotes just written
        for index, ch in enumerate(line):
            if ch == '"':
                ends_text = last_line and index == len(line) - 1
                if run == 2 or ends_text:
                    body.append('\\"')
                    run = 0
                else:
                    body.append(ch)
                    run += 1
                continue
            run = 0
            if ch == "\\":
                body.append("\\\\")
            elif ch in _NAMED_ESCAPES:
                body.append(_NAMED_ESCAPES[ch])
            elif shows_as_itself(ch):
                body.append(ch)
            else:
                body.append(_escape(ord(ch)))
        if not last_line:
            body.append("\n")
    literal = '"""\\\n' + "".join(body) + '"""'
    if ast.literal_eval(literal) != text:
        raise GenerationError(f"cannot write {text!r} as a triple-quoted literal")
    return literal
