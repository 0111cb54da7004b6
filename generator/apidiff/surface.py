"""What ``batchrepo diff`` compares: the public API of a generated package, and its changes.

An :class:`Api` holds, per module, every public top-level name as one symbol (a class, a
function, a type alias or a constant) plus the module's ``__all__`` and the runtime contract
version it imports (a new version needs a runtime that provides it). Expressions (annotations,
defaults, alias targets, enum values) are kept as canonical source text, so formatting, quoting
and line wrapping never show up as changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Literal

ParamKind = Literal[
    "positional-only", "positional-or-keyword", "var-positional", "keyword-only", "var-keyword"
]
ClassKind = Literal["enum", "namedtuple", "dataclass", "class"]


@dataclasses.dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: ParamKind
    annotation: str | None
    default: str | None  # source text of the default; None: the caller must pass it

    @property
    def passed_by_position(self) -> bool:
        return self.kind in ("positional-only", "positional-or-keyword")

    @property
    def variadic(self) -> bool:
        return self.kind in ("var-positional", "var-keyword")

    def render(self) -> str:
        prefix = {"var-positional": "*", "var-keyword": "**"}.get(self.kind, "")
        text = prefix + self.name
        if self.annotation is not None:
            text += f": {self.annotation}"
        if self.default is not None:
            text += f" = {self.default}" if self.annotation is not None else f"={self.default}"
        return text


@dataclasses.dataclass(frozen=True, slots=True)
class Function:
    """One signature; with ``overloads``, the implementation behind them.

    A function with ``@overload`` signatures is called only through them: a type checker
    never matches a call against the implementation, so the diff compares
    :attr:`signatures`, never the implementation's own parameters and return type."""

    name: str
    params: tuple[Param, ...]
    returns: str | None
    is_async: bool
    decorators: tuple[str, ...]  # canonical text of each decorator, e.g. "staticmethod"
    # The @overload signatures in source order, without their "overload" decorator; () when
    # the function is not overloaded.
    overloads: tuple[Function, ...] = ()

    @property
    def signatures(self) -> tuple[Function, ...]:
        """What callers see: the overloads, or the function itself when it has none."""
        return self.overloads or (self,)

    def render_params(self) -> str:
        """``(self, items: Sequence[Person], *, returning: Literal[False])``: one call shape."""
        rendered: list[str] = []
        for index, param in enumerate(self.params):
            previous = self.params[index - 1].kind if index else None
            if param.kind == "keyword-only" and previous not in ("keyword-only", "var-positional"):
                rendered.append("*")
            rendered.append(param.render())
            following = self.params[index + 1].kind if index + 1 < len(self.params) else None
            if param.kind == "positional-only" and following != "positional-only":
                rendered.append("/")
        return f"({', '.join(rendered)})"

    def render(self) -> str:
        """This signature alone (an overloaded function's implementation: see
        :attr:`signatures`)."""
        returns = f" -> {self.returns}" if self.returns is not None else ""
        keyword = "async def" if self.is_async else "def"
        return f"{keyword} {self.name}{self.render_params()}{returns}"


@dataclasses.dataclass(frozen=True, slots=True)
class Field:
    """An annotated class attribute: a dataclass or NamedTuple field."""

    name: str
    annotation: str
    default: str | None  # None: the constructor requires it

    def render(self) -> str:
        default = f" = {self.default}" if self.default is not None else ""
        return f"{self.name}: {self.annotation}{default}"


@dataclasses.dataclass(frozen=True, slots=True)
class ClassApi:
    name: str
    kind: ClassKind
    declaration: str  # decorators and bases as written, e.g. "@dataclasses.dataclass(...) (Base)"
    # Field order is API only when the constructor takes fields by position (NamedTuple, a
    # dataclass without kw_only=True): then a moved field breaks callers.
    positional_fields: bool
    fields: tuple[Field, ...]
    members: Mapping[str, str]  # enum member name -> canonical value text
    methods: Mapping[str, Function]
    attributes: frozenset[str]  # other public class attributes: presence only


@dataclasses.dataclass(frozen=True, slots=True)
class TypeAlias:
    name: str
    target: str  # "PersonKey = uuid.UUID" has target "uuid.UUID"


@dataclasses.dataclass(frozen=True, slots=True)
class Constant:
    """A module constant (``PERSON_TABLE``); its value is data, only its type is API."""

    name: str
    annotation: str | None


Symbol = ClassApi | Function | TypeAlias | Constant


@dataclasses.dataclass(frozen=True, slots=True)
class ModuleApi:
    name: str  # dotted, e.g. "ledger.person"
    symbols: Mapping[str, Symbol]
    exports: tuple[str, ...] | None  # __all__, None when the module has none
    # The runtime contract version the module imports (``from batchrepo.contract import v1``),
    # None when it imports none: which batchrepo runtime can run it.
    runtime_contract: int | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Api:
    modules: Mapping[str, ModuleApi]


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class Change:
    """One difference, in the words of a review comment."""

    module: str
    symbol: str  # e.g. "Person.department", "PersonRepository.save_batch(items)"
    what: str  # e.g. "removed field", "changed type", "new optional parameter"
    detail: str  # source text that shows the change, e.g. "`str` → `int`"
    breaking: bool


@dataclasses.dataclass(frozen=True, slots=True)
class ApiDiff:
    changes: tuple[Change, ...]  # sorted by module, symbol, what: a stable order for review

    @property
    def breaking(self) -> tuple[Change, ...]:
        return tuple(change for change in self.changes if change.breaking)

    @property
    def additive(self) -> tuple[Change, ...]:
        return tuple(change for change in self.changes if not change.breaking)

    def by_module(self) -> dict[str, list[Change]]:
        grouped: dict[str, list[Change]] = {}
        for change in self.changes:
            grouped.setdefault(change.module, []).append(change)
        return grouped
