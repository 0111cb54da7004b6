"""``citus.sql``: the Citus placement of a schema's tables, run after ``schema.sql`` on the
coordinator of a Citus cluster (a plain PostgreSQL never runs it; docs/citus.md).

Only packages whose schema places a table (``distribution`` or ``reference: true``) get the file.
Citus needs a foreign key's parent placed before its child and a ``colocate_with`` target before
the tables that name it, so the calls come in that order: reference tables first (``audit_log``
among them: the history tables refer to it), then distributed tables, the history tables after
the schema's, each co-located with its table. A distributed table that names no ``colocate_with``
starts a co-location group of its own (``colocate_with => 'none'``), so two tables share shards
only where the schema says so, as the front end's foreign key checks assume
(:mod:`batchrepo_codegen.schema.checks.distribution`).
"""

from __future__ import annotations

from ..model import GenerationError, Schema, Table
from ..schema.names import quote_ident, sql_literal

#: The file, beside ``schema.sql`` in the package.
CITUS_PATH = "citus.sql"


def citus_ddl(schema: Schema) -> tuple[str, ...]:
    """The ``create_reference_table`` / ``create_distributed_table`` calls, in an order Citus
    accepts; empty when the schema places no table."""
    if not schema.placed:
        return ()
    tables = _placement_order((*schema.tables, *schema.audit_tables))
    references = [_call(t) for t in tables if t.reference]
    distributed = [_call(t) for t in tables if t.distribution is not None]
    return (*references, *distributed)


def _placement_order(tables: tuple[Table, ...]) -> list[Table]:
    """Parents (foreign keys, ``colocate_with``) before the tables that need them; ties in
    schema order. The front end refuses what cannot be ordered (co-location circles); a foreign
    key cycle falls back to schema order."""
    by_name = {t.name: t for t in tables}
    remaining = list(tables)
    placed: set[str] = set()
    order: list[Table] = []
    while remaining:

        def ready(table: Table) -> bool:
            needs = {fk.parent for fk in table.foreign_keys} - {table.name}
            if table.colocate_with is not None:
                needs.add(table.colocate_with)
            return all(n in placed or n not in by_name for n in needs)

        table = next((t for t in remaining if ready(t)), remaining[0])
        remaining.remove(table)
        placed.add(table.name)
        order.append(table)
    return order


def _call(table: Table) -> str:
    name = sql_literal(quote_ident(table.name))
    if table.reference:
        return f"SELECT create_reference_table({name});"
    if table.distribution is None:
        raise GenerationError(f"table {table.name!r} is not placed")
    colocate = quote_ident(table.colocate_with) if table.colocate_with is not None else "none"
    return (
        f"SELECT create_distributed_table({name}, {sql_literal(table.distribution)}, "
        f"colocate_with => {sql_literal(colocate)});"
    )
