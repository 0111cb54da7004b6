"""``batchrepo``: generate, check, migrate, diff, ddl, ir, pull.

* ``generate`` renders every file first; on any error it writes nothing (exit 2, or 3 for a
  generator bug), otherwise it replaces the output directory in one swap.
* ``check`` exits 1 listing changed, missing and extra files and the command that fixes them,
  or when the newest migration leads to another schema (only when a migrations folder exists),
  0 when everything is up to date.
* ``migrate`` writes the next numbered migration from a base schema (a git revision or a file)
  to the current one (:mod:`migration_command`); destructive steps only when allowed.
* ``diff`` prints the public API change of the generated package since a git revision as
  markdown (exit 1 when something breaking changed; see :mod:`batchrepo_codegen.apidiff.api_diff`).
* ``ddl`` prints ``schema.sql``; ``ir`` prints the intermediate model as JSON (sorted keys).
* ``pull`` writes ``schema.yaml`` from a live database and proves the round trip
  (:mod:`batchrepo_codegen.pull`): exit 0 exact, 1 not exact (listed), 2 bad input.

A schema error prints every issue, one per line, to stderr. ``--schema`` takes a YAML file or
``module:attribute`` (``file.py:attribute``) naming a schema written in Python
(:mod:`batchrepo_codegen.schema.python_source`); a schema that is not there is named with the
option. ``batchrepo --version`` prints the installed version and the runtime contract it emits.

The runtime installs without the generator's dependencies (pydantic, PyYAML, Jinja2, libcst,
ruff: the ``codegen`` extra); run without them, ``batchrepo`` says to install
``batchrepo[codegen]`` instead of a ``ModuleNotFoundError`` traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from batchrepo.contract import CURRENT, installed_version

#: Top-level modules the ``codegen`` extra installs (pyproject.toml).
CODEGEN_MODULES = frozenset({"pydantic", "pydantic_core", "yaml", "jinja2", "libcst", "ruff"})

try:
    from .apidiff.api_diff import register as register_diff
    from .migrate.base_schema import BaseError
    from .migrate.command import MigrateRequest, missing_migration, run_migrate
    from .migrate.files import MigrationFileError
    from .migrate.planner import MigrationRefused
    from .model import GenerationError
    from .output.gate import GateError
    from .output.render import RenderError, render_ddl
    from .output.writer import OutputError, compare_tree, write_tree
    from .pipeline import generate, package_ir, shown_path
    from .pull import register as register_pull
    from .schema.issues import SchemaError
    from .schema.python_source import PythonSourceError
except ModuleNotFoundError as missing:  # the runtime alone is installed: say what to install
    if (missing.name or "").split(".")[0] not in CODEGEN_MODULES:
        raise
    _MISSING: str | None = missing.name
else:
    _MISSING = None

DEFAULT_SCHEMA = "schema.yaml"
DEFAULT_OUT = "generated"

EXIT_STALE = 1
EXIT_INPUT = 2
EXIT_BUG = 3


def version() -> str:
    return f"batchrepo {installed_version()} (emits runtime contract v{CURRENT})"


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if _MISSING is not None:
        if "--version" in arguments:
            print(version())
            return 0
        print(
            f"batchrepo: the code generator needs {_MISSING}, which is not installed; "
            "install the generator with: pip install 'batchrepo[codegen]' (the runtime alone "
            "needs only asyncpg)",
            file=sys.stderr,
        )
        return EXIT_INPUT
    args = _parser().parse_args(arguments)
    try:
        return int(args.run(args))
    except BrokenPipeError:  # `batchrepo ir | head`: the reader has seen enough
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silences the flush at exit
        return 0
    except SchemaError as error:
        for issue in error.issues:
            print(issue, file=sys.stderr)
        count = len(error.issues)
        print(f"{count} problem{'s' if count != 1 else ''}; nothing generated", file=sys.stderr)
        return EXIT_INPUT
    except MigrationRefused as error:
        print(f"batchrepo: {error}", file=sys.stderr)
        return EXIT_INPUT
    except FileNotFoundError as error:
        schema = getattr(args, "schema", None)
        if schema is None or error.filename != schema:
            print(f"batchrepo: {error}", file=sys.stderr)
        else:
            print(
                f"batchrepo: no schema file {schema!r} (--schema {schema}); name the schema "
                "with --schema PATH, or module:attribute for a schema written in Python",
                file=sys.stderr,
            )
        return EXIT_INPUT
    except PythonSourceError as error:
        print(f"batchrepo: --schema {args.schema}: {error}", file=sys.stderr)
        return EXIT_INPUT
    except (GenerationError, OutputError, BaseError, MigrationFileError, OSError) as error:
        print(f"batchrepo: {error}", file=sys.stderr)
        return EXIT_INPUT
    except (RenderError, GateError) as error:
        print(f"batchrepo: internal error, nothing written: {error}", file=sys.stderr)
        return EXIT_BUG


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="batchrepo", description="Typed batch repositories for PostgreSQL from a schema."
    )
    parser.add_argument("--version", action="version", version=version())
    commands = parser.add_subparsers(dest="command", required=True)
    for name, run, helptext, with_out in (
        ("generate", _generate, "write the generated package (all files or none)", True),
        ("check", _check, "exit 1 when the generated package is stale", True),
        ("ddl", _ddl, "print the DDL (schema.sql)", False),
        ("ir", _ir, "print the intermediate model as JSON", True),
    ):
        sub = commands.add_parser(name, help=helptext, description=helptext)
        sub.add_argument(
            "--schema",
            default=DEFAULT_SCHEMA,
            help="schema file, or module:attribute of a schema written in Python (%(default)s)",
        )
        if with_out:
            sub.add_argument("--out", default=DEFAULT_OUT, help="output directory (%(default)s)")
        sub.set_defaults(run=run)
        if name in ("generate", "check"):
            sub.add_argument(
                "--package-metadata",
                action="store_true",
                help="also write pyproject.toml beside the package, so apps install it by path "
                "or wheel (pip install OUT); check expects it",
            )
        if name == "check":
            sub.add_argument(
                "--migrations",
                default=None,
                help="migrations folder (default: migrations beside the schema); checked "
                "only when it exists",
            )
    _add_migrate(commands)
    register_diff(commands)
    register_pull(commands)
    return parser


def _add_migrate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    helptext = "write the next migration from a base schema to the current one"
    sub = commands.add_parser("migrate", help=helptext, description=helptext)
    sub.add_argument("--schema", default=DEFAULT_SCHEMA, help="schema file (%(default)s)")
    base = sub.add_mutually_exclusive_group()
    base.add_argument(
        "--base", metavar="REF", help="git revision (default: merge base with main, else HEAD)"
    )
    base.add_argument("--base-file", metavar="PATH", help="a schema file to start from")
    base.add_argument(
        "--initial", action="store_true", help="start from an empty database (a baseline)"
    )
    sub.add_argument(
        "--dir", default=None, help="migrations folder (default: migrations beside the schema)"
    )
    sub.add_argument("--name", help="slug of the file name (default: initial or schema_change)")
    sub.add_argument(
        "--allow-destructive",
        action="store_true",
        help="write steps that may lose data (dropping, narrowing), marked in the file",
    )
    sub.set_defaults(run=_migrate)


def fix_command(schema: str, out: str, package_metadata: bool = False) -> str:
    command = f"batchrepo generate --schema {shown_path(schema)} --out {shown_path(out)}"
    if package_metadata:
        return command + " --package-metadata"
    if shown_path(schema) == DEFAULT_SCHEMA and shown_path(out) == DEFAULT_OUT:
        return f"make generate (or: {command})"
    return command


def _generate(args: argparse.Namespace) -> int:
    files = generate(args.schema, args.out, package_metadata=args.package_metadata)
    write_tree(Path(args.out), files)
    print(f"batchrepo: wrote {len(files)} files to {args.out}", file=sys.stderr)
    return 0


def _check(args: argparse.Namespace) -> int:
    files = generate(args.schema, args.out, package_metadata=args.package_metadata)
    diff = compare_tree(Path(args.out), files)
    missing = missing_migration(args.schema, args.migrations)
    if missing is not None:
        print(f"batchrepo: {missing}", file=sys.stderr)
    if diff.clean:
        print(f"batchrepo: {args.out} is up to date with {args.schema}", file=sys.stderr)
        return 0 if missing is None else EXIT_STALE
    print(f"batchrepo: {args.out} is stale against {args.schema}:", file=sys.stderr)
    for line in diff.lines():
        print(f"  {line}", file=sys.stderr)
    print(f"Fix: {fix_command(args.schema, args.out, args.package_metadata)}", file=sys.stderr)
    return EXIT_STALE


def _migrate(args: argparse.Namespace) -> int:
    return run_migrate(
        MigrateRequest(
            schema=args.schema,
            base=args.base,
            base_file=args.base_file,
            initial=args.initial,
            folder=args.dir,
            name=args.name,
            allow_destructive=args.allow_destructive,
        )
    )


def _ddl(args: argparse.Namespace) -> int:
    sys.stdout.write(render_ddl(package_ir(args.schema)))
    return 0


def _ir(args: argparse.Namespace) -> int:
    ir = package_ir(args.schema, args.out)
    print(json.dumps(dataclasses.asdict(ir), indent=2, sort_keys=True, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
