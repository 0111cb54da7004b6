"""Two :class:`Api` values -> the changes between them, each breaking or additive.

The question behind every rule: does code that worked against the old package still import,
type-check and run against the new one? Removing anything, a new required field or parameter,
a changed type, a moved positional field or parameter, a removed enum member, a changed default
(callers relying on it silently get another value) break it. New modules, classes, methods, enum
members, optional fields and parameters do not. A rename is a removal plus an addition: the old
name no longer imports. Functions and methods are compared as their callers see them, overloads
and all (:mod:`.overloads`, :mod:`.calls`); a parameter type may widen and a return type narrow
(:mod:`.subtypes`).
"""

from __future__ import annotations

from .calls import ADDITIVE, BREAKING, changed, default_changes, moved, shown
from .overloads import function_changes
from .subtypes import is_within
from .surface import (
    Api,
    ApiDiff,
    Change,
    ClassApi,
    Constant,
    Function,
    ModuleApi,
    Symbol,
    TypeAlias,
)

_SYMBOL_KIND = {
    ClassApi: "class",
    Function: "function",
    TypeAlias: "type alias",
    Constant: "constant",
}


def diff_apis(old: Api, new: Api) -> ApiDiff:
    changes: list[Change] = []
    for name in sorted(old.modules.keys() | new.modules.keys()):
        before, after = old.modules.get(name), new.modules.get(name)
        if after is None:
            changes.append(Change(name, "(module)", "removed module", "", BREAKING))
        elif before is None:
            detail = ", ".join(f"`{symbol}`" for symbol in sorted(after.symbols))
            changes.append(Change(name, "(module)", "new module", detail, ADDITIVE))
        else:
            changes += _module_changes(before, after)
    changes += _contract_changes(old, new)
    return ApiDiff(changes=tuple(sorted(changes)))


def _contract_changes(old: Api, new: Api) -> list[Change]:
    """One change per package whose runtime contract moved: code generated for another
    contract imports only on a runtime that provides it."""
    moved: dict[str, set[tuple[int | None, int]]] = {}
    for name, after in new.modules.items():
        before = old.modules.get(name)
        if before is None or after.runtime_contract is None:
            continue
        if before.runtime_contract != after.runtime_contract:
            package = name.split(".")[0]
            moved.setdefault(package, set()).add((before.runtime_contract, after.runtime_contract))
    changes = []
    for package, pairs in sorted(moved.items()):
        shown = ", ".join(
            f"`{'none' if was is None else f'v{was}'}` → `v{now}`"
            for was, now in sorted(pairs, key=lambda p: (p[0] or 0, p[1]))
        )
        detail = f"{shown}: needs a batchrepo runtime that provides it"
        changes.append(Change(package, "(runtime)", "changed runtime contract", detail, BREAKING))
    return changes


def _module_changes(old: ModuleApi, new: ModuleApi) -> list[Change]:
    module = new.name
    changes: list[Change] = []
    if old.exports is not None or new.exports is not None:
        before, after = set(old.exports or ()), set(new.exports or ())
        for name in sorted(before - after):
            changes.append(Change(module, "__all__", "removed export", f"`{name}`", BREAKING))
        for name in sorted(after - before):
            changes.append(Change(module, "__all__", "new export", f"`{name}`", ADDITIVE))
    for name in sorted(old.symbols.keys() | new.symbols.keys()):
        before_symbol, after_symbol = old.symbols.get(name), new.symbols.get(name)
        if after_symbol is None:
            assert before_symbol is not None
            what = f"removed {_kind_of(before_symbol)}"
            changes.append(Change(module, name, what, _summary(before_symbol), BREAKING))
        elif before_symbol is None:
            what = f"new {_kind_of(after_symbol)}"
            changes.append(Change(module, name, what, _summary(after_symbol), ADDITIVE))
        else:
            changes += _symbol_changes(module, before_symbol, after_symbol)
    return changes


def _kind_of(symbol: Symbol) -> str:
    if isinstance(symbol, ClassApi) and symbol.kind != "class":
        return {"enum": "enum", "namedtuple": "NamedTuple", "dataclass": "dataclass"}[symbol.kind]
    return _SYMBOL_KIND[type(symbol)]


