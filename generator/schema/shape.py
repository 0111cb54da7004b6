"""Shape errors: pydantic's validation errors of :class:`SchemaDef`, as messages people act on.

pydantic reports ``Extra inputs are not permitted`` at a location such as
``('tables', 'person', 'columns', 'id', 'default', 'int')``, where the last part names a member
of a union rather than a key of the document. This module maps each error back to the path of
the node in the document (so the loader's positions find it), merges the errors of one union
into one message, and says what to write: ``unknown key 'nulable'; did you mean 'nullable'?``.
"""

from __future__ import annotations

import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from . import document
from .document import SchemaDef
from .issues import Path, Problem, close_match, describe

#: What YAML 1.1 read as booleans and this loader keeps as strings (field notes part 2).
_YAML11_BOOLEANS = re.compile(
    r"y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|True|TRUE|False|FALSE"
)
#: Integer spellings YAML 1.1 accepted and this loader keeps as strings.
_NOT_DECIMAL = re.compile(r"[-+]?(?:0[xXoObB]?[0-9a-fA-F_]+|[0-9][0-9_]*(?::[0-5]?[0-9])+|[0-9_]+)")

#: Union members written as a list or as a mapping (``indexes: {name: [a]}`` or ``{name:
#: {columns: [a], where: ...}}``): pydantic names them in an error's location.
_MODELS_OR_LISTS = re.compile(
    "(?:list\\[.*|"
    + "|".join(
        re.escape(name)
        for name, value in vars(document).items()
        if isinstance(value, type) and issubclass(value, BaseModel)
    )
    + ")$"
)

#: How each member of a union is named when the value fits none of them.
_UNION_MEMBERS = {
    "bool": "true or false",
    "int": "a number",
    "float": "a number",
    "str": "a string",
}


def shape_problems(
    data: Any, error: ValidationError, root: type[BaseModel] = SchemaDef
) -> list[Problem]:
    """One problem per node of ``data`` that does not fit the schema language (``root``: the
    model ``data`` was validated as, when not the whole document)."""
    grouped: dict[tuple[Path, bool], list[tuple[ErrorDetails, tuple[Any, ...]]]] = {}
    problems = []
    neither: set[Path] = set()
    for details in error.errors(include_url=False):
        path, rest, on_key = _split_location(data, details["loc"])
        if rest and _MODELS_OR_LISTS.match(str(rest[0])):
            # a short form (a list) or a long form (a mapping): the value's kind picks one
            node = node_at(data, path)
            if not isinstance(node, list | dict):
                if path not in neither:
                    neither.add(path)
                    such = f" such as [{node}]" if isinstance(node, str) else ""
                    message = (
                        f"expected a list{such} or a mapping (key: value), got {describe(node)}"
                    )
                    problems.append(Problem(path, message))
                continue
            if isinstance(node, dict) != (not str(rest[0]).startswith("list[")):
                continue
            path, rest, on_key = _split_location(data, (*path, *rest[1:]))
        grouped.setdefault((path, on_key), []).append((details, rest))
    for (path, on_key), errors in grouped.items():
        if len(errors) > 1 and all(rest and rest[0] in _UNION_MEMBERS for _, rest in errors):
            problems.append(Problem(path, _union_message(errors[0][0]["input"], errors)))
            continue
        for details, rest in errors:
            problem = _problem(path, rest, on_key, details, root)
            joined = joined_type(data, path) if details["type"] == "extra_forbidden" else None
            if joined is not None:
                problem = Problem(
                    path,
                    f"unknown key {path[-1]!r}: the comma inside {{...}} split the type "
                    f'{joined!r} in two; quote it: type: "{joined}"',
                    at_key=True,
                )
            problems.append(problem)
    return problems


#: A type cut at the comma of its parameters: ``numeric(10``, and the key that got the rest.
_CUT_TYPE = re.compile(r"[^()\[\]]*\([^()]*")
_TYPE_REST = re.compile(r"[^()]*\)(?:\s*\[\s*\])?")


def joined_type(data: Any, path: Path) -> str | None:
    """When the unknown key at ``path`` is the rest of a type that a flow mapping cut at its
    comma (``{type: numeric(10,2)}`` reads as ``type: numeric(10`` and a key ``2)`` without a
    value), the type as it was meant; None otherwise."""
    parent = node_at(data, path[:-1])
    key = path[-1]
    if not isinstance(parent, dict) or not isinstance(key, str):
        return None
    cut = parent.get("type")
    if not isinstance(cut, str) or parent.get(key) is not None:
        return None
    if not (_CUT_TYPE.fullmatch(cut) and _TYPE_REST.fullmatch(key)):
        return None
    return f"{cut},{key}"


def node_at(data: Any, path: Path) -> Any:
    """The node of ``data`` at ``path``; None when there is none."""
    node = data
    for part in path:
        in_mapping = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (in_mapping or in_list):
            return None
        node = node[part]
    return node


def _split_location(data: Any, loc: tuple[str | int, ...]) -> tuple[Path, tuple[Any, ...], bool]:
    """The document path of an error, what is left of its location, and whether the error is
    about a mapping key (pydantic's ``[key]``) rather than a value."""
    node = data
    for index, part in enumerate(loc):
        if part == "[key]":
            return tuple(loc[:index]), (), True
        in_mapping = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (in_mapping or in_list):
            return tuple(loc[:index]), tuple(loc[index:]), False
        node = node[part]
    return tuple(loc), (), False


