"""The generator as one pure function: schema in, ``{relative path: text}`` out.

``generate`` reads the schema and returns every file of the package, keyed by POSIX paths under
``<package>/``, sorted; the same schema gives byte-identical output in any process (no
timestamps, no set or hash ordering), and the YAML and the Python form of one schema give the
same bytes. Writing and comparing belong to :mod:`batchrepo_codegen.cli`.

A schema is one of (:data:`SchemaSource`):

* a path to a YAML file (``schema.yaml``);
* ``module:attribute`` or ``file.py:attribute``: a schema written in Python
  (:mod:`batchrepo_codegen.schema.python_source`);
* the object itself: a :class:`SchemaDef` or a mapping of plain data (pass ``source=`` to say
  what the generated headers call it).
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeAlias

from .emit.package import PackageIR, build_ir
from .model import MODEL_CHECKS
from .output.gate import postprocess
from .output.render import render
from .schema.document import SchemaDef
from .schema.parse import load_schema, parse_schema
from .schema.python_source import check_python_schema, is_python_reference, load_python_schema

#: What ``generate`` and ``read_schema`` take.
SchemaSource: TypeAlias = "str | os.PathLike[str] | SchemaDef | Mapping[str, Any]"

#: What the headers call a schema given as an object, when ``source`` does not say.
OBJECT_SOURCE = "<python object>"


def read_schema(schema: SchemaSource) -> SchemaDef:
    """Load and check a schema, the resolved model's SQL names included (every problem at
    once, as a ``SchemaError``)."""
    if isinstance(schema, SchemaDef | Mapping):
        return check_python_schema(schema, later_checks=MODEL_CHECKS)
    if isinstance(schema, str) and is_python_reference(schema):
        return load_python_schema(schema, later_checks=MODEL_CHECKS)
    return load_schema(schema, later_checks=MODEL_CHECKS)


def read_schema_text(text: str, filename: str) -> SchemaDef:
    """:func:`read_schema` for YAML text in hand; ``filename`` is what messages call it."""
    return parse_schema(text, filename, later_checks=MODEL_CHECKS)


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path as the generated headers name it: as given, normalised, with ``/``; a Python
    schema reference (``module:attribute``) as given."""
    if isinstance(path, str) and is_python_reference(path):
        return path
    return posixpath.normpath(Path(path).as_posix())


def shown_source(schema: SchemaSource) -> str:
    """What the headers call ``schema`` (and the command that regenerates it)."""
    if isinstance(schema, SchemaDef | Mapping):
        return OBJECT_SOURCE
    return shown_path(schema)


def package_ir(
    schema: SchemaSource,
    out_dir: str | os.PathLike[str] = "generated",
    *,
    source: str | None = None,
    package_metadata: bool = False,
) -> PackageIR:
    checked = read_schema(schema)
    shown = source if source is not None else shown_source(schema)
    return build_ir(checked, shown, shown_path(out_dir), package_metadata=package_metadata)


def generate(
    schema: SchemaSource,
    out_dir: str | os.PathLike[str] = "generated",
    *,
    source: str | None = None,
    package_metadata: bool = False,
) -> dict[str, str]:
    """Every file generated from ``schema``, by path relative to the output directory.

    ``out_dir`` (and ``source``, which defaults to the schema's path or reference) only
    appear in the headers, in the command that regenerates the output; nothing is written.
    ``package_metadata``: also ``pyproject.toml`` beside the package, which makes the output
    directory installable (``pip install <out_dir>``)."""
    ir = package_ir(schema, out_dir, source=source, package_metadata=package_metadata)
    return postprocess(render(ir), ir.expected_names())
