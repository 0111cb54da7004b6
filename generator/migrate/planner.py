"""Migrations: the SQL that carries a database from the schema at a base to the current one.

API::

    plan_migration(old, new, allow_destructive=False) -> Migration   # old None: the whole DDL
    Migration.steps -> (Step(sql, kind, destructive, description), ...)
    Migration.render(header) -> the file's text
    canonical_ddl(schema) -> str; schema_fingerprint(schema) -> hex

A migration file records the fingerprint of the schema it leads to (a SHA-256 of its canonical
DDL) in a header line, so ``batchrepo check`` can tell whether the newest migration still leads
to the current schema. See :mod:`migration_diff` for the order of the steps.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..emit.package import build_ir
from ..output.render import render_ddl
from ..schema.document import SchemaDef
from .diff import diff_schemas
from .phases import Step

__all__ = [
    "FINGERPRINT_PREFIX",
    "Migration",
    "MigrationRefused",
    "Step",
    "canonical_ddl",
    "plan_migration",
    "recorded_fingerprint",
    "schema_fingerprint",
]

#: How a migration file records the schema it leads to.
FINGERPRINT_PREFIX = "-- batchrepo-schema: sha256="
_FINGERPRINT_LINE = re.compile(r"^-- batchrepo-schema: sha256=([0-9a-f]{64})$", re.MULTILINE)

_SECTIONS = {
    "initial": "The whole schema",
    "enum": "New enums and enum values",
    "drop foreign key": "Foreign keys that change, go, or span a type change (added again below)",
    "drop constraint": "Constraints and indexes that change (added again below)",
    "rename": "Renames",
    "create table": "New tables",
    "column": "Columns added and altered",
    "constraint": "Keys and checks",
    "foreign key": "Foreign keys",
    "index": "Indexes",
    "comment": "Comments",
    "drop": "Drops",
}


class MigrationRefused(Exception):
    """The migration needs steps that were not allowed (destructive ones) or that PostgreSQL
    cannot take (removing an enum value). ``problems`` lists each, naming table and column."""

    def __init__(self, impossible: Sequence[str], destructive: Sequence[str]) -> None:
        self.impossible = tuple(impossible)
        self.destructive = tuple(destructive)
        self.problems = self.impossible + tuple(f"destructive: {d}" for d in self.destructive)
        lines = ["migration refused, nothing written:", *(f"  {p}" for p in self.problems)]
        if self.destructive:
            lines.append(
                "Destructive steps are written (marked in the file) only when allowed: "
                "batchrepo migrate --allow-destructive"
            )
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Migration:
    steps: tuple[Step, ...]

    @property
    def empty(self) -> bool:
        return not self.steps

    @property
    def destructive_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.destructive)

    def render(self, header: Sequence[str] = ()) -> str:
        """The file: ``header`` lines (comments, given with their ``--``), then the statements
        in sections, each destructive one after a ``-- DESTRUCTIVE: ...`` line."""
        lines = list(header)
        kind = None
        for step in self.steps:
            if step.kind != kind:
                kind = step.kind
                lines += ["", f"-- {_SECTIONS.get(kind, kind)}"]
            if step.destructive:
                lines.append(f"-- DESTRUCTIVE: {step.description}")
            lines.append(step.sql.rstrip("\n"))
        return "\n".join(lines).lstrip("\n") + "\n"


def plan_migration(
    old: SchemaDef | None, new: SchemaDef, *, allow_destructive: bool = False
) -> Migration:
    """The steps from ``old`` to ``new`` (both checked schemas); ``old`` None: the whole DDL.

    Raises :class:`MigrationRefused` listing every change that cannot be made and, unless
    ``allow_destructive``, every destructive step."""
    if old is None:
        return Migration((Step(canonical_ddl(new).strip("\n"), "initial", False, "the schema"),))
    steps, impossible = diff_schemas(old, new)
    refused = [] if allow_destructive else [s.description for s in steps if s.destructive]
    if impossible or refused:
        raise MigrationRefused(impossible, refused)
    return Migration(steps)


def canonical_ddl(schema: SchemaDef) -> str:
    """``schema.sql`` of ``schema`` without its header (which names paths, not the schema)."""
    ir = build_ir(schema, "schema.yaml")
    lines = render_ddl(ir).splitlines(keepends=True)
    return "".join(lines[len(ir.sql_header) :]).lstrip("\n")


def schema_fingerprint(schema: SchemaDef) -> str:
    return hashlib.sha256(canonical_ddl(schema).encode("utf-8")).hexdigest()


def recorded_fingerprint(text: str) -> str | None:
    """The fingerprint a migration file records, None when it has none."""
    found = _FINGERPRINT_LINE.search(text)
    return found.group(1) if found else None
