"""Semantic checks of a document that failed the shape check: one report with both kinds.

A typo'd key (``nulable``) and an unknown type (``uuuid``) in one file are two problems, and the
author should see both at once. When the shape check fails, :func:`semantic_problems_despite`
checks as much of the document as can be read:

1. Unknown keys carry no meaning, so they are removed; a type split at its comma by a flow
   mapping (``{type: numeric(10,2)}`` reads as ``type: numeric(10`` and a key ``2)``) is joined
   again. When the document then fits the shape, every semantic check runs on it.
2. Otherwise the tables and enums that still have a shape problem are left out (their column
   types are still parsed: that is where typos are most likely), references to them are taken
   on trust, and a broken ``version`` or ``package`` is replaced by a stand-in.

:func:`without_follow_ons` then drops semantic problems that may only follow from a problem
already reported: those at or under its path (a value the loader replaced), and those about an
entry that holds it (``table has no primary key`` when its ``primary_ky: true`` was unknown).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pydantic import ValidationError

from .checks.tables import check_schema
from .document import SchemaDef
from .issues import Path, Problem
from .shape import joined_type, node_at
from .types import TypeSyntaxError, parse_type

#: Stands in for a package name that failed the shape check, so the rest can still be checked.
_PLACEHOLDER_PACKAGE = "unreadable_package"

#: Checks of a later stage, run when the front end's own checks pass.
LaterChecks = Sequence[Callable[[SchemaDef], list[Problem]]]


def semantic_problems_despite(
    data: Any, shape: list[Problem], later_checks: LaterChecks = ()
) -> list[Problem]:
    """Semantic problems of the readable part of ``data``, whose shape problems are ``shape``
    (already reported). Returns nothing when too little is readable to check anything."""
    if not isinstance(data, dict):
        return []
    repaired = copy.deepcopy(data)
    unknown = [p.path for p in shape if p.path and _is_unknown_key(p)]
    for path in unknown:
        parent = node_at(repaired, path[:-1])
        joined = joined_type(repaired, path)
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
            if joined is not None:
                parent["type"] = joined
    rest = [p for p in shape if not (p.path and _is_unknown_key(p))]
    if not rest:
        try:
            schema = SchemaDef.model_validate(repaired)
        except ValidationError:
            pass  # only possible if removing keys broke something; fall back below
        else:
            problems = check_schema(schema)
            for check in later_checks:
                if problems:
                    break
                problems = check(schema)
            return problems
    return _readable_part(repaired, rest)


def without_follow_ons(problems: Iterable[Problem], reported: Iterable[Path]) -> list[Problem]:
    """``problems`` less those at, under or holding a path already reported (the root aside)."""
    paths = {path for path in reported if path}
    if not paths:
        return list(problems)
    holding = {path[:end] for path in paths for end in range(1, len(path) + 1)}
    return [
        p
        for p in problems
        if p.path not in holding and not any(p.path[:end] in paths for end in range(len(p.path)))
    ]


def _is_unknown_key(problem: Problem) -> bool:
    return problem.message.startswith("unknown key ")


def _readable_part(data: dict[str, Any], shape: list[Problem]) -> list[Problem]:
    """Semantic problems of the tables and enums without shape problems (step 2 above)."""
    partial = dict(data)
    broken: dict[str, set[str]] = {"tables": set(), "enums": set()}
    for problem in shape:
        path = problem.path
        if len(path) >= 2 and path[0] in broken:
            broken[str(path[0])].add(str(path[1]))
        elif len(path) == 1 and path[0] in broken:
            return []
        elif len(path) == 1:
            partial.pop(str(path[0]), None)
    partial.setdefault("version", 1)
    package_unreadable = "package" not in partial
    partial.setdefault("package", _PLACEHOLDER_PACKAGE)
    for section, names in broken.items():
        entries = partial.get(section, {})
        if not isinstance(entries, dict):
            return []
        partial[section] = {k: v for k, v in entries.items() if k not in names}
    enum_names = {*broken["enums"]}
    problems: list[Problem] = []
    if partial["tables"]:
        try:
            schema = SchemaDef.model_validate(partial)
        except ValidationError:
            return []
        enum_names |= set(schema.enums)
        problems = check_schema(
            schema, unreadable_tables=broken["tables"], unreadable_enums=broken["enums"]
        )
    elif isinstance(partial.get("enums"), dict):
        enum_names |= set(partial["enums"])
    problems += _unreadable_column_types(data, broken["tables"], enum_names)
    if package_unreadable:
        problems = [p for p in problems if p.path[:1] != ("package",)]
    return problems


def _unreadable_column_types(
    data: dict[str, Any], tables: set[str], enum_names: set[str]
) -> list[Problem]:
    """Type problems of the columns of tables left out for their shape: type names are where
    typos are most likely, and they do not depend on the rest of the table."""
    problems = []
    for table_name in sorted(tables):
        table = data["tables"].get(table_name)
        columns = table.get("columns") if isinstance(table, dict) else None
        if not isinstance(columns, dict):
            continue
        for column_name, column in columns.items():
            declared = column.get("type") if isinstance(column, dict) else None
            if not isinstance(declared, str) or not declared:
                continue
            try:
                parse_type(declared, enum_names)
            except TypeSyntaxError as error:
                path = ("tables", table_name, "columns", column_name, "type")
                problems.append(Problem(path, str(error)))
    return problems
