"""The self-proof of ``batchrepo pull``: the DDL batchrepo generates from the pulled schema,
applied to a scratch database, must yield the catalog of the live schema.

Both catalogs are read by :func:`batchrepo_codegen.migrate.verify.read_catalog`, the reader
that proves migrations: enums, tables, columns (``format_type``, NOT NULL, ``pg_get_expr`` of
the default, identity), constraints (``pg_get_constraintdef``), indexes (``pg_get_indexdef``)
and comments, each printed by PostgreSQL, so a difference is a difference in the database and
never one of spelling. Every difference is a line naming the object and both sides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import asyncpg

from .. import devdb
from ..migrate.verify import Catalog, catalog_differences, read_catalog
from ..output.render import render_ddl
from ..pipeline import package_ir

LIVE = "live"
GENERATED = "generated"

_TABLE_OF = re.compile(r"table (?P<name>\S+?)(?::|$)")


class ProofError(Exception):
    """The generated DDL does not apply to the scratch database (a generator bug, or an
    extension the scratch server lacks)."""


@dataclass(frozen=True, slots=True)
class Proof:
    tables: tuple[str, ...]
    """Every table of the live schema."""
    differences: tuple[str, ...]
    """One line per difference, ``live`` against ``generated``."""

    def table_differences(self, table: str) -> list[str]:
        return [line for line in self.differences if _table_of(line) == table]

    @property
    def exact_tables(self) -> tuple[str, ...]:
        """Tables whose catalog (columns, constraints, indexes, comments) round-trips."""
        differing = {_table_of(line) for line in self.differences}
        return tuple(t for t in self.tables if t not in differing)


def _table_of(line: str) -> str | None:
    found = _TABLE_OF.match(line)
    return found["name"] if found else None


def generated_ddl(document: dict[str, Any]) -> str:
    """``schema.sql`` of the pulled document, as ``batchrepo ddl`` prints it."""
    return render_ddl(package_ir(document))


async def prove(
    live: asyncpg.Connection[Any], schema_name: str, ddl: str, scratch_admin_url: str
) -> Proof:
    """Apply ``ddl`` to a new database on the server of ``scratch_admin_url`` (dropped after)
    and compare its catalog with the live schema's."""
    live_catalog = await read_catalog(live, schema_name)
    name = devdb.unique_database_name("pull_proof")
    url = await devdb.create_database(scratch_admin_url, name)
    try:
        conn = await asyncpg.connect(url)
        try:
            try:
                await conn.execute(ddl)
            except asyncpg.PostgresError as error:
                raise ProofError(
                    f"the DDL generated from the pulled schema does not apply to the scratch "
                    f"database: {type(error).__name__}: {error}"
                ) from error
            generated = await read_catalog(conn, "public")
        finally:
            await conn.close()
    finally:
        await devdb.drop_database(scratch_admin_url, name)
    return compare(live_catalog, generated)


def compare(live: Catalog, generated: Catalog) -> Proof:
    differences = catalog_differences(live, generated, LIVE, GENERATED)
    return Proof(tuple(t.name for t in live.tables), tuple(differences))
