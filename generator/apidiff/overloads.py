"""A function as its callers see it: one signature, or its ``@overload`` signatures.

A type checker matches a call against the overloads in source order and takes the first that
accepts it; the implementation behind them is never matched. So the old function is a list of
*call shapes* (its overloads, or its one signature), and the question for each is: which new
signature do its calls reach now, and what do they get back?

1. An old shape's calls reach the first new signature that takes every one of them
   (:func:`.calls.takes_calls`). Its changes are reported as for one signature: a new optional
   parameter is additive; a return type that is not the same or narrower is breaking, since
   the same call now gives another type.
2. When no new signature takes them all, the calls no longer type-check: breaking. (With one
   new signature, its changes say why, parameter by parameter.) A shape whose calls are now
   split over two overloads reads as breaking too: a false alarm, never a missed break.
3. A new overload that no old shape reaches is additive when no old call can reach it: it
   requires a parameter the old shape did not have (``returning: Literal[False]`` where there
   was no ``returning``), or asks a literal the old shape never passes, or comes after the
   overload that takes the old shape's calls. Placed before it and able to take some of its
   calls, it may change what they return: breaking.

An old overload whose every call an earlier one takes was never matched, and is left out. With
one signature on both sides this is exactly :func:`.calls.signature_changes`.
"""

from __future__ import annotations

from .calls import ADDITIVE, BREAKING, params_by_key, required_keys, signature_changes, takes_calls
from .subtypes import literal_values
from .surface import Change, Function


def function_changes(module: str, symbol: str, old: Function, new: Function) -> list[Change]:
    """The changes from ``old`` to ``new`` for their callers; ``symbol`` is ``name()`` or
    ``Class.name()``."""
    old_shapes, new_shapes = old.signatures, new.signatures
    if len(old_shapes) == 1 and len(new_shapes) == 1:
        return signature_changes(module, symbol, old_shapes[0], new_shapes[0])
    changes: set[Change] = set()
    old_shapes = _reachable(old_shapes)
    reached: list[int | None] = []  # per old shape: the new signature its calls reach
    for shape in old_shapes:
        index = next((i for i, sig in enumerate(new_shapes) if takes_calls(shape, sig)), None)
        reached.append(index)
        label = shape.render_params() if len(old_shapes) > 1 else ""
        if index is None and len(new_shapes) > 1:
            detail = f"`{shape.render()}`: no overload takes them"
            changes.add(Change(module, symbol, "calls no longer accepted", detail, BREAKING))
        else:
            target = new_shapes[0 if index is None else index]
            changes.update(signature_changes(module, symbol, shape, target, shape=label))
    if len(new_shapes) > 1:
        changes.update(_new_overloads(module, symbol, old, old_shapes, new_shapes, reached))
    return sorted(changes)


def _new_overloads(
    module: str,
    symbol: str,
    old: Function,
    old_shapes: tuple[Function, ...],
    new_shapes: tuple[Function, ...],
    reached: list[int | None],
) -> list[Change]:
    changes: list[Change] = []
    for index, signature in enumerate(new_shapes):
        if index in reached or signature in old.signatures:
            continue
        detail = f"`{signature.render()}`"
        overtaken = [
            shape
            for shape, target in zip(old_shapes, reached, strict=True)
            if target is not None and target > index and _may_take_calls(signature, shape)
        ]
        if overtaken:
            detail += f", before the overload that took calls `{overtaken[0].render_params()}`"
            changes.append(Change(module, symbol, "new overload", detail, BREAKING))
        else:
            changes.append(Change(module, symbol, "new overload", detail, ADDITIVE))
    return changes


def _reachable(shapes: tuple[Function, ...]) -> tuple[Function, ...]:
    """The overloads some call can match: one whose every call an earlier overload already
    takes is never matched (mypy reports it), so it promises callers nothing."""
    return tuple(
        shape
        for index, shape in enumerate(shapes)
        if not any(takes_calls(shape, earlier) for earlier in shapes[:index])
    )


def _may_take_calls(signature: Function, shape: Function) -> bool:
    """Some call of ``shape`` may match ``signature``: False only when ``signature`` needs a
    parameter ``shape`` has not, or a literal ``shape`` never passes."""
    known = params_by_key(shape)
    if required_keys(signature) - known.keys():
        return False
    for key, param in params_by_key(signature).items():
        passed = known.get(key)
        if passed is None or (param.default is not None and passed.default is not None):
            continue  # calls that leave it out match whatever literal it asks
        mine, theirs = literal_values(param.annotation), literal_values(passed.annotation)
        if mine is not None and theirs is not None and not mine & theirs:
            return False
    return True
