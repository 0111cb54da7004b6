"""``citus.sql``: the Citus placement of a schema's tables, run after ``schema.sql`` on the
coordinator of a Citus cluster (a plain PostgreSQL never runs it; docs/citus.md).

Only packages whose schema places a table (``distribution`` or ``reference: true``) get the file.
Citus refuses to distribute a table that a table not yet placed refers to, and a table whose
parent is not placed yet, so the foreign keys between the tables are dropped first and added
again once every table is placed (the tables are empty then: that costs nothing). A
``colocate_with`` target must be placed before the tables that name it, so the calls come in
that order: reference tables first (``audit_log``
among them: the history tables refer to it), then distributed tables, the history tables after
the schema's, each co-located with its table. A distributed table that names no ``colocate_with``
starts a co-location group of its own (``colocate_with => 'none'``), so two tables share shards
only where the schema says so, as the front end's foreign key checks assume
(:mod:`batchrepo_codegen.schema.checks.distribution`).
"""

from __future__ import annotations

from ..model import GenerationError, Schema, Table
from ..schema.names import quote_ident, sql_literal
from .ddl import foreign_key_constraint

#: The file, beside ``schema.sql`` in the package.
CITUS_PATH = "citus.sql"

_SEQUENTIAL = "SET citus.multi_shard_modify_mode TO 'sequential';"
_RESET = "RESET citus.multi_shard_modify_mode;"


def citus_ddl(schema: Schema) -> tuple[str, ...]:
    """The ``create_reference_table`` / ``create_distributed_table`` calls, in an order Citus
    accepts; empty when the schema places no table."""
    if not schema.placed:
        return ()
    tables = _placement_order((*schema.tables, *schema.audit_tables))
    keys = [(t, fk) for t in tables for fk in t.foreign_keys]
    drops = [
        f"ALTER TABLE {quote_ident(t.name)} DROP CONSTRAINT {quote_ident(fk.constraint)};"
        for t, fk in keys
    ]
    references = [_call(t) for t in tables if t.reference]
    distributed = [_call(t) for t in tables if t.distribution is not None]
    adds = [
        f"ALTER TABLE {quote_ident(t.name)} ADD {foreign_key_constraint(t, fk)};" for t, fk in keys
    ]
    # Run as one transaction (as asyncpg sends a script), the foreign keys to reference tables
    # need every statement on one connection per node.
    return (_SEQUENTIAL, *drops, *references, *distributed, *adds, _RESET)


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
