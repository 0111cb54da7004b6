"""The three kinds of golden case, each produced as if by the command line run from the
repository root on the case's own files, so what they name is the same on every machine:

* ``codegen/<case>/``: ``schema.yaml`` and ``expected/<package>/``, the package
  ``batchrepo generate --schema tests/golden/codegen/<case>/schema.yaml
  --out tests/golden/codegen/<case>/expected`` writes (its headers name that command); with a
  ``PACKAGE_METADATA`` file beside the schema, generated ``--package-metadata`` (then
  ``expected/pyproject.toml`` too);
* ``bad_schemas/<case>/``: ``schema.yaml`` and ``expected_error.txt``, what the front end says
  about it (``str(SchemaError)``, every message naming ``tests/golden/bad_schemas/<case>/
  schema.yaml`` and a line);
* ``migrations/<case>/``: ``old.yaml``, ``new.yaml`` and the migration between them,
  ``expected.sql``, or, when it is refused, ``expected_error.txt``. Optional inputs:
  ``ALLOW_DESTRUCTIVE`` (plan with ``allow_destructive=True``), ``seed.sql`` (rows written after
  the old DDL, before the migration, so it runs on a table with data) and ``verify.sql`` (one
  SELECT returning true when the data survived the migration).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from batchrepo_codegen import generate
from batchrepo_codegen.migrate.files import file_header
from batchrepo_codegen.migrate.planner import MigrationRefused, plan_migration, schema_fingerprint
from batchrepo_codegen.pipeline import read_schema_text
from batchrepo_codegen.schema.document import SchemaDef
from batchrepo_codegen.schema.issues import SchemaError
from batchrepo_codegen.schema.parse import parse_schema

from tests.golden.harness import GoldenError, Kind


class Codegen(Kind):
    name = "codegen"
    marker = "schema.yaml"
    outputs = ("expected",)

    def schema_path(self, case: str) -> Path:
        return self.folder(case) / self.marker

    def expected_dir(self, case: str) -> Path:
        """The folder a case's package is imported from (put it on ``sys.path``)."""
        return self.folder(case) / "expected"

    def package(self, case: str) -> str:
        """The name of the one package a case generates."""
        (package,) = (p.name for p in self.expected_dir(case).iterdir() if p.is_dir())
        return package

    def produce(self, case: str) -> dict[str, str]:
        relative = self.relative(case)
        files = generate(
            self.schema_path(case),
            f"{relative}/expected",
            source=f"{relative}/schema.yaml",
            package_metadata=(self.folder(case) / "PACKAGE_METADATA").exists(),
        )
        return {f"expected/{path}": text for path, text in files.items()}


class BadSchemas(Kind):
    name = "bad_schemas"
    marker = "schema.yaml"
    outputs = ("expected_error.txt",)

    def shown_name(self, case: str) -> str:
        """What the messages call the schema file."""
        return f"{self.relative(case)}/{self.marker}"

    def rejection(self, case: str) -> str:
        """What the front end says about the case's schema."""
        text = (self.folder(case) / self.marker).read_text(encoding="utf-8")
        try:
            read_schema_text(text, self.shown_name(case))
        except SchemaError as error:
            return str(error) + "\n"
        raise GoldenError(f"{self.shown_name(case)} was accepted")

    def produce(self, case: str) -> dict[str, str]:
        return {"expected_error.txt": self.rejection(case)}


EXPECTED_SQL = "expected.sql"
EXPECTED_ERROR = "expected_error.txt"


@dataclass(frozen=True)
class MigrationCase:
    name: str
    folder: Path
    old: SchemaDef
    new: SchemaDef
    allow_destructive: bool

    def optional(self, file: str) -> str | None:
        path = self.folder / file
        return path.read_text(encoding="utf-8") if path.exists() else None


class Migrations(Kind):
    name = "migrations"
    marker = "new.yaml"
    outputs = (EXPECTED_SQL, EXPECTED_ERROR)

    def load(self, case: str) -> MigrationCase:
        folder, relative = self.folder(case), self.relative(case)

        def schema(file: str) -> SchemaDef:
            text = (folder / file).read_text(encoding="utf-8")
            return parse_schema(text, f"{relative}/{file}")

        allow = (folder / "ALLOW_DESTRUCTIVE").exists()
        return MigrationCase(case, folder, schema("old.yaml"), schema("new.yaml"), allow)

    def applied(self) -> list[str]:
        """The cases whose migration is planned (not refused), as committed."""
        return [case for case in self.cases() if (self.folder(case) / EXPECTED_SQL).exists()]

    def produce(self, case: str) -> dict[str, str]:
        """The migration the planner writes, or its refusal."""
        loaded, relative = self.load(case), self.relative(case)
        try:
            migration = plan_migration(
                loaded.old, loaded.new, allow_destructive=loaded.allow_destructive
            )
        except MigrationRefused as refused:
            return {EXPECTED_ERROR: f"{refused}\n"}
        header = file_header(
            schema_fingerprint(loaded.new),
            schema=f"{relative}/new.yaml",
            base=f"{relative}/old.yaml",
        )
        return {EXPECTED_SQL: migration.render(header)}


CODEGEN = Codegen()
BAD_SCHEMAS = BadSchemas()
MIGRATIONS = Migrations()

#: Every kind by name, in the order the runner goes through them.
KINDS: dict[str, Kind] = {kind.name: kind for kind in (CODEGEN, BAD_SCHEMAS, MIGRATIONS)}
