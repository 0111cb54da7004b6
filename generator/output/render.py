"""Rendering: the IR printed through one Jinja template per output kind.

Templates only loop, branch and print IR fields (``StrictUndefined``: a misspelt field is an
error, not an empty string). Partials start with ``_``. The result is raw text; the
:mod:`postprocess` gate parses and formats it.
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from typing import Any

import jinja2

from ..emit.package import (
    DDL_PATH,
    ENUMS_PATH,
    INIT_PATH,
    MARKER_PATH,
    METADATA_PATH,
    PackageIR,
)
from ..emit.pydantic_models import PATH as PYDANTIC_PATH
from ..emit.unit_of_work_module import UNIT_OF_WORK_PATH


class RenderError(Exception):
    """A template failed: names the template and its line."""


@dataclass(frozen=True, slots=True)
class Rendered:
    """One output file before the gate: its text and the template that produced it."""

    text: str
    template: str


def environment() -> jinja2.Environment:
    root = importlib.resources.files("batchrepo_codegen.templates")
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(ir: PackageIR) -> dict[str, Rendered]:
    """Every file of the package, by path relative to the output directory."""
    env = environment()
    prefix = ir.package + "/"
    header = ir.python_header
    files = {
        INIT_PATH: _render(env, "package_init.py.jinja", header=header, init=ir.init),
        ENUMS_PATH: _render(env, "enums.py.jinja", header=header, module=ir.enums),
        DDL_PATH: _render(env, "schema.sql.jinja", header=ir.sql_header, ddl=ir.ddl),
        MARKER_PATH: Rendered("", "(marker)"),
        UNIT_OF_WORK_PATH: _render(
            env, "unit_of_work.py.jinja", header=header, uow=ir.unit_of_work
        ),
    }
    if ir.pydantic is not None:
        files[PYDANTIC_PATH] = _render(
            env, "pydantic_models.py.jinja", header=header, module=ir.pydantic
        )
    for aggregate in ir.aggregates:
        files[aggregate.path] = _render(env, "aggregate.py.jinja", header=header, a=aggregate)
        files[aggregate.table_module.path] = _render(
            env, "table_module.py.jinja", header=header, module=aggregate.table_module
        )
    rendered = {prefix + path: files[path] for path in files}
    if ir.metadata is not None:  # beside the package, not in it
        rendered[METADATA_PATH] = _render(env, "pyproject.toml.jinja", m=ir.metadata)
    return {path: rendered[path] for path in sorted(rendered)}


def render_ddl(ir: PackageIR) -> str:
    """``schema.sql`` alone (``batchrepo ddl``)."""
    return _render(environment(), "schema.sql.jinja", header=ir.sql_header, ddl=ir.ddl).text


def _render(env: jinja2.Environment, name: str, **context: Any) -> Rendered:
    try:
        return Rendered(env.get_template(name).render(**context), name)
    except jinja2.TemplateSyntaxError as error:
        raise RenderError(f"{error.name or name}:{error.lineno}: {error.message}") from error
    except jinja2.TemplateError as error:
        raise RenderError(f"{name}:{_template_line(error, name)}: {error}") from error


def _template_line(error: BaseException, name: str) -> str:
    """The template line of a render-time error, from the traceback Jinja rewrites."""
    tb = error.__traceback__
    line = "?"
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".jinja"):
            line = f"{tb.tb_lineno} ({filename.rsplit('/', 1)[-1]})"
        tb = tb.tb_next
    return line
