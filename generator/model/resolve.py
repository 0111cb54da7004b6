"""The schema, resolved: every shorthand expanded and every cross-reference turned into positions.

:class:`SchemaDef` keeps what the author wrote (``primary_key: true`` on a column, ``references:
person``, ``unique: true``). The later stages (SQL, DDL, Python) want one shape for each concept:
a table's columns with their parsed types, its primary key, unique keys, foreign keys (with the
parent's columns spelled out), secondary indexes (including the ones foreign keys need) and the
constraint names PostgreSQL will report. This module builds that shape once.

It assumes the checks of the front end passed; anything it still cannot resolve is a
:class:`GenerationError` (a bug or a check the front end misses), never a silent guess.
"""

from __future__ import annotations

from decimal import Decimal

from ..schema.checks.expressions import table_columns
from ..schema.declared_keys import index_columns
from ..schema.document import ColumnDef, IndexDef, SchemaDef, TableDef
from ..schema.expressions import ExpressionError, read_expression
from ..schema.names import derived_identifier, history_table_name
from ..schema.types import ParsedType, parse_type
from . import audit_tables as audit
from .elements import (
    Check,
    Column,
    CoveredForeignKey,
    Enum,
    Expression,
    ForeignKey,
    GenerationError,
    Index,
    Key,
    Schema,
    Table,
    TableCheck,
)


def resolve(schema: SchemaDef) -> Schema:
    """Expand shorthands and resolve references of a checked schema."""
    enum_names = frozenset(schema.enums)
    enums = tuple(Enum(name, tuple(e.values), e.description) for name, e in schema.enums.items())
    tables = tuple(_table(name, table, schema, enum_names) for name, table in schema.tables.items())
    audited = tuple(t for t in tables if t.history_table is not None)
    placed = any(t.distribution is not None or t.reference for t in tables)
    return Schema(
        schema.package,
        schema.description,
        enums,
        tables,
        audit_tables=audit.audit_tables(audited, placed=placed),
        audit_enums=audit.audit_enums() if audited else (),
        pydantic_models=schema.pydantic_models,
    )


def _table(name: str, table: TableDef, schema: SchemaDef, enum_names: frozenset[str]) -> Table:
    names = list(table.columns)
    pk_names = _primary_key_names(name, table)
    columns = tuple(
        _column(name, col_name, i, col, col_name in pk_names, enum_names)
        for i, (col_name, col) in enumerate(table.columns.items())
    )
    if table.audit:
        columns += (audit.version_column(len(columns)),)
    primary_key = Key(
        "primary_key",
        table.primary_key_constraint or derived_identifier(name, "pkey"),
        _positions(name, names, pk_names),
    )
    uniques: list[Key] = []
    for col_name, col in table.columns.items():
        if col.unique:
            uniques.append(
                Key(
                    col_name,
                    derived_identifier(name, col_name, "key"),
                    _positions(name, names, [col_name]),
                )
            )
    for key_name, unique in table.unique.items():
        uniques.append(
            Key(
                key_name,
                unique.constraint or derived_identifier(name, key_name, "key"),
                _positions(name, names, unique.columns),
            )
        )
    foreign_keys = _foreign_keys(name, table, schema, names)
    types = {column.name: column.type for column in columns}
    enum_values = {enum: tuple(e.values) for enum, e in schema.enums.items()}

    def expression(text: str) -> Expression:
        try:
            read = read_expression(text, table_columns(table, types), enum_values)
        except ExpressionError as error:
            raise GenerationError(f"table {name!r}: {error}") from None
        return Expression(read.tree, read.sql, read.columns)

    declared = tuple(
        Index(
            index_name,
            _positions(name, names, list(index_columns(index))),
            None,
            where=(
                expression(index.where)
                if isinstance(index, IndexDef) and index.where is not None
                else None
            ),
            unique=isinstance(index, IndexDef) and index.unique,
        )
        for index_name, index in table.indexes.items()
    )
    checks = tuple(
        TableCheck(check_name, expression(text)) for check_name, text in table.checks.items()
    )
    indexes, covered = _foreign_key_indexes(name, primary_key, uniques, declared, foreign_keys)
    return Table(
        name=name,
        description=table.description,
        class_name=table.class_name,
        columns=columns,
        primary_key=primary_key,
        uniques=tuple(uniques),
        foreign_keys=foreign_keys,
        indexes=indexes,
        covered_foreign_keys=covered,
        checks=checks,
        history_table=history_table_name(name) if table.audit else None,
        distribution=table.distribution.column if table.distribution else None,
        colocate_with=table.distribution.colocate_with if table.distribution else None,
        reference=table.reference,
    )


def _primary_key_names(table_name: str, table: TableDef) -> list[str]:
    flagged = [n for n, c in table.columns.items() if c.primary_key]
    if table.primary_key is not None:
        if flagged and flagged != table.primary_key:
            raise GenerationError(f"table {table_name!r} declares its primary key twice")
        return list(table.primary_key)
    if not flagged:
        raise GenerationError(f"table {table_name!r} has no primary key")
    return flagged


def _positions(table_name: str, names: list[str], wanted: list[str]) -> tuple[int, ...]:
    try:
        return tuple(names.index(n) for n in wanted)
    except ValueError:
        raise GenerationError(f"table {table_name!r}: unknown column in {wanted!r}") from None


def _column(
    table: str, name: str, position: int, col: ColumnDef, in_pk: bool, enum_names: frozenset[str]
) -> Column:
    parsed = parse_type(col.type, enum_names)
    return Column(
        name=name,
        position=position,
        type=parsed,
        nullable=col.nullable,
        nullable_elements=col.nullable_elements and parsed.is_array,
        identity=col.identity,
        # the same meaning, in core PostgreSQL (no uuid-ossp extension needed)
        server_default=(
            "gen_random_uuid()"
            if col.server_default == "uuid_generate_v4()"
            else col.server_default
        ),
        default=col.default,
        checks=_checks(table, name, col, parsed),
        description=col.description,
        in_primary_key=in_pk,
        on_update=col.on_update,
    )


