"""The objects an audited table (``audit: true``) adds to the schema (``docs/units-of-work.md``).

* its ``version`` column, ``bigint NOT NULL DEFAULT 1``, after the schema's columns;
* its history table ``<table>_history``: ``history_id`` (identity primary key), a snapshot of
  every column with the same type and nullability (no defaults, checks or keys), ``version``,
  ``operation`` and ``audit_log_id``, indexed on (key columns, version);
* once per schema: the enum ``audit_operation`` and the table ``audit_log`` (who, when).

On Citus (a schema that places tables, docs/citus.md) ``audit_log`` is a reference table, and
the history table follows its table's placement: distributed by the same column and co-located
with it (its primary key ``(history_id, <distribution column>)``, ``history_id`` a ``bigserial``:
Citus refuses an identity column in a distributed table that refers to a reference table), or a
reference table with it.

They are built as ordinary resolved :class:`Table` and :class:`Enum` objects, so the DDL, the
SQL name checks and the migration differ treat them like any other table. Their names are fixed
here; the checks reject schema names that would meet them (:func:`reserved_sql_names`).
"""

from __future__ import annotations

import dataclasses

from ..schema.names import (
    AUDIT_LOG,
    AUDIT_LOG_ID,
    AUDIT_OPERATION,
    HISTORY_ID,
    OPERATION,
    OPERATIONS,
    VERSION,
    derived_identifier,
    history_table_name,
)
from ..schema.types import ParsedType, parse_type
from .elements import Column, Enum, ForeignKey, Index, Key, Table

#: The statement that opens one audit log row (``AuditSpec.insert_log_sql``), one clause a line.
INSERT_LOG_SQL = (f'INSERT INTO "{AUDIT_LOG}" ("actor")', "VALUES ($1::text)", 'RETURNING "id"')

_BIGINT = parse_type("bigint", ())


def version_column(position: int) -> Column:
    """The version column of an audited table, at ``position`` (after the schema's columns)."""
    return _plain(VERSION, position, nullable=False, version=True)


def audit_enums() -> tuple[Enum, ...]:
    return (Enum(AUDIT_OPERATION, OPERATIONS, "What a history row records."),)


def audit_tables(audited: tuple[Table, ...], *, placed: bool = False) -> tuple[Table, ...]:
    """``audit_log`` and the history table of each audited table, in that order (empty when
    nothing is audited); ``placed``: the schema places tables on Citus."""
    if not audited:
        return ()
    return (_audit_log(reference=placed), *(_history(table) for table in audited))


def _plain(
    name: str, position: int, *, nullable: bool, version: bool = False, identity: bool = False
) -> Column:
    # the identity columns here are primary keys
    return _ruleless(name, position, _BIGINT, nullable, identity=identity, version=version)


def _ruleless(
    name: str,
    position: int,
    type: ParsedType,
    nullable: bool,
    *,
    nullable_elements: bool = False,
    identity: bool = False,
    version: bool = False,
) -> Column:
    """A column the audit trail adds or copies: no default, check or description of its own;
    only an identity column is (the whole) primary key."""
    return Column(
        name=name,
        position=position,
        type=type,
        nullable=nullable,
        nullable_elements=nullable_elements,
        identity=identity,
        server_default=None,
        default=None,
        checks=(),
        description=None,
        in_primary_key=identity,
        version=version,
    )


def _audit_log(*, reference: bool) -> Table:
    columns = (
        _plain("id", 0, nullable=False, identity=True),
        Column(
            name="actor",
            position=1,
            type=parse_type("text", ()),
            nullable=False,
            nullable_elements=False,
            identity=False,
            server_default=None,
            default=None,
            checks=(),
            description="Who wrote: the actor of the unit of work.",
            in_primary_key=False,
        ),
        Column(
            name="created_at",
            position=2,
            type=parse_type("timestamptz", ()),
            nullable=False,
            nullable_elements=False,
            identity=False,
            server_default="now()",
            default=None,
            checks=(),
            description=None,
            in_primary_key=False,
        ),
    )
    return Table(
        name=AUDIT_LOG,
        description="One row per unit of work that wrote audited tables (who, when).",
        columns=columns,
        primary_key=Key("primary_key", derived_identifier(AUDIT_LOG, "pkey"), (0,)),
        uniques=(),
        foreign_keys=(),
        indexes=(),
        covered_foreign_keys=(),
        reference=reference,
    )


def _history(table: Table) -> Table:
    name = history_table_name(table.name)
    snapshot = tuple(
        # History outlives the table's rules: a column added or made NOT NULL later has no
        # value in older snapshots, so only the key stays NOT NULL. The snapshot copies values
        # the table accepted: no check of its own.
        _ruleless(c.name, i, c.type, not c.in_primary_key, nullable_elements=c.type.is_array)
        for i, c in enumerate(table.snapshot_columns, 1)
    )
    after = len(snapshot) + 1
    operation = parse_type(AUDIT_OPERATION, (AUDIT_OPERATION,))
    distributed = table.distribution is not None
    history_id = _plain(HISTORY_ID, 0, nullable=False, identity=not distributed)
    if distributed:
        history_id = dataclasses.replace(history_id, serial=True, in_primary_key=True)
    columns = (
        history_id,
        *snapshot,
        _plain(VERSION, after, nullable=False),
        _ruleless(OPERATION, after + 1, operation, nullable=False),
        _plain(AUDIT_LOG_ID, after + 2, nullable=False),
    )
    log_id = after + 2
    log_fk = ForeignKey(
        name=AUDIT_LOG_ID,
        constraint=derived_identifier(name, AUDIT_LOG_ID, "fkey"),
        columns=(log_id,),
        parent=AUDIT_LOG,
        parent_columns=("id",),
        on_delete="restrict",
    )
    snapshot_positions = {c.position: i for i, c in enumerate(table.snapshot_columns, 1)}
    keyed = tuple(snapshot_positions[i] for i in table.primary_key.columns)
    primary: tuple[int, ...] = (0,)
    if table.distribution is not None:
        # Citus enforces a key per shard, so it must hold the distribution column
        primary = (0, snapshot_positions[table.column(table.distribution).position])
    return Table(
        name=name,
        description=f"History of table {table.name}: the row as of each version.",
        columns=columns,
        primary_key=Key("primary_key", derived_identifier(name, "pkey"), primary),
        uniques=(),
        foreign_keys=(log_fk,),
        indexes=(
            Index(history_key_index(table.name), (*keyed, after), None),
            # deleting (archiving) audit_log rows looks their history rows up by this column
            Index(derived_identifier(name, AUDIT_LOG_ID, "idx"), (log_id,), log_fk.constraint),
        ),
        covered_foreign_keys=(),
        distribution=table.distribution,
        colocate_with=table.name if table.distribution is not None else None,
        reference=table.reference,
    )


def history_key_index(table: str) -> str:
    """The index of a history table on (key columns, version)."""
    return derived_identifier(history_table_name(table), "key_version", "idx")
