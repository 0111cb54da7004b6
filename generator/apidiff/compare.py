"""Two :class:`Api` values -> the changes between them, each breaking or additive.

The question behind every rule: does code that worked against the old package still import,
type-check and run against the new one? Removing anything, a new required field or parameter,
a changed type, a moved positional field or parameter, a removed enum member, a changed default
(callers relying on it silently get another value) break it. New modules, classes, methods, enum
members, optional fields and parameters do not. A rename is a removal plus an addition: the old
name no longer imports.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence

from .surface import (
    Api,
    ApiDiff,
    Change,
    ClassApi,
    Constant,
    Field,
    Function,
    ModuleApi,
    Param,
    Symbol,
    TypeAlias,
)

BREAKING = True
ADDITIVE = False

# A parameter callers may now pass in more ways than before: no call that worked breaks.
_WIDENED_KINDS = {
    ("positional-only", "positional-or-keyword"),
    ("keyword-only", "positional-or-keyword"),
}
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
        return f"`{symbol.render()}`"
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
        return _changed(module, name, "changed type", old.target, new.target)
    if isinstance(old, Constant) and isinstance(new, Constant):
        return _changed(module, name, "changed type", old.annotation, new.annotation)
    if isinstance(old, Function) and isinstance(new, Function):
        return _function_changes(module, f"{name}()", old, new)
    assert isinstance(old, ClassApi) and isinstance(new, ClassApi)
    return _class_changes(module, old, new)


def _changed(module: str, symbol: str, what: str, old: str | None, new: str | None) -> list[Change]:
    if old == new:
        return []
    return [Change(module, symbol, what, f"`{old}` → `{new}`", BREAKING)]


def _class_changes(module: str, old: ClassApi, new: ClassApi) -> list[Change]:
    name = new.name
    changes = _changed(module, name, "changed declaration", old.declaration, new.declaration)
    changes += _field_changes(module, old, new)
    for member in sorted(old.members.keys() | new.members.keys()):
        symbol = f"{name}.{member}"
        before, after = old.members.get(member), new.members.get(member)
        if after is None:
            changes.append(Change(module, symbol, "removed enum member", f"`{before}`", BREAKING))
        elif before is None:
            changes.append(Change(module, symbol, "new enum member", f"`{after}`", ADDITIVE))
        else:
            changes += _changed(module, symbol, "changed value", before, after)
    for method in sorted(old.methods.keys() | new.methods.keys()):
        symbol = f"{name}.{method}()"
        before_method, after_method = old.methods.get(method), new.methods.get(method)
        if after_method is None:
            assert before_method is not None
            detail = f"`{before_method.render()}`"
            changes.append(Change(module, symbol, "removed method", detail, BREAKING))
        elif before_method is None:
            detail = f"`{after_method.render()}`"
            changes.append(Change(module, symbol, "new method", detail, ADDITIVE))
        else:
            changes += _function_changes(module, symbol, before_method, after_method)
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
            changes.append(Change(module, symbol, "removed field", _shown(old_field), BREAKING))
        elif old_field is None:
            if new_field.default is None:
                what, breaking = "new required field", BREAKING
            else:
                what, breaking = "new optional field", ADDITIVE
            changes.append(Change(module, symbol, what, _shown(new_field), breaking))
        else:
            changes += _changed(
                module, symbol, "changed type", old_field.annotation, new_field.annotation
            )
            changes += _default_changes(module, symbol, old_field.default, new_field.default)
    if old.positional_fields and new.positional_fields:
        for name, detail in _moved(old.fields, new.fields):
            changes.append(Change(module, f"{new.name}.{name}", "moved field", detail, BREAKING))
    return changes


def _shown(item: Field | Param) -> str:
    return f"`{item.render()}`"


def _default_changes(module: str, symbol: str, old: str | None, new: str | None) -> list[Change]:
    if old == new:
        return []
    if new is None:
        return [Change(module, symbol, "default removed, now required", f"was `{old}`", BREAKING)]
    if old is None:
        return [Change(module, symbol, "default added, now optional", f"`{new}`", ADDITIVE)]
    return [Change(module, symbol, "changed default", f"`{old}` → `{new}`", BREAKING)]


def _moved(old: Sequence[Field | Param], new: Sequence[Field | Param]) -> list[tuple[str, str]]:
    """(name, "position a → b") of items whose position changed: a caller passing them by
    position now passes something else."""
    old_positions = {item.name: index for index, item in enumerate(old)}
    moved: list[tuple[str, str]] = []
    for index, item in enumerate(new):
        was = old_positions.get(item.name)
        if was is not None and was != index:
            moved.append((item.name, f"position {was + 1} → {index + 1}"))
    return moved


def _function_changes(module: str, symbol: str, old: Function, new: Function) -> list[Change]:
    changes: list[Change] = []
    if old.is_async != new.is_async:
        detail = "now `async def`" if new.is_async else "no longer `async def`"
        changes.append(Change(module, symbol, "changed kind", detail, BREAKING))
    old_decorators, new_decorators = ", ".join(old.decorators), ", ".join(new.decorators)
    changes += _changed(module, symbol, "changed decorators", old_decorators, new_decorators)
    if _union_widens(new.returns, old.returns):  # returns less than before: callers still cope
        detail = f"`{old.returns}` → `{new.returns}`"
        changes.append(Change(module, symbol, "narrowed return type", detail, ADDITIVE))
    else:
        changes += _changed(module, symbol, "changed return type", old.returns, new.returns)
    before, after = _params_by_key(old.params), _params_by_key(new.params)
    base = symbol.removesuffix("()")
    for key in sorted(before.keys() | after.keys()):
        old_param, new_param = before.get(key), after.get(key)
        if new_param is None:
            assert old_param is not None
            param_symbol, detail = f"{base}({old_param.name})", _shown(old_param)
            changes.append(Change(module, param_symbol, "removed parameter", detail, BREAKING))
            continue
        param_symbol = f"{base}({new_param.name})"
        if old_param is None:
            if new_param.default is None and not new_param.variadic:
                what, breaking = "new required parameter", BREAKING
            else:
                what, breaking = "new optional parameter", ADDITIVE
            changes.append(Change(module, param_symbol, what, _shown(new_param), breaking))
        else:
            changes += _param_changes(module, param_symbol, old_param, new_param)
    positional_old = [p for p in old.params if p.passed_by_position]
    positional_new = [p for p in new.params if p.passed_by_position]
    for name, detail in _moved(positional_old, positional_new):
        changes.append(Change(module, f"{base}({name})", "moved parameter", detail, BREAKING))
    return changes


def _params_by_key(params: Sequence[Param]) -> Mapping[str, Param]:
    """``*args`` and ``**kwargs`` by their kind: renaming them changes no call."""
    return {{"var-positional": "*", "var-keyword": "**"}.get(p.kind, p.name): p for p in params}


def _param_changes(module: str, symbol: str, old: Param, new: Param) -> list[Change]:
    changes: list[Change] = []
    if old.kind != new.kind:
        breaking = (old.kind, new.kind) not in _WIDENED_KINDS
        detail = f"{old.kind} → {new.kind}"
        changes.append(Change(module, symbol, "changed parameter kind", detail, breaking))
    if _union_widens(old.annotation, new.annotation):  # accepts more: every old call still fits
        detail = f"`{old.annotation}` → `{new.annotation}`"
        changes.append(Change(module, symbol, "widened type", detail, ADDITIVE))
    else:
        changes += _changed(module, symbol, "changed type", old.annotation, new.annotation)
    changes += _default_changes(module, symbol, old.default, new.default)
    return changes


def _union_widens(old: str | None, new: str | None) -> bool:
    """``new`` is a union with every member of ``old`` and more (``A`` → ``A | B``).

    Only parameters may widen and only return types may narrow without breaking a caller;
    a field is both read and written, so any change of its type breaks someone."""
    if old is None or new is None or old == new:
        return False
    return _union_members(old) < _union_members(new)


def _union_members(annotation: str) -> frozenset[str]:
    try:
        tree = ast.parse(annotation, mode="eval").body
    except SyntaxError:
        return frozenset({annotation})
    members: set[str] = set()
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            pending += [node.left, node.right]
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) in _UNION_FORMS:
            inner = node.slice
            pending += inner.elts if isinstance(inner, ast.Tuple) else [inner]
            if ast.unparse(node.value).endswith("Optional"):
                members.add("None")
        else:
            members.add(ast.unparse(node))
    return frozenset(members)


_UNION_FORMS = {"Union", "typing.Union", "Optional", "typing.Optional"}
