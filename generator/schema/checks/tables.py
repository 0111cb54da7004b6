"""Semantic checks of a whole schema: every problem at once, each with its document path.

Runs after the shape check (:mod:`batchrepo_codegen.schema.shape`) on a :class:`SchemaDef`:

* names and collisions (:mod:`batchrepo_codegen.schema.checks.naming`);
* column types (:func:`types.parse_type`), defaults, server defaults and checks
  (:mod:`batchrepo_codegen.schema.checks.values`);
* the primary key: exactly one, on existing, non-nullable, scalar columns; ``identity`` only on a
  single-column integer primary key of a table with other columns;
* unique keys and indexes name existing columns once each (no array or jsonb column in a key);
* audited tables: the names the audit trail adds are free
  (:mod:`batchrepo_codegen.schema.checks.audit`);
* limits (:mod:`.limits`: counts, key sizes) and free texts (:mod:`.texts`: no NUL);
* no cycle of NOT NULL foreign keys (:mod:`.cycles`);
* foreign keys: the parent table and columns exist and are its primary key or one of its unique
  keys (PostgreSQL requires that), as many columns on both sides, the same types, ``set_null``
  only on nullable columns, ``on_delete`` only with ``references``.

The constraint and index names the resolved model derives are checked after resolving, by
:mod:`batchrepo_codegen.model.sql_names` (a ``later_check`` of the front end).

``unreadable_tables`` and ``unreadable_enums`` name entries that exist in the document but failed
the shape check: references to them are taken on trust rather than reported as missing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from batchrepo.validate.column_rules import INTEGER_RANGES

from ..declared_keys import (
    ForeignKey,
    foreign_keys,
    index_columns,
    primary_key,
    primary_key_declarations,
    split_reference,
    unique_keys,
)
from ..document import SchemaDef, TableDef
from ..issues import Path, Problem, close_match
from ..types import ParsedType, TypeSyntaxError, parse_type
from .audit import audit_problems
from .cycles import cycle_problems
from .distribution import distribution_problems
from .expressions import expression_problems
from .limits import limit_problems
from .naming import naming_problems
from .text_rules import text_rule_problems
from .texts import text_problems
from .values import value_problems

#: Column types a key (primary, unique or foreign) cannot use.
_UNKEYABLE = "arrays and jsonb cannot be key columns"


def check_schema(
    schema: SchemaDef,
    *,
    unreadable_tables: Collection[str] = (),
    unreadable_enums: Collection[str] = (),
) -> list[Problem]:
    """Every semantic problem of ``schema`` (empty when it can be generated)."""
    problems = limit_problems(schema) + text_problems(schema)
    problems += naming_problems(schema) + audit_problems(schema)
    enum_names = {*schema.enums, *unreadable_enums}
    problems += distribution_problems(schema)  # Citus placement (.distribution)
    types: dict[tuple[str, str], ParsedType] = {}
    for table_name, table in schema.tables.items():
        for column_name, column in table.columns.items():
            path: Path = ("tables", table_name, "columns", column_name)
            try:
                parsed = parse_type(column.type, enum_names)
            except TypeSyntaxError as error:
                problems.append(Problem((*path, "type"), str(error)))
                continue
            types[table_name, column_name] = parsed
            enum = schema.enums.get(parsed.enum) if parsed.enum else None
            problems += value_problems(path, column, parsed, enum.values if enum else None)
            problems += text_rule_problems(path, column, parsed)  # in, min_trimmed_length
    for table_name, table in schema.tables.items():
        checker = _TableChecker(schema, table_name, table, types, frozenset(unreadable_tables))
        problems += checker.problems()
    problems += _index_name_problems(schema)
    problems += expression_problems(schema, types)
    problems += cycle_problems(schema)
    return problems


def _columns(names: Sequence[str]) -> str:
    """``2 columns (a, b)``."""
    noun = "column" if len(names) == 1 else "columns"
    return f"{len(names)} {noun} ({', '.join(names)})"


def _did_you_mean(name: str, options: Sequence[str]) -> str:
    close = close_match(name, options)
    return f"; did you mean {close!r}?" if close is not None else ""


class _TableChecker:
    """The checks of one table that need its keys and the other tables."""

    def __init__(
        self,
        schema: SchemaDef,
        name: str,
        table: TableDef,
        types: dict[tuple[str, str], ParsedType],
        unreadable_tables: frozenset[str],
    ) -> None:
        self.schema = schema
        self.name = name
        self.table = table
        self.types = types
        self.unreadable_tables = unreadable_tables
        self.base: Path = ("tables", name)
        self.found: list[Problem] = []

    def problems(self) -> list[Problem]:
        self._primary_key()
        self._column_settings()
        for key in unique_keys(self.name, self.table):
            for index, column in enumerate(key.columns):
                where = key.path if key.shorthand else (*key.path, index)
                self._key_column(where, "unique key", key.columns, index, column, keyed=True)
        for index_name, declared in self.table.indexes.items():
            columns = index_columns(declared)
            long_form = not isinstance(declared, list)
            for index, column in enumerate(columns):
                where = (*self.base, "indexes", index_name, *(("columns",) if long_form else ()))
                where = (*where, index)
                self._key_column(where, "index", tuple(columns), index, column, keyed=False)
        for foreign_key in foreign_keys(self.name, self.table):
            self._foreign_key(foreign_key)
        return self.found

    def _add(self, path: Path, message: str, *, at_key: bool = False) -> None:
        self.found.append(Problem(path, message, at_key=at_key))

    def _primary_key(self) -> None:
        declared = primary_key_declarations(self.name, self.table)
        if not declared:
            self._add(
                self.base,
                f"table {self.name!r} has no primary key; add primary_key: true to a column "
                "or primary_key: [columns] to the table",
                at_key=True,
            )
            return
        if len(declared) > 1:
            flagged = [key.columns[0] for key in declared if key.shorthand]
            if len(flagged) < len(declared):
                message = (
                    f"the primary key is declared twice: on the table and on column "
                    f"{flagged[0]!r}; keep one"
                )
            else:
                message = (
                    f"columns {', '.join(map(repr, flagged))} all say primary_key: true; a table "
                    f"has one primary key: for a composite key write primary_key: "
                    f"[{', '.join(flagged)}] on the table"
                )
            self._add(declared[1].path, message)
            return
        key = declared[0]
        for index, column in enumerate(key.columns):
            where = key.path if key.shorthand else (*key.path, index)
            if not self._key_column(where, "primary key", key.columns, index, column, keyed=True):
                continue
            if self.table.columns[column].nullable:
                self._add(
                    (*self.base, "columns", column, "nullable"),
                    f"primary key column {column!r} cannot be nullable; remove nullable: true",
                )

    def _key_column(
        self,
        where: Path,
        what: str,
        columns: tuple[str, ...],
        index: int,
        column: str,
        *,
        keyed: bool,
    ) -> bool:
        """Report a key's column that is missing, repeated or (for keys) an array or jsonb;
        True when the column is fine."""
        if column not in self.table.columns:
            meant = _did_you_mean(column, list(self.table.columns))
            self._add(
                where, f"{what} column {column!r} is not a column of table {self.name!r}{meant}"
            )
            return False
        if column in columns[:index]:
            self._add(where, f"column {column!r} appears twice in the {what}")
            return False
        parsed = self.types.get((self.name, column))
        if keyed and parsed is not None and (parsed.is_array or parsed.kind == "jsonb"):
            self._add(where, f"{what} column {column!r} is {parsed.ddl}; {_UNKEYABLE}")
            return False
        return True

    def _column_settings(self) -> None:
        key = primary_key(self.name, self.table)
        for column_name, column in self.table.columns.items():
            path: Path = (*self.base, "columns", column_name)
            if column.references is None and column.on_delete is not None:
                self._add(
                    (*path, "on_delete"),
                    "on_delete applies to a foreign key; add references: <table> or remove it",
                )
            if column.references is not None and split_reference(column.references) is None:
                self._add(
                    (*path, "references"),
                    f"references must be 'table' or 'table.column', got {column.references!r}",
                )
            if column.on_update is not None and (
                column.identity or (key and column_name in key.columns)
            ):
                self._add(
                    (*path, "on_update"),
                    "on_update applies to a column outside the primary key: an update finds "
                    "its row by the key, so it cannot change it",
                )
            if column.identity:
                fits = self._identity(path, column_name, key.columns if key else None)
                if fits and len(self.table.columns) == 1:
                    self._add(
                        (*path, "identity"),
                        "the identity column is the table's only column, so an insert would "
                        "send nothing; add a column or remove identity",
                    )
                if column.default is not None or column.server_default is not None:
                    self._add(
                        (*path, "identity"),
                        "an identity column takes no default or server_default: the database "
                        "draws its values",
                    )

    def _identity(self, path: Path, column: str, key: tuple[str, ...] | None) -> bool:
        """Report an identity column that cannot be one; True when it can."""
        parsed = self.types.get((self.name, column))
        if parsed is not None and (parsed.kind not in INTEGER_RANGES or parsed.is_array):
            hint = "; for generated uuid keys use server_default: gen_random_uuid()"
            self._add(
                (*path, "identity"),
                f"identity needs a smallint, integer or bigint column, not {parsed.ddl}"
                + (hint if parsed.kind == "uuid" and not parsed.is_array else ""),
            )
        elif key is not None and column not in key:
            self._add((*path, "identity"), "identity applies to the primary key column only")
        elif key is not None and len(key) > 1:
            self._add(
                (*path, "identity"),
                f"identity needs a single-column primary key, not ({', '.join(key)})",
            )
        else:
            return True
        return False

    def _foreign_key(self, key: ForeignKey) -> None:
        table_path: Path = key.path if key.shorthand else (*key.path, "references", "table")
        columns_ok = all(
            [
                self._key_column(
                    key.path if key.shorthand else (*key.path, "columns", index),
                    "foreign key",
                    key.columns,
                    index,
                    column,
                    keyed=True,
                )
                for index, column in enumerate(key.columns)
            ]
        )
        for action, setting in (("on_delete", key.on_delete), ("on_update", key.on_update)):
            if setting != "set_null":
                continue
            where: Path = (*key.path[:-1], action) if key.shorthand else (*key.path, action)
            for column in key.columns:
                definition = self.table.columns.get(column)
                if definition is not None and not definition.nullable:
                    self._add(
                        where,
                        f"{action}: set_null needs nullable columns; {column!r} is not nullable",
                    )
        if key.parent_table in self.unreadable_tables:
            return
        parent = self.schema.tables.get(key.parent_table)
        if parent is None:
            known = [*self.schema.tables, *self.unreadable_tables]
            meant = _did_you_mean(key.parent_table, known)
            self._add(table_path, f"foreign key to unknown table {key.parent_table!r}{meant}")
            return
        parent_columns = self._parent_columns(key, parent, table_path)
        if parent_columns is None or not columns_ok:
            return
        if len(parent_columns) != len(key.columns):
            self._add(
                key.path if key.shorthand else (*key.path, "columns"),
                f"foreign key has {_columns(key.columns)} but references "
                f"{_columns(parent_columns)} of table {key.parent_table!r}; give as many on "
                "both sides"
                + ("; for a composite key declare it under foreign_keys" if key.shorthand else ""),
            )
            return
        for index, (column, parent_column) in enumerate(
            zip(key.columns, parent_columns, strict=True)
        ):
            mine = self.types.get((self.name, column))
            theirs = self.types.get((key.parent_table, parent_column))
            if mine is not None and theirs is not None and mine.ddl != theirs.ddl:
                self._add(
                    key.path if key.shorthand else (*key.path, "columns", index),
                    f"column {column!r} is {mine.ddl} but the referenced column "
                    f"{key.parent_table}.{parent_column} is {theirs.ddl}; use the same type on "
                    "both sides",
                )

    def _parent_columns(
        self, key: ForeignKey, parent: TableDef, table_path: Path
    ) -> tuple[str, ...] | None:
        """The referenced columns when they exist and form a key of the parent; else None."""
        parent_key = primary_key(key.parent_table, parent)
        if key.parent_columns is None:
            # A parent without a valid primary key is reported on the parent itself.
            return parent_key.columns if parent_key is not None else None
        ok = True
        for index, column in enumerate(key.parent_columns):
            where = table_path if key.shorthand else (*key.path, "references", "columns", index)
            if column not in parent.columns:
                meant = _did_you_mean(column, list(parent.columns))
                self._add(where, f"table {key.parent_table!r} has no column {column!r}{meant}")
                ok = False
            elif column in key.parent_columns[:index]:
                self._add(where, f"column {column!r} appears twice in the referenced columns")
                ok = False
        if not ok:
            return None
        candidates = [k.columns for k in unique_keys(key.parent_table, parent)]
        if parent_key is not None:
            candidates.append(parent_key.columns)
        if not any(set(columns) == set(key.parent_columns) for columns in candidates):
            shown = ", ".join(key.parent_columns)
            self._add(
                table_path if key.shorthand else (*key.path, "references", "columns"),
                f"the referenced columns ({shown}) are neither the primary key nor a unique key "
                f"of table {key.parent_table!r}; PostgreSQL requires one: reference its primary "
                "key or declare a unique key on them",
            )
            return None
        return key.parent_columns


def _index_name_problems(schema: SchemaDef) -> list[Problem]:
    """Declared index names become index names as written; PostgreSQL keeps tables and indexes
    in one namespace per schema, so they must differ from each other and from every table."""
    problems = []
    seen: dict[str, str] = {}
    for table_name, table in schema.tables.items():
        for index_name in table.indexes:
            path: Path = ("tables", table_name, "indexes", index_name)
            if index_name in schema.tables:
                problems.append(
                    Problem(
                        path,
                        f"index name {index_name!r} is also a table name; rename the index",
                        at_key=True,
                    )
                )
            elif index_name in seen:
                problems.append(
                    Problem(
                        path,
                        f"index name {index_name!r} is also an index of table "
                        f"{seen[index_name]!r}; index names must be unique across the schema",
                        at_key=True,
                    )
                )
            seen.setdefault(index_name, table_name)
    return problems
