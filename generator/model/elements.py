"""The resolved schema: frozen dataclasses with every shorthand expanded and every reference
turned into positions (:mod:`batchrepo_codegen.model.resolve` builds them, the later stages read
them).

An audited table (``audit: true``) carries its ``version`` column like any other column (flagged
``Column.version``) and names its history table; the history tables, ``audit_log`` and the
``audit_operation`` enum are ordinary :class:`Table` and :class:`Enum` objects in
``Schema.audit_tables`` / ``Schema.audit_enums`` (see :mod:`batchrepo_codegen.model.audit_tables`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from batchrepo.validate.expression_tree import Node

from ..schema.document import LiteralDefault, OnDelete
from ..schema.types import ParsedType


class GenerationError(Exception):
    """The schema passed the checks but cannot be generated (a missing check or a bug)."""


@dataclass(frozen=True, slots=True)
class Check:
    """One CHECK constraint on a column (per element for arrays)."""

    constraint: str
    rule: str
    """``min``, ``max``, ``min_exclusive``, ``max_exclusive``, ``min_length``,
    ``min_trimmed_length``, ``in``, or ``elements`` (an array without NULL elements)."""
    value: int | Decimal
    """The bound (0 for ``elements`` and ``in``, which have none)."""
    allowed: tuple[int | str, ...] = ()
    """``in``: the values allowed, in schema order."""


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    position: int
    type: ParsedType
    nullable: bool
    nullable_elements: bool
    """Array columns: whether elements may be NULL (always False for scalar columns)."""
    identity: bool
    server_default: str | None
    default: LiteralDefault | None
    checks: tuple[Check, ...]
    description: str | None
    in_primary_key: bool
    on_update: str | None = None
    """The clock every update sets the column to (``now()``, ...), whatever the input says."""
    version: bool = False
    """The version column of an audited table (``bigint NOT NULL DEFAULT 1``, after the schema's
    columns): never sent on insert, checked on update and delete, one more per change."""
    serial: bool = False
    """A ``bigserial`` (a sequence default, never sent): the history id of a distributed table,
    which Citus refuses as an identity next to a foreign key to a reference table."""

    @property
    def sql_cast(self) -> str:
        """Element type for casts of bound values: the type without typmod. ``char(n)`` casts to
        ``bpchar`` (not ``text``) so comparisons with the column keep char semantics and use its
        index; like ``text`` it does not truncate."""
        return "bpchar" if self.type.fixed_length else self.type.cast


@dataclass(frozen=True, slots=True)
class Key:
    """The primary key (name ``primary_key``) or a unique key."""

    name: str
    constraint: str
    columns: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ForeignKey:
    name: str
    constraint: str
    columns: tuple[int, ...]
    parent: str
    parent_columns: tuple[str, ...]
    on_delete: OnDelete
    references_primary_key: bool = True
    """Whether ``parent_columns`` are the parent's primary key, in its order (the runtime's key
    cache then answers for the parent)."""
    on_update: OnDelete | None = None
    """What changing the referenced columns does (None: not written, PostgreSQL's NO ACTION)."""
    index: bool = True
    """Whether an index on the referencing columns is added when no key or index leads with
    them (the schema's ``index: false`` opts out)."""


@dataclass(frozen=True, slots=True)
class Expression:
    """A whitelisted SQL expression (:mod:`batchrepo_codegen.schema.expressions`)."""

    tree: Node
    sql: str
    """Canonical SQL text: what the DDL declares and migrations compare."""
    columns: tuple[int, ...]
    """Positions of the columns it reads."""


@dataclass(frozen=True, slots=True)
class TableCheck:
    """A table CHECK constraint (the schema's ``checks``), named by its key."""

    constraint: str
    expression: Expression


@dataclass(frozen=True, slots=True)
class Index:
    name: str
    columns: tuple[int, ...]
    foreign_key: str | None
    """The constraint this index was added for, when the schema did not declare it."""
    where: Expression | None = None
    """A partial index's predicate."""
    unique: bool = False
    """``CREATE UNIQUE INDEX`` (partial: the schema takes a whole unique index as a key)."""


@dataclass(frozen=True, slots=True)
class CoveredForeignKey:
    """A foreign key whose columns an existing key or index already leads with."""

    constraint: str
    index: str


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    description: str | None
    columns: tuple[Column, ...]
    primary_key: Key
    uniques: tuple[Key, ...]
    """Unique keys in schema order (the primary key not included)."""
    foreign_keys: tuple[ForeignKey, ...]
    indexes: tuple[Index, ...]
    covered_foreign_keys: tuple[CoveredForeignKey, ...]
    checks: tuple[TableCheck, ...] = ()
    """Table CHECK constraints, in schema order."""
    history_table: str | None = None
    """For an audited table: the name of its history table (``<table>_history``)."""
    distribution: str | None = None
    """Citus: the column the table is sharded by (``create_distributed_table``)."""
    colocate_with: str | None = None
    """Citus: the distributed table whose shards this one's live beside; None starts a
    co-location group of its own."""
    reference: bool = False
    """Citus: a table copied to every node (``create_reference_table``)."""
    class_name: str | None = None
    """The schema's entity class name; None: derived from the table name."""

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise GenerationError(f"table {self.name!r} has no column {name!r}")

    def names(self, positions: tuple[int, ...]) -> tuple[str, ...]:
        return tuple(self.columns[i].name for i in positions)

    @property
    def key_columns(self) -> tuple[Column, ...]:
        return tuple(self.columns[i] for i in self.primary_key.columns)

    @property
    def identity_key(self) -> bool:
        return any(c.identity for c in self.key_columns)

    @property
    def insert_columns(self) -> tuple[Column, ...]:
        """Every column but an identity key (the database draws it) and the version column (a
        row starts at version 1)."""
        return tuple(c for c in self.columns if not c.identity and not c.version and not c.serial)

    @property
    def value_columns(self) -> tuple[Column, ...]:
        """The columns an update sets from its input: every column outside the primary key but
        the version column (which the statement moves on by itself)."""
        return tuple(c for c in self.columns if not c.in_primary_key and not c.version)

    @property
    def audited(self) -> bool:
        return self.history_table is not None

    @property
    def updatable(self) -> bool:
        """Whether the table has an update: a column outside the key (and the version)."""
        return bool(self.value_columns)

    @property
    def upsertable(self) -> bool:
        """Whether the table has an upsert on its primary key: not for identity keys (the
        database draws them, so there is nothing to conflict on). Upserts on a unique key
        need only a column to update (``updatable``)."""
        return self.updatable and not self.identity_key

    @property
    def version_column(self) -> Column | None:
        """The version column of an audited table."""
        return next((c for c in self.columns if c.version), None)

    @property
    def snapshot_columns(self) -> tuple[Column, ...]:
        """The columns a history row copies: every column but the version (stored apart)."""
        return tuple(c for c in self.columns if not c.version)


@dataclass(frozen=True, slots=True)
class Enum:
    name: str
    values: tuple[str, ...]
    description: str | None


@dataclass(frozen=True, slots=True)
class Schema:
    package: str
    description: str | None
    enums: tuple[Enum, ...]
    tables: tuple[Table, ...]
    """In schema order."""
    audit_tables: tuple[Table, ...] = ()
    """``audit_log`` first, then one history table per audited table, in schema order (empty
    when no table is audited)."""
    audit_enums: tuple[Enum, ...] = ()
    """``audit_operation`` when any table is audited."""
    pydantic_models: bool = False
    """Whether the package gets ``pydantic_models.py`` (the schema's ``pydantic_models``)."""

    @property
    def placed(self) -> bool:
        """Whether any table is placed on Citus (distributed or reference): the package then
        has a ``citus.sql``."""
        return any(t.distribution is not None or t.reference for t in self.tables)

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise GenerationError(f"no table {name!r}")
