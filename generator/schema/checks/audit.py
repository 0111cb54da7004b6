"""Checks of audited tables (``audit: true``): the names the audit objects take are free.

An audited table gets a ``version`` column and a history table ``<table>_history`` whose columns
are the table's plus ``history_id``, ``version``, ``operation`` and ``audit_log_id``; a schema
with any audited table gets the table ``audit_log`` and the enum ``audit_operation``
(:mod:`batchrepo_codegen.model.audit_tables`). So:

* an audited table may not declare a column of those four names (it would appear twice);
* no table or enum of the schema may be named ``audit_log``, ``audit_operation`` or
  ``<audited>_history``: tables and enums share PostgreSQL's type namespace.

The constraint and index names the audit objects derive are checked with every other derived
name (:mod:`batchrepo_codegen.model.sql_names`).
"""

from __future__ import annotations

from ..document import SchemaDef
from ..issues import Path, Problem
from ..names import (
    AUDIT_LOG,
    AUDIT_OPERATION,
    RESERVED_COLUMNS,
    history_table_name,
    python_name,
)


def audit_problems(schema: SchemaDef) -> list[Problem]:
    problems: list[Problem] = []
    audited = [name for name, table in schema.tables.items() if table.audit]
    for name in audited:
        history = history_table_name(name)
        for column in schema.tables[name].columns:
            # NFKC-equal spellings would meet the entity's ``version`` attribute
            if column in RESERVED_COLUMNS or python_name(column) in RESERVED_COLUMNS:
                problems.append(
                    Problem(
                        ("tables", name, "columns", column),
                        f"table {name!r} is audited, so the audit trail adds a column "
                        f"{column!r} (to the table or its history table {history!r}); "
                        "rename this column",
                        at_key=True,
                    )
                )
    if not audited:
        return problems
    taken = {AUDIT_LOG: "the audit log table", AUDIT_OPERATION: "the audit operation enum"}
    taken |= {history_table_name(name): f"the history table of {name!r}" for name in audited}
    for section, what in (("tables", "table"), ("enums", "enum")):
        entries = schema.tables if section == "tables" else schema.enums
        for name in entries:
            if name in taken:
                path: Path = (section, name)
                problems.append(
                    Problem(
                        path,
                        f"{what} name {name!r} is taken by {taken[name]}, which the schema "
                        "gets because it audits tables; rename the " + what,
                        at_key=True,
                    )
                )
    return problems
