"""The resolved model: a checked :class:`SchemaDef` with every shorthand expanded and every
reference turned into positions, and the checks that need it resolved.

API for the later stages::

    resolve(schema: SchemaDef) -> Schema     # GenerationError: a bug or a check the front end
    misses
    MODEL_CHECKS                             # later_checks for
    batchrepo_codegen.schema.parse_schema
    Schema, Table, Column, Key, ForeignKey, CoveredForeignKey, Index, Check, Enum,
    TableCheck, Expression                   # frozen

Modules, in the order they build on each other:

* :mod:`.elements`: the frozen classes and :class:`GenerationError`;
* :mod:`.audit_tables`: the version column, history tables, ``audit_log`` and
  ``audit_operation`` of audited tables, as ordinary tables and enums;
* :mod:`.resolve`: :class:`SchemaDef` -> :class:`Schema`;
* :mod:`.sql_names`: constraint and index names distinct where PostgreSQL needs them.
"""

from __future__ import annotations

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
from .resolve import resolve
from .sql_names import sql_name_problems

#: The checks of this stage, run by the front end once its own checks pass (``later_checks``).
MODEL_CHECKS = (sql_name_problems,)

__all__ = [
    "MODEL_CHECKS",
    "Check",
    "Column",
    "CoveredForeignKey",
    "Enum",
    "Expression",
    "ForeignKey",
    "GenerationError",
    "Index",
    "Key",
    "Schema",
    "Table",
    "TableCheck",
    "resolve",
    "sql_name_problems",
]
