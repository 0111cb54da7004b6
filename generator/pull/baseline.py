"""The baseline migration ``batchrepo pull`` writes: the whole DDL of the pulled schema as the
first numbered migration, recorded as already applied to the database it was read from.

batchrepo keeps no table of applied migrations in the database: a migrations folder is the
history of the schema file, each file recording the fingerprint of the schema it leads to
(:mod:`batchrepo_codegen.migrate.files`). So "already applied" is said in the file, in a
``-- batchrepo-baseline:`` line naming the database: run the file on a new, empty database
(a test or a fresh environment), never on that one. ``batchrepo check`` sees the fingerprint
match the pulled schema, and ``batchrepo migrate`` continues from it: the next migration
starts where the baseline ends (the schema file at the merge base, or ``--base-file``).
"""

from __future__ import annotations

from pathlib import Path

from ..migrate.files import file_header, migration_files, next_path, write_new
from ..migrate.planner import plan_migration, schema_fingerprint
from ..pipeline import read_schema_text, shown_path

BASELINE_PREFIX = "-- batchrepo-baseline: "
SLUG = "baseline"


class BaselineError(Exception):
    """The migrations folder already holds migrations: a baseline can only be the first."""


def baseline_text(schema_text: str, schema_path: str, database: str) -> str:
    """The baseline file for the pulled ``schema_text`` (saved as ``schema_path``)."""
    schema = read_schema_text(schema_text, schema_path)
    header = file_header(
        schema_fingerprint(schema), schema=shown_path(schema_path), base="an empty database"
    )
    header += (
        f"{BASELINE_PREFIX}already applied to {database}: batchrepo pull read this schema from it.",
        "-- Run this file only on a new, empty database; the next migration starts from here.",
    )
    return plan_migration(None, schema).render(header)


def refuse_existing(folder: Path) -> None:
    """Raise :class:`BaselineError` when ``folder`` already holds a migration."""
    if existing := migration_files(folder):
        raise BaselineError(
            f"{shown_path(folder)} already holds {existing[-1].name}: the baseline of a pulled "
            "database must be the first migration; pass another --migrations folder"
        )


def write_baseline(folder: Path, schema_text: str, schema_path: str, database: str) -> Path:
    """Write ``NNNN_baseline.sql`` into an empty (or new) migrations folder."""
    refuse_existing(folder)
    path = next_path(folder, SLUG)
    write_new(path, baseline_text(schema_text, schema_path, database))
    return path