def _summary(symbol: Symbol) -> str:
    if isinstance(symbol, Function):
        return _signatures(symbol)
    if isinstance(symbol, TypeAlias):
        return f"`{symbol.name} = {symbol.target}`"
    if isinstance(symbol, Constant):
        return f"`{symbol.name}: {symbol.annotation}`" if symbol.annotation else ""
    return f"`{symbol.declaration}`" if symbol.declaration else ""


def _symbol_changes(module: str, old: Symbol, new: Symbol) -> list[Change]:
    name = new.name
    if _kind_of(old) != _kind_of(new):
        detail = f"{_kind_of(old)} → {_kind_of(new)}"
        return [Change(module, name, "changed kind", detail, BREAKING)]
    if isinstance(old, TypeAlias) and isinstance(new, TypeAlias):
        if (
            name.endswith("Column")
            and is_within(old.target, new.target)
            and old.target != new.target
        ):
            # <Entity>Column is the Literal of the columns update(..., columns=) may name: a
            # parameter type only, so a new column widens what callers may pass
            detail = f"`{old.target}` → `{new.target}`"
            return [Change(module, name, "widened parameter type", detail, ADDITIVE)]
        return changed(module, name, "changed type", old.target, new.target)
    if isinstance(old, Constant) and isinstance(new, Constant):
        return changed(module, name, "changed type", old.annotation, new.annotation)
    if isinstance(old, Function) and isinstance(new, Function):
        return function_changes(module, f"{name}()", old, new)
    assert isinstance(old, ClassApi) and isinstance(new, ClassApi)
    return _class_changes(module, old, new)


def _class_changes(module: str, old: ClassApi, new: ClassApi) -> list[Change]:
    name = new.name
    changes = changed(module, name, "changed declaration", old.declaration, new.declaration)
    changes += _field_changes(module, old, new)
    for member in sorted(old.members.keys() | new.members.keys()):
        symbol = f"{name}.{member}"
        before, after = old.members.get(member), new.members.get(member)
        if after is None:
            changes.append(Change(module, symbol, "removed enum member", f"`{before}`", BREAKING))
        elif before is None:
            changes.append(Change(module, symbol, "new enum member", f"`{after}`", ADDITIVE))
        else:
            changes += changed(module, symbol, "changed value", before, after)
    for method in sorted(old.methods.keys() | new.methods.keys()):
        symbol = f"{name}.{method}()"
        before_method, after_method = old.methods.get(method), new.methods.get(method)
        if after_method is None:
            assert before_method is not None
            detail = _signatures(before_method)
            changes.append(Change(module, symbol, "removed method", detail, BREAKING))
        elif before_method is None:
            detail = _signatures(after_method)
            changes.append(Change(module, symbol, "new method", detail, ADDITIVE))
        else:
            changes += function_changes(module, symbol, before_method, after_method)
    for attribute in sorted(old.attributes - new.attributes):
        changes.append(Change(module, f"{name}.{attribute}", "removed attribute", "", BREAKING))
    for attribute in sorted(new.attributes - old.attributes):
        changes.append(Change(module, f"{name}.{attribute}", "new attribute", "", ADDITIVE))
    return changes


def _field_changes(module: str, old: ClassApi, new: ClassApi) -> list[Change]:
    before = {field.name: field for field in old.fields}
    after = {field.name: field for field in new.fields}
    changes: list[Change] = []
    for name in sorted(before.keys() | after.keys()):
        symbol = f"{new.name}.{name}"
        old_field, new_field = before.get(name), after.get(name)
        if new_field is None:
            assert old_field is not None
            changes.append(Change(module, symbol, "removed field", shown(old_field), BREAKING))
        elif old_field is None:
            if new_field.default is None:
                what, breaking = "new required field", BREAKING
            else:
                what, breaking = "new optional field", ADDITIVE
            changes.append(Change(module, symbol, what, shown(new_field), breaking))
        else:
            changes += changed(
                module, symbol, "changed type", old_field.annotation, new_field.annotation
            )
            changes += default_changes(module, symbol, old_field.default, new_field.default)
    if old.positional_fields and new.positional_fields:
        for name, detail in moved(old.fields, new.fields):
            changes.append(Change(module, f"{new.name}.{name}", "moved field", detail, BREAKING))
    return changes


def _signatures(function: Function) -> str:
    """How callers may call it: its one signature, or each of its overloads."""
    return "; ".join(f"`{signature.render()}`" for signature in function.signatures)
