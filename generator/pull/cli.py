"""The ``pull`` command of ``batchrepo``: options, the run, the report and the exit status."""

from __future__ import annotations

import argparse
import asyncio
import sys

import asyncpg

from ..migrate.files import MigrationFileError
from ..schema.issues import SchemaError
from .baseline import BaselineError
from .command import PullError, PullRequest, pull, report, write_outputs
from .proof import ProofError

EXIT_EXACT = 0
EXIT_NOT_EXACT = 1
EXIT_INPUT = 2


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    helptext = "write schema.yaml from a live database, and prove the round trip"
    sub = commands.add_parser("pull", help=helptext, description=helptext)
    sub.add_argument("--dsn", required=True, help="the database to read (a postgresql:// URL)")
    sub.add_argument("--schema-name", default="public", help="PostgreSQL schema (%(default)s)")
    sub.add_argument("--out", default="schema.yaml", help="schema file to write (%(default)s)")
    sub.add_argument("--package", help="Python package name (default: the database's name)")
    sub.add_argument(
        "--migrations", help="write the baseline migration (already applied) into this folder"
    )
    sub.add_argument(
        "--scratch",
        help="admin URL of a server for the proof's scratch database (default: --dsn's server)",
    )
    sub.add_argument("--no-proof", action="store_true", help="skip the self-proof")
    sub.add_argument("--force", action="store_true", help="replace an existing --out file")
    sub.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    request = PullRequest(
        dsn=args.dsn,
        schema_name=args.schema_name,
        out=args.out,
        package=args.package,
        migrations=args.migrations,
        scratch=args.scratch,
        prove=not args.no_proof,
        force=args.force,
    )
    try:
        result = asyncio.run(pull(request))
        write_outputs(request, result)
    except (PullError, BaselineError, MigrationFileError, ProofError) as error:
        print(f"batchrepo pull: {error}", file=sys.stderr)
        return EXIT_INPUT
    except (OSError, asyncpg.PostgresError) as error:
        print(f"batchrepo pull: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_INPUT
    except SchemaError as error:
        print("batchrepo pull: the pulled schema fails batchrepo's checks:", file=sys.stderr)
        for issue in error.issues:
            print(f"  {issue}", file=sys.stderr)
        return EXIT_INPUT
    for line in report(result):
        print(line)
    print("wrote " + ", ".join(result.written))
    return EXIT_EXACT if result.exact else EXIT_NOT_EXACT
