"""``batchrepo migrate`` and the migration part of ``batchrepo check``.

``migrate`` writes the next numbered migration from the base schema to the current one, or
nothing when the newest migration already leads to the current schema or nothing changed.
``check`` reports a missing migration: the newest file records another schema than the current
one (only when the migrations folder exists, so projects without migrations are not bothered).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from ..pipeline import read_schema, shown_path
from .base_schema import (
    Base,
    BaseError,
    read_base_file,
    read_base_revision,
)
from .files import file_header, newest_fingerprint, next_path, write_new
from .planner import plan_migration, schema_fingerprint

DEFAULT_FOLDER = "migrations"
MAKE_MIGRATION = "make migration"


@dataclass(frozen=True, slots=True)
class MigrateRequest:
    schema: str
    base: str | None
    base_file: str | None
    initial: bool
    """Start from an empty database, whatever git holds (the baseline of a project)."""
    folder: str | None
    """None: ``migrations`` beside the schema file."""
    name: str | None
    allow_destructive: bool


def migrations_folder(schema: str, folder: str | None) -> Path:
    if folder is not None:
        return Path(folder)
    return Path(schema).parent / DEFAULT_FOLDER


def migrate_command(schema: str, folder: str | None) -> str:
    command = f"batchrepo migrate --schema {shown_path(schema)}"
    if folder is not None:
        command += f" --dir {shown_path(folder)}"
    if shown_path(schema) == "schema.yaml" and folder is None:
        return f"{MAKE_MIGRATION} (or: {command})"
    return command


def run_migrate(request: MigrateRequest) -> int:
    new = read_schema(request.schema)
    folder = migrations_folder(request.schema, request.folder)
    fingerprint = schema_fingerprint(new)
    newest = newest_fingerprint(folder)
    if newest is not None and newest[1] == fingerprint:
        print(f"batchrepo: no changes: {shown_path(newest[0])} already leads to this schema")
        return 0
    base = _base(request, folder, newest)
    migration = plan_migration(base.schema, new, allow_destructive=request.allow_destructive)
    header = file_header(fingerprint, schema=shown_path(request.schema), base=base.label)
    if migration.empty:
        if base.schema is None or schema_fingerprint(base.schema) == fingerprint:
            print(f"batchrepo: no changes between {base.label} and {shown_path(request.schema)}")
            return 0
        # The DDL reads differently but the database stays the same (a column moved in the
        # schema, say): a file without statements records the new schema for `check`.
        header += ("", "-- No statements: the DDL changed, the database does not.")
    slug = request.name or ("initial" if base.schema is None else "schema_change")
    path = next_path(folder, slug)
    write_new(path, migration.render(header))
    if destructive := migration.destructive_steps:
        print(
            f"batchrepo: {len(destructive)} destructive step(s), marked -- DESTRUCTIVE in the file",
            file=sys.stderr,
        )
    print(shown_path(path))
    return 0


def _base(request: MigrateRequest, folder: Path, newest: tuple[Path, str | None] | None) -> Base:
    """The schema the migration starts from. Migrations replay from an empty database, so the
    first one builds the whole schema; by default each next one starts where the newest ends."""
    if request.initial and newest is not None:
        raise BaseError(
            f"--initial: {shown_path(folder)} already holds migrations; the initial one builds "
            "the whole schema, so it can only be the first"
        )
    if request.initial or (newest is None and request.base is None and not request.base_file):
        return Base(None, "an empty database")
    if request.base_file is not None:
        return read_base_file(request.base_file)
    base = read_base_revision(request.schema, request.base)
    if base.schema is None and newest is not None:
        raise BaseError(
            f"the base {base.label} has no {shown_path(request.schema)}, but {shown_path(folder)} "
            "already holds migrations; pass --base REF or --base-file PATH"
        )
    if request.base is None and newest is not None and base.schema is not None:
        path, recorded = newest
        if recorded != schema_fingerprint(base.schema):
            # Starting from the merge base would repeat what that migration already does (a
            # branch that migrated once and changed the schema again), or miss what it lacks.
            raise BaseError(
                f"the newest migration {shown_path(path)} does not lead to the schema at the "
                f"base {base.label}; delete it if this branch wrote it and run again for one "
                "migration, or pass --base with the commit whose schema it leads to"
            )
    return base


def missing_migration(schema: str, folder: str | None) -> str | None:
    """Why the migrations folder does not lead to ``schema``; None when it does or is absent."""
    where = migrations_folder(schema, folder)
    if not where.is_dir():
        return None
    fix = f"Fix: {migrate_command(schema, folder)}"
    newest = newest_fingerprint(where)
    if newest is None:
        return f"{shown_path(where)} holds no migration for {shown_path(schema)}\n{fix}"
    path, recorded = newest
    if recorded is None:
        return (
            f"{shown_path(path)} records no schema fingerprint (a '-- batchrepo-schema: "
            f"sha256=...' line); it was not written by batchrepo migrate\n{fix}"
        )
    if recorded != schema_fingerprint(read_schema(schema)):
        return (
            f"migration missing: the newest migration {shown_path(path)} leads to another "
            f"schema than {shown_path(schema)}\n{fix}"
        )
    return None