def _problem(
    path: Path,
    rest: tuple[Any, ...],
    on_key: bool,
    details: ErrorDetails,
    root: type[BaseModel] = SchemaDef,
) -> Problem:
    kind = details["type"]
    value = details["input"]
    ctx = details.get("ctx") or {}
    if kind == "missing":
        return Problem(path, f"missing required key {rest[0]!r}", at_key=True)
    if kind == "extra_forbidden":
        return Problem(path, _unknown_key_message(path, root), at_key=True)
    if on_key:
        if kind == "string_too_short":
            return Problem(path, "a name must not be empty", at_key=True)
        return Problem(path, f"names must be strings, not {describe(value)}", at_key=True)
    if kind == "literal_error":
        return Problem(path, _literal_message(path, value, root))
    if kind == "bool_type":
        hint = ""
        if isinstance(value, str) and _YAML11_BOOLEANS.fullmatch(value):
            hint = " (only true and false are booleans)"
        return Problem(path, f"expected true or false, got {describe(value)}{hint}")
    if kind in ("int_type", "int_from_float"):
        return Problem(path, f"expected a whole number, got {describe(value)}{_number_hint(value)}")
    if kind == "float_type":
        return Problem(path, f"expected a number, got {describe(value)}{_number_hint(value)}")
    if kind == "string_type":
        quotable = _is_plain_scalar(value) and value is not None
        hint = f" (quote it: '{_scalar_text(value)}')" if quotable else ""
        return Problem(path, f"expected a string, got {describe(value)}{hint}")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return Problem(path, f"expected a mapping (key: value), got {describe(value)}")
    if kind == "list_type":
        hint = f" such as [{value}]" if isinstance(value, str) else ""
        return Problem(path, f"expected a list{hint}, got {describe(value)}")
    if kind == "string_unicode" and isinstance(value, str):
        surrogate = next((ch for ch in value if "\ud800" <= ch <= "\udfff"), "\ud800")
        return Problem(
            path,
            f"contains U+{ord(surrogate):04X}, half of a UTF-16 surrogate pair, which is not a "
            "character UTF-8 or PostgreSQL can hold; write the character itself",
        )
    if kind in ("too_short", "string_too_short"):
        return Problem(path, "must not be empty")
    if kind == "string_too_long":
        limit = ctx.get("max_length")
        return Problem(path, f"is {len(value)} characters long; at most {limit} are allowed")
    if kind == "greater_than_equal":
        return Problem(path, f"must be at least {ctx.get('ge')}, got {describe(value)}")
    message = str(details["msg"])
    return Problem(path, message[:1].lower() + message[1:])


def _is_plain_scalar(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float)


def _scalar_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number_hint(value: Any) -> str:
    if isinstance(value, str) and _NOT_DECIMAL.fullmatch(value):
        return " (write numbers in plain decimal: no 0x, 0o, leading zeros, _ or :)"
    return ""


def _union_message(value: Any, errors: list[tuple[ErrorDetails, tuple[Any, ...]]]) -> str:
    members = dict.fromkeys(_UNION_MEMBERS[rest[0]] for _, rest in errors)
    names = list(members)
    wanted = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"expected {wanted}, got {describe(value)}"


def _unknown_key_message(path: Path, root: type[BaseModel]) -> str:
    key = str(path[-1])
    allowed = _allowed_keys(path[:-1], root)
    # A prefix counts too: 'on' is short for 'on_delete' but far from it by edit distance.
    close = [match for match in [close_match(key, allowed)] if match is not None] or [
        option for option in allowed if len(key) >= 2 and option.startswith(key)
    ][:1]
    if close:
        return f"unknown key {key!r}; did you mean {close[0]!r}?"
    return f"unknown key {key!r}; allowed: {', '.join(allowed)}"


def _literal_message(path: Path, value: Any, root: type[BaseModel]) -> str:
    allowed = get_args(unwrap(annotation_at(path, root)))
    shown = ", ".join(repr(option) for option in allowed)
    if isinstance(value, str) and all(isinstance(option, str) for option in allowed):
        by_lower = {option.lower(): option for option in allowed}
        close = close_match(value.lower(), list(by_lower))
        if close is not None:
            meant = by_lower[close]
            return f"unknown value {value!r}; did you mean {meant!r}? (allowed: {shown})"
        return f"unknown value {value!r}; allowed: {shown}"
    return f"expected {shown}, got {describe(value)}"


def _allowed_keys(path: Path, root: type[BaseModel]) -> list[str]:
    model = unwrap(annotation_at(path, root))
    if isinstance(model, type) and issubclass(model, BaseModel):
        # a key the document spells as a Python keyword (``in``) is a field under an alias
        return [field.alias or name for name, field in model.model_fields.items()]
    return []


def annotation_at(path: Path, root: type[BaseModel] = SchemaDef) -> Any:
    """The type the schema language declares at a document path (``root`` at the root); None
    for a path it does not declare."""
    annotation: Any = root
    for part in path:
        annotation = unwrap(annotation)
        origin = get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = _field_named(annotation, str(part))
            annotation = field.annotation if field is not None else None
        elif origin is dict:
            annotation = get_args(annotation)[1]
        elif origin is list:
            annotation = get_args(annotation)[0]
        else:
            return None
    return annotation


def unwrap(annotation: Any) -> Any:
    """Strip ``Annotated`` and ``| None`` to reach the model, container or ``Literal``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin is Union or origin is types.UnionType:
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            if len(members) > 1 and len(models) == 1:
                members = models  # a short form or a model: the model's keys are the keys
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _field_named(model: type[BaseModel], key: str) -> FieldInfo | None:
    """The field a document key names: its own name, or its alias (``in`` for ``in_``)."""
    field = model.model_fields.get(key)
    if field is not None and field.alias is None:
        return field
    return next((f for f in model.model_fields.values() if f.alias == key), None)
