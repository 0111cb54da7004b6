"""The schema written in Python: the models of :mod:`.document`, or plain data, in a module.

The schema language is the pydantic models YAML is validated into, so a schema can be built
from them directly (``SchemaDef(version=1, package="shop", tables={...})``, nested models or
dicts) and named ``module:attribute`` wherever a schema file is named::

    batchrepo generate --schema shop_schema:SCHEMA          # a module on the path (or in .)
    batchrepo generate --schema schemas/shop.py:SCHEMA      # a file
    generate(SCHEMA, source="shop_schema:SCHEMA")           # the object itself

It passes the same checks as YAML and gets the same messages, located by Python object path
instead of line (``shop_schema.py: SCHEMA.tables['person'].columns['id'].type: unknown type
'uuuid'; did you mean 'uuid'?``). The attribute may also hold plain data (dicts and lists, as
YAML would give): it is then checked like a YAML document, every problem at once. Models check
their shape while the module runs, so the first shape error stops it; it is reported at the
line of the constructor that raised it (``shop_schema.py:12: ColumnDef(...).nulable: unknown
key 'nulable'; did you mean 'nullable'?``).

Loading a Python schema runs its module: it is code the project trusts, as its own tests are,
not untrusted input like a YAML file (whose limits do not apply to it).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path as FilePath
from types import ModuleType
from typing import Any

from pydantic import BaseModel, ValidationError

from .document import SchemaDef
from .issues import Path, Problem, SchemaError, SchemaIssue
from .parse import check_document, check_schema_def
from .shape import annotation_at, shape_problems, unwrap

#: ``module:attribute`` or ``path/to/file.py:attribute``.
_REFERENCE = re.compile(r"(?P<module>[^:]+?):(?P<attribute>[A-Za-z_][A-Za-z0-9_]*)")
_MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")

LaterCheck = Callable[[SchemaDef], list[Problem]]


class PythonSourceError(Exception):
    """The Python schema named could not be loaded (module, file or attribute missing)."""


def is_python_reference(text: str) -> bool:
    """Whether ``text`` names a Python schema (``module:attribute``, ``file.py:attribute``)
    rather than a schema file; an existing file of that name stays a file."""
    found = _REFERENCE.fullmatch(text)
    if found is None or os.path.exists(text):
        return False
    module = found["module"]
    return module.endswith(".py") or _MODULE_NAME.fullmatch(module) is not None


def load_python_schema(reference: str, *, later_checks: Sequence[LaterCheck] = ()) -> SchemaDef:
    """Import the module of ``reference`` (``module:attribute`` or ``file.py:attribute``) and
    check the schema its attribute holds."""
    found = _REFERENCE.fullmatch(reference)
    if found is None:
        raise PythonSourceError(f"{reference!r} is not module:attribute")
    module_text, attribute = found["module"], found["attribute"]
    module = _import(module_text, reference)
    if not hasattr(module, attribute):
        raise PythonSourceError(
            f"module {module.__name__!r} ({_file_of(module)}) has no attribute {attribute!r}"
        )
    return check_python_schema(
        getattr(module, attribute), name=attribute, file=_file_of(module), later_checks=later_checks
    )


def check_python_schema(
    value: Any,
    *,
    name: str = "schema",
    file: str = "<python>",
    later_checks: Sequence[LaterCheck] = (),
) -> SchemaDef:
    """Check a schema given as an object: a :class:`SchemaDef`, or plain data (a mapping).
    ``name`` is how messages call the object (its attribute), ``file`` where it is defined."""
    if isinstance(value, SchemaDef):
        return check_schema_def(
            value, PythonLocator(file, name, SchemaDef), later_checks=later_checks
        )
    if isinstance(value, Mapping):
        return check_document(
            _plain(value), PythonLocator(file, name, None), later_checks=later_checks
        )
    raise PythonSourceError(
        f"{file}: {name} is a {type(value).__name__}; a schema is a SchemaDef "
        "(batchrepo_codegen.schema.document) or a mapping of plain data"
    )


class PythonLocator:
    """Locates problems by Python object path: ``NAME.tables['person'].columns['id']`` through
    models (``model``: the class at the root), ``NAME['tables']['person']`` through plain data
    (``model`` None)."""

    def __init__(self, file: str, name: str, model: type[BaseModel] | None) -> None:
        self.file = file
        self.name = name
        self.model = model

    def issue(self, path: Path, message: str, *, at_key: bool = False) -> SchemaIssue:
        return SchemaIssue(self.file, 0, 0, path, message, python_path(self.name, path, self.model))


def python_path(name: str, path: Path, model: type[BaseModel] | None) -> str:
    """``name`` followed by ``path`` as Python reaches it: ``.field`` on a model, ``[key]`` in
    a dict or list."""
    text = name
    for end, part in enumerate(path):
        parent = unwrap(annotation_at(path[:end], model)) if model is not None else None
        on_model = isinstance(parent, type) and issubclass(parent, BaseModel)
        text += f".{part}" if on_model else f"[{part!r}]"
    return text


def _plain(value: Any) -> Any:
    """Mappings and sequences as dicts and lists (what the YAML loader gives), recursively."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _import(module_text: str, reference: str) -> ModuleType:
    try:
        if module_text.endswith(".py"):
            return _import_file(module_text, reference)
        if os.getcwd() not in sys.path and "" not in sys.path:
            sys.path.insert(0, os.getcwd())  # as `python -m` would: modules of the project
        return importlib.import_module(module_text)
    except ValidationError as error:
        raise _construction_error(error) from None
    except ModuleNotFoundError as error:
        if error.name and module_text.split(".")[0] == error.name.split(".")[0]:
            raise PythonSourceError(f"no module named {module_text!r}") from None
        raise