_INTEGER_KINDS = frozenset({"int2", "int4", "int8"})
_NUMBER_KINDS = _INTEGER_KINDS | {"numeric", "float4", "float8"}


def _checks(table: str, column: str, col: ColumnDef, parsed: ParsedType) -> tuple[Check, ...]:
    checks: list[Check] = []
    if parsed.is_array and not col.nullable_elements:
        checks.append(Check(derived_identifier(table, column, "elements", "check"), "elements", 0))
    if col.check is None:
        return tuple(checks)
    for rule in ("min", "max", "min_exclusive", "max_exclusive"):
        bound = getattr(col.check, rule)
        if bound is None:
            continue
        if parsed.kind not in _NUMBER_KINDS:
            raise GenerationError(f"{table}.{column}: {rule} applies to numbers only")
        checks.append(Check(derived_identifier(table, column, rule, "check"), rule, _bound(bound)))
    if col.check.min_length is not None and col.check.min_length > 0:
        if parsed.kind != "text":
            raise GenerationError(f"{table}.{column}: min_length applies to text only")
        checks.append(
            Check(
                derived_identifier(table, column, "min_length", "check"),
                "min_length",
                col.check.min_length,
            )
        )
    if col.check.min_trimmed_length is not None:
        if parsed.kind != "text" or parsed.is_array:
            raise GenerationError(f"{table}.{column}: min_trimmed_length applies to text only")
        name = derived_identifier(table, column, "min_trimmed_length", "check")
        checks.append(Check(name, "min_trimmed_length", col.check.min_trimmed_length))
    if col.check.in_ is not None:
        if parsed.is_array or (parsed.kind != "text" and parsed.kind not in _INTEGER_KINDS):
            raise GenerationError(f"{table}.{column}: in applies to text and integers only")
        name = derived_identifier(table, column, "in", "check")
        checks.append(Check(name, "in", 0, tuple(col.check.in_)))
    return tuple(checks)


def _bound(value: int | float | str) -> int | Decimal:
    """A check bound, exactly: an int stays an int, a float or a string becomes a ``Decimal``."""
    if isinstance(value, bool):
        raise GenerationError(f"check bound {value!r} is not a number")
    if isinstance(value, int):
        return value
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise GenerationError(f"check bound {value!r} is not a number") from None
    if not number.is_finite():
        raise GenerationError(f"check bound {value!r} is not a finite number")
    return number


def _foreign_keys(
    name: str, table: TableDef, schema: SchemaDef, names: list[str]
) -> tuple[ForeignKey, ...]:
    found: list[ForeignKey] = []
    for col_name, col in table.columns.items():
        if col.references is None:
            continue
        parent, _, parent_column = col.references.partition(".")
        parent_columns = [parent_column] if parent_column else _parent_key(schema, parent)
        found.append(
            ForeignKey(
                name=col_name,
                constraint=derived_identifier(name, col_name, "fkey"),
                columns=_positions(name, names, [col_name]),
                parent=parent,
                parent_columns=tuple(parent_columns),
                on_delete=col.on_delete or "restrict",
                references_primary_key=parent_columns == _parent_key(schema, parent),
            )
        )
    for fk_name, fk in table.foreign_keys.items():
        parent = fk.references.table
        parent_columns = (
            list(fk.references.columns) if fk.references.columns else _parent_key(schema, parent)
        )
        found.append(
            ForeignKey(
                name=fk_name,
                constraint=fk.constraint or derived_identifier(name, fk_name, "fkey"),
                columns=_positions(name, names, fk.columns),
                parent=parent,
                parent_columns=tuple(parent_columns),
                on_delete=fk.on_delete,
                references_primary_key=parent_columns == _parent_key(schema, parent),
                on_update=fk.on_update,
                index=fk.index,
            )
        )
    return tuple(found)


def _parent_key(schema: SchemaDef, parent: str) -> list[str]:
    table = schema.tables.get(parent)
    if table is None:
        raise GenerationError(f"foreign key to unknown table {parent!r}")
    return _primary_key_names(parent, table)


def _foreign_key_indexes(
    table: str,
    primary_key: Key,
    uniques: list[Key],
    declared: tuple[Index, ...],
    foreign_keys: tuple[ForeignKey, ...],
) -> tuple[tuple[Index, ...], tuple[CoveredForeignKey, ...]]:
    """Declared indexes plus one per foreign key whose columns no key or index leads with (a
    parent's DELETE and ``load_grouped_by_<fk>`` look children up by those columns)."""
    existing: list[tuple[str, tuple[int, ...]]] = [(primary_key.constraint, primary_key.columns)]
    existing += [(u.constraint, u.columns) for u in uniques]
    existing += [(i.name, i.columns) for i in declared if i.where is None]  # partial: not all rows
    added: list[Index] = []
    covered: list[CoveredForeignKey] = []
    for fk in foreign_keys:
        wanted = set(fk.columns)
        leader = next(
            (name for name, cols in existing if set(cols[: len(fk.columns)]) == wanted), None
        )
        if leader is not None:
            covered.append(CoveredForeignKey(fk.constraint, leader))
            continue
        if not fk.index:
            continue  # the schema opts out (index: false)
        index = Index(derived_identifier(table, fk.name, "idx"), fk.columns, fk.constraint)
        added.append(index)
        existing.append((index.name, index.columns))
    return declared + tuple(added), tuple(covered)
