"""The generator as one pure function: schema file in, ``{relative path: text}`` out.

``generate`` reads the schema and returns every file of the package, keyed by POSIX paths under
``<package>/``, sorted; the same schema gives byte-identical output in any process (no
timestamps, no set or hash ordering). Writing and comparing belong to :mod:`batchrepo_codegen.cli`.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from .emit.package import PackageIR, build_ir
from .model import MODEL_CHECKS
from .output.gate import postprocess
from .output.render import render
from .schema.document import SchemaDef
from .schema.parse import load_schema, parse_schema


def read_schema(path: str | os.PathLike[str]) -> SchemaDef:
    """Load and check a schema file, the resolved model's SQL names included (every problem at
    once, as a ``SchemaError``)."""
    return load_schema(path, later_checks=MODEL_CHECKS)


def read_schema_text(text: str, filename: str) -> SchemaDef:
    """:func:`read_schema` for text in hand; ``filename`` is what messages call it."""
    return parse_schema(text, filename, later_checks=MODEL_CHECKS)


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path as the generated headers name it: as given, normalised, with ``/``."""
    return posixpath.normpath(Path(path).as_posix())


def package_ir(
    schema_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] = "generated",
    *,
    source: str | None = None,
    package_metadata: bool = False,
) -> PackageIR:
    schema = read_schema(schema_path)
    shown = source if source is not None else shown_path(schema_path)
    return build_ir(schema, shown, shown_path(out_dir), package_metadata=package_metadata)


def generate(
    schema_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] = "generated",
    *,
    source: str | None = None,
    package_metadata: bool = False,
) -> dict[str, str]:
    """Every file generated from ``schema_path``, by path relative to the output directory.

    ``out_dir`` (and ``source``, which defaults to ``schema_path``) only appear in the headers,
    in the command that regenerates the output; nothing is written. ``package_metadata``: also
    ``pyproject.toml`` beside the package, which makes the output directory installable
    (``pip install <out_dir>``)."""
    ir = package_ir(schema_path, out_dir, source=source, package_metadata=package_metadata)
    return postprocess(render(ir), ir.expected_names())