def _import_file(path: str, reference: str) -> ModuleType:
    if not os.path.isfile(path):
        raise PythonSourceError(f"no file {path!r}")
    name = "_batchrepo_schema_" + re.sub(r"\W", "_", FilePath(path).stem)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise PythonSourceError(f"cannot load {path!r} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _file_of(module: ModuleType) -> str:
    """The module's file as messages name it: relative to the current directory when under it."""
    file = getattr(module, "__file__", None)
    if not file:
        return module.__name__
    try:
        return FilePath(file).resolve().relative_to(FilePath.cwd()).as_posix()
    except ValueError:
        return FilePath(file).as_posix()


def _construction_error(error: ValidationError) -> SchemaError:
    """A model's shape error raised while the schema's module ran, as located issues: the file
    and line of the constructor call, the model and the path inside it."""
    model = _MODELS.get(error.title)
    file, line = _caller(error)
    problems = []
    if model is not None:
        problems = shape_problems(_data_from_errors(error, model), error, model)
    if not problems:
        problems = [Problem((), str(error))]
    return SchemaError(
        SchemaIssue(
            file, line, 0, p.path, p.message, python_path(f"{error.title}(...)", p.path, model)
        )
        for p in problems
    )


def _caller(error: BaseException) -> tuple[str, int]:
    """The innermost frame of the error's traceback outside pydantic and this package."""
    here = FilePath(__file__).resolve().parents[1]
    found = ("<python>", 0)
    for frame in traceback.extract_tb(error.__traceback__):
        path = FilePath(frame.filename)
        if "pydantic" in path.parts or path.resolve().is_relative_to(here):
            continue
        found = (_shown_file(frame.filename), frame.lineno or 0)
    return found


def _shown_file(filename: str) -> str:
    try:
        return FilePath(filename).resolve().relative_to(FilePath.cwd()).as_posix()
    except ValueError:
        return FilePath(filename).as_posix()


def _data_from_errors(error: ValidationError, model: type[BaseModel]) -> dict[Any, Any]:
    """The input of a failed constructor, as far as its errors show it: every node that holds
    an error is present (with the value given), so the shape messages find their paths; a
    missing key stays absent. Parts of a location past what the model declares name members of
    a union (``default.int``), not nodes, except an unknown key itself."""
    data: dict[Any, Any] = {}
    for details in error.errors(include_url=False):
        loc = details["loc"]
        if details["type"] == "missing":
            length = len(loc) - 1
        elif details["type"] == "extra_forbidden":
            length = len(loc)
        else:
            length = 0
            while length < len(loc) and annotation_at(loc[: length + 1], model) is not None:
                length += 1
        node = data
        for part in loc[: max(length - 1, 0)]:
            child = node.setdefault(part, {})
            node = child if isinstance(child, dict) else {}
        if details["type"] != "missing" and length:
            node[loc[length - 1]] = details["input"]
    return data


def _models() -> dict[str, type[BaseModel]]:
    from . import document

    return {
        name: model
        for name, model in vars(document).items()
        if isinstance(model, type)
        and issubclass(model, BaseModel)
        and model.__module__ == document.__name__
    }


_MODELS = _models()
