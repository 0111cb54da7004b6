"""The gate every generated Python file passes: parse, check its names, fix imports, format.

1. libcst parses the rendered text; a syntax error names the template and the line.
2. The module's top level may hold only a docstring, imports, assignments, functions and
   classes, and the names it binds must be exactly those the IR expects: text that slipped
   through a template (an injected statement, a stray name) fails here.
3. ``ruff check --fix`` (ruff's default rules plus isort and pyupgrade; a violation it cannot fix
   is an error) and ``ruff format`` run through ruff's own
   binary on stdin with ``--isolated`` and every setting on the command line, from an empty
   working directory, so neither the user's configuration nor the current directory changes the
   output. The pinned ruff version is required for the same reason.
4. The formatted text is checked again (ruff removing an import would mean the IR was wrong).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import libcst as cst

from .render import Rendered

#: The ruff release the output is formatted with (pinned in pyproject.toml).
RUFF_VERSION = "0.17.5"

_SETTINGS = (
    "--isolated",
    "--target-version",
    "py311",
    "--line-length",
    "100",
)
#: ruff's default rules (what ``make lint`` checks the output with) plus isort and pyupgrade.
#: RUF100 stays off: N999 (module names) cannot fire on stdin, so the exemption the IR adds for
#: modules named after non-ASCII tables would look unused here, though ``make lint`` needs it.
_LINT = (
    "--extend-select",
    "I,UP",
    "--extend-ignore",
    "RUF100",
    "--config",
    "lint.isort.known-third-party = ['batchrepo']",
)


class GateError(Exception):
    """Generated text that is not the Python the IR describes."""


def postprocess(
    files: Mapping[str, Rendered], expected: Mapping[str, tuple[str, ...]]
) -> dict[str, str]:
    """Gate and format every ``.py`` file; other files pass through. ``expected`` maps a path
    relative to the package to the top-level names of that module."""

    def one(item: tuple[str, Rendered]) -> tuple[str, str]:
        path, rendered = item
        if not path.endswith(".py"):
            return path, rendered.text
        names = expected[path.split("/", 1)[1]]
        check_module(rendered.text, f"{rendered.template} (rendering {path})", names)
        formatted = format_python(rendered.text, path)
        check_module(formatted, f"ruff output for {path}", names)
        return path, formatted

    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        return dict(sorted(pool.map(one, files.items())))


def check_module(text: str, origin: str, expected: tuple[str, ...]) -> None:
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        raise GateError(
            f"{origin}: invalid Python at line {error.raw_line}, column {error.raw_column}: "
            f"{error.message}\n    {_line(text, error.raw_line)}"
        ) from None
    found = top_level_names(module, origin)
    if found != set(expected):
        unexpected = sorted(found - set(expected))
        missing = sorted(set(expected) - found)
        raise GateError(
            f"{origin}: top-level names differ from the IR: unexpected {unexpected}, "
            f"missing {missing}"
        )


def _line(text: str, number: int) -> str:
    lines = text.splitlines()
    return lines[number - 1] if 0 < number <= len(lines) else ""


def top_level_names(module: cst.Module, origin: str) -> set[str]:
    """Names a module binds at top level; anything but a docstring, imports, assignments,
    functions and classes is an error."""
    names: set[str] = set()
    for index, statement in enumerate(module.body):
        if isinstance(statement, cst.FunctionDef | cst.ClassDef):
            names.add(statement.name.value)
            continue
        if not isinstance(statement, cst.SimpleStatementLine):
            raise GateError(f"{origin}: unexpected top-level {type(statement).__name__}")
        for small in statement.body:
            names |= _bound(small, index == 0, origin)
    return names


def _bound(small: cst.BaseSmallStatement, first: bool, origin: str) -> set[str]:
    if isinstance(small, cst.Import):
        return {
            _alias(a)
            if a.asname
            else cst.helpers.get_full_name_for_node_or_raise(a.name).split(".")[0]
            for a in small.names
        }
    if isinstance(small, cst.ImportFrom):
        if isinstance(small.names, cst.ImportStar):
            raise GateError(f"{origin}: star import")
        if isinstance(small.module, cst.Name) and small.module.value == "__future__":
            return set()  # compiler directives, not names
        return {
            _alias(a) if a.asname else cst.helpers.get_full_name_for_node_or_raise(a.name)
            for a in small.names
        }
    if isinstance(small, cst.Assign):
        return {_target(t.target, origin) for t in small.targets}
    if isinstance(small, cst.AnnAssign) and small.value is not None:
        return {_target(small.target, origin)}
    if first and isinstance(small, cst.Expr) and isinstance(small.value, cst.SimpleString):
        return set()  # the module docstring
    raise GateError(f"{origin}: unexpected top-level statement {type(small).__name__}")


def _alias(alias: cst.ImportAlias) -> str:
    assert alias.asname is not None
    return _target(alias.asname.name, "import alias")


def _target(node: cst.BaseExpression, origin: str) -> str:
    if isinstance(node, cst.Name):
        return node.value
    raise GateError(f"{origin}: top-level assignment to something other than a name")


@cache
def ruff_binary() -> str:
    from ruff import find_ruff_bin  # type: ignore[import-untyped]

    binary: str = find_ruff_bin()
    version = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[-1]
    if version != RUFF_VERSION:
        raise GateError(
            f"batchrepo formats its output with ruff {RUFF_VERSION} (pinned, so output does not "
            f"drift); found ruff {version}: install the pinned one (pip install -e '.[codegen]')"
        )
    return binary


def format_python(text: str, path: str) -> str:
    """``ruff check --fix`` then ``ruff format``, both on stdin, isolated from any config."""
    fixed = _ruff(["check", "--fix", *_SETTINGS, *_LINT], text, path, lint=True)
    return _ruff(["format", *_SETTINGS], fixed, path, lint=False)


def _ruff(args: list[str], text: str, path: str, *, lint: bool) -> str:
    with tempfile.TemporaryDirectory(prefix="batchrepo-ruff-") as empty:
        done = subprocess.run(
            [ruff_binary(), *args, "--stdin-filename", path, "-"],
            input=text,
            capture_output=True,
            text=True,
            cwd=empty,
            check=False,
        )
    if done.returncode != 0:
        what = "lint errors it cannot fix" if lint else "a formatting error"
        raise GateError(f"ruff found {what} in {path}:\n{done.stdout}{done.stderr}")
    return done.stdout
