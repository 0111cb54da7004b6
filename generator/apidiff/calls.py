"""One old signature against one new signature: what changed for its callers.

A parameter may change in ways every old call survives (a new optional parameter, a default
added, a keyword-only parameter that may now also be passed by position, a type widened to
hold more: :func:`.subtypes.is_within`); anything else about it breaks a call. A return type
is the other way round: narrowed is safe, anything else breaks a caller's use of the result.
A changed default type-checks but silently gives the callers that relied on it another value,
so it breaks too.

Also the small helpers every rule in :mod:`.compare` shares (a changed text, a default, a moved
field or parameter).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .subtypes import is_within
from .surface import Change, Field, Function, Param

BREAKING = True
ADDITIVE = False

# A parameter callers may now pass in more ways than before: no call that worked breaks.
_WIDENED_KINDS = {
    ("positional-only", "positional-or-keyword"),
    ("keyword-only", "positional-or-keyword"),
}
# Changes after which the old calls still type-check against the new signature (a changed
# default changes what a call means, not whether it is accepted).
_STILL_ACCEPTED = {"changed default"}


def signature_changes(
    module: str, symbol: str, old: Function, new: Function, *, shape: str = ""
) -> list[Change]:
    """Every change from ``old`` to ``new``; ``symbol`` is ``name()`` or ``Class.name()``.

    ``shape``, when given, says which call shape of an overloaded function a return type
    change is about (the old signature's parameters)."""
    changes: list[Change] = []
    if old.is_async != new.is_async:
        detail = "now `async def`" if new.is_async else "no longer `async def`"
        changes.append(Change(module, symbol, "changed kind", detail, BREAKING))
    old_decorators, new_decorators = ", ".join(old.decorators), ", ".join(new.decorators)
    changes += changed(module, symbol, "changed decorators", old_decorators, new_decorators)
    changes += return_changes(module, symbol, old.returns, new.returns, shape=shape)
    changes += parameter_changes(module, symbol, old, new)
    return changes


def takes_calls(old: Function, new: Function) -> bool:
    """Every call that type-checked against ``old`` type-checks against ``new`` (whatever it
    returns now)."""
    return not any(
        change.breaking and change.what not in _STILL_ACCEPTED
        for change in parameter_changes("", "f()", old, new)
    )


def return_changes(
    module: str, symbol: str, old: str | None, new: str | None, *, shape: str = ""
) -> list[Change]:
    if old == new:
        return []
    prefix = f"calls `{shape}`: " if shape else ""
    detail = f"{prefix}`{old}` → `{new}`"
    if is_within(new, old):  # returns less than before: callers still cope
        return [Change(module, symbol, "narrowed return type", detail, ADDITIVE)]
    return [Change(module, symbol, "changed return type", detail, BREAKING)]


def parameter_changes(module: str, symbol: str, old: Function, new: Function) -> list[Change]:
    changes: list[Change] = []
    before, after = _params_by_key(old.params), _params_by_key(new.params)
    base = symbol.removesuffix("()")
    for key in sorted(before.keys() | after.keys()):
        old_param, new_param = before.get(key), after.get(key)
        if new_param is None:
            assert old_param is not None
            param_symbol, detail = f"{base}({old_param.name})", shown(old_param)
            changes.append(Change(module, param_symbol, "removed parameter", detail, BREAKING))
            continue
        param_symbol = f"{base}({new_param.name})"
        if old_param is None:
            if new_param.default is None and not new_param.variadic:
                what, breaking = "new required parameter", BREAKING
            else:
                what, breaking = "new optional parameter", ADDITIVE
            changes.append(Change(module, param_symbol, what, shown(new_param), breaking))
        else:
            changes += _param_changes(module, param_symbol, old_param, new_param)
    positional_old = [p for p in old.params if p.passed_by_position]
    positional_new = [p for p in new.params if p.passed_by_position]
    for name, detail in moved(positional_old, positional_new):
        changes.append(Change(module, f"{base}({name})", "moved parameter", detail, BREAKING))
    return changes


def required_keys(function: Function) -> frozenset[str]:
    """The parameters every call must pass (``*args`` and ``**kwargs`` never are)."""
    return frozenset(p.name for p in function.params if p.default is None and not p.variadic)


def params_by_key(function: Function) -> Mapping[str, Param]:
    return _params_by_key(function.params)


def _params_by_key(params: Sequence[Param]) -> Mapping[str, Param]:
    """``*args`` and ``**kwargs`` by their kind: renaming them changes no call."""
    return {{"var-positional": "*", "var-keyword": "**"}.get(p.kind, p.name): p for p in params}


def _param_changes(module: str, symbol: str, old: Param, new: Param) -> list[Change]:
    changes: list[Change] = []
    if old.kind != new.kind:
        breaking = (old.kind, new.kind) not in _WIDENED_KINDS
        detail = f"{old.kind} → {new.kind}"
        changes.append(Change(module, symbol, "changed parameter kind", detail, breaking))
    if old.annotation != new.annotation and is_within(old.annotation, new.annotation):
        detail = f"`{old.annotation}` → `{new.annotation}`"  # accepts more: old calls still fit
        changes.append(Change(module, symbol, "widened type", detail, ADDITIVE))
    else:
        changes += changed(module, symbol, "changed type", old.annotation, new.annotation)
    changes += default_changes(module, symbol, old.default, new.default)
    return changes


def changed(module: str, symbol: str, what: str, old: str | None, new: str | None) -> list[Change]:
    """One breaking change when the text differs: for what is read and written alike (a
    field's type, an alias, a constant's type), any change breaks someone."""
    if old == new:
        return []
    return [Change(module, symbol, what, f"`{old}` → `{new}`", BREAKING)]


def default_changes(module: str, symbol: str, old: str | None, new: str | None) -> list[Change]:
    if old == new:
        return []
    if new is None:
        return [Change(module, symbol, "default removed, now required", f"was `{old}`", BREAKING)]
    if old is None:
        return [Change(module, symbol, "default added, now optional", f"`{new}`", ADDITIVE)]
    return [Change(module, symbol, "changed default", f"`{old}` → `{new}`", BREAKING)]


def moved(old: Sequence[Field | Param], new: Sequence[Field | Param]) -> list[tuple[str, str]]:
    """(name, "position a → b") of items whose position changed: a caller passing them by
    position now passes something else."""
    old_positions = {item.name: index for index, item in enumerate(old)}
    found: list[tuple[str, str]] = []
    for index, item in enumerate(new):
        was = old_positions.get(item.name)
        if was is not None and was != index:
            found.append((item.name, f"position {was + 1} → {index + 1}"))
    return found


def shown(item: Field | Param) -> str:
    return f"`{item.render()}`"
