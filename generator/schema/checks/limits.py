"""Limits: how big a schema and its parts may be, each refused with a located message.

The schema is untrusted input, and without bounds a few megabytes of YAML (24,000 tables) kept
the generator busy for minutes, a table of 1,700 columns was accepted until PostgreSQL refused
its DDL, and a 5,000-digit number stopped the loader with a traceback. The limits are
PostgreSQL's own where it has one, and otherwise far above what a real schema needs:

* :data:`MAX_BYTES`: the file (or text) size, refused before it is parsed;
* :data:`MAX_TABLES`, :data:`MAX_ENUMS`: generating takes about 0.4 s per table on the 2-core
  machine of the field notes, so 1,000 tables is minutes, not hours;
* :data:`MAX_COLUMNS`: PostgreSQL's 1,600 columns per table (an audited table has 4 fewer: its
  history table adds ``history_id``, ``version``, ``operation`` and ``audit_log_id``, and
  the table itself its ``version``);
* :data:`MAX_KEY_COLUMNS`: PostgreSQL's 32 columns per index, primary, unique and foreign key;
* :data:`MAX_LITERAL_CHARS`: a string default; numbers have at most
  :data:`loader.MAX_NUMBER_DIGITS` digits written out (numeric's largest precision).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..declared_keys import foreign_keys, index_columns, primary_key_declarations, unique_keys
from ..document import SchemaDef
from ..issues import Path, Problem
from ..loader import MAX_NUMBER_DIGITS

MAX_BYTES = 1024 * 1024
MAX_TABLES = 1000
MAX_ENUMS = 1000
MAX_COLUMNS = 1600
#: Columns the audit trail adds to an audited table's history table (and the version column).
AUDIT_COLUMNS = 4
MAX_KEY_COLUMNS = 32
MAX_LITERAL_CHARS = 4000


def size_problem(size: int) -> str:
    return (
        f"the schema is {size:,} bytes; at most {MAX_BYTES:,} ({MAX_BYTES // 1024 // 1024} MiB) "
        "are read"
    )


def count_problems(data: Any) -> list[Problem]:
    """The counts of plain data (a document not checked yet) over their limits: the front end
    stops there, as checking a document far over them would take long for nothing."""
    if not isinstance(data, dict):
        return []
    problems = []
    for section, limit in (("tables", MAX_TABLES), ("enums", MAX_ENUMS)):
        entries = data.get(section)
        if isinstance(entries, dict) and len(entries) > limit:
            message = f"the schema has {len(entries):,} {section}; at most {limit:,} are allowed"
            problems.append(Problem((section,), message, at_key=True))
    tables = data.get("tables")
    for name, table in tables.items() if isinstance(tables, dict) else ():
        columns = table.get("columns") if isinstance(table, dict) else None
        if isinstance(columns, dict) and len(columns) > MAX_COLUMNS:
            problems.append(_too_many_columns(str(name), len(columns), audited=False))
    return problems


def _too_many_columns(table: str, count: int, *, audited: bool) -> Problem:
    limit = MAX_COLUMNS - AUDIT_COLUMNS if audited else MAX_COLUMNS
    why = (
        f" for an audited table (PostgreSQL's {MAX_COLUMNS:,} less the {AUDIT_COLUMNS} its "
        "history table adds)"
        if audited
        else " (PostgreSQL's limit)"
    )
    return Problem(
        ("tables", table, "columns"),
        f"table {table!r} has {count:,} columns; at most {limit:,} are allowed{why}",
        at_key=True,
    )


def limit_problems(schema: SchemaDef) -> list[Problem]:
    """Counts over their limits: tables, enums, columns per table, columns per key."""
    problems = []
    for section, count, limit in (
        ("tables", len(schema.tables), MAX_TABLES),
        ("enums", len(schema.enums), MAX_ENUMS),
    ):
        if count > limit:
            message = f"the schema has {count:,} {section}; at most {limit:,} are allowed"
            problems.append(Problem((section,), message, at_key=True))
    for table_name, table in schema.tables.items():
        base: Path = ("tables", table_name)
        limit = MAX_COLUMNS - AUDIT_COLUMNS if table.audit else MAX_COLUMNS
        if len(table.columns) > limit:
            problems.append(_too_many_columns(table_name, len(table.columns), audited=table.audit))
        keys = [
            ("primary key", key.columns, key.path)
            for key in primary_key_declarations(table_name, table)
        ]
        keys += [("unique key", key.columns, key.path) for key in unique_keys(table_name, table)]
        keys += [("foreign key", key.columns, key.path) for key in foreign_keys(table_name, table)]
        keys += [
            ("index", index_columns(declared), (*base, "indexes", name))
            for name, declared in table.indexes.items()
        ]
        for what, columns, path in keys:
            if len(columns) > MAX_KEY_COLUMNS:
                problems.append(
                    Problem(
                        path,
                        f"the {what} has {len(columns)} columns; PostgreSQL allows at most "
                        f"{MAX_KEY_COLUMNS}",
                    )
                )
    return problems


def digits_written_out(value: int | float | Decimal) -> int:
    """How many digits ``value`` has in plain decimal (``1e3``: 4, ``0.001``: 4), computed
    without turning a huge int into text (Python refuses more than 4,300 digits)."""
    if isinstance(value, int):
        if value.bit_length() < 13_000:  # under str()'s limit of 4,300 digits: exact
            return len(str(abs(value)))
        return (value.bit_length() * 30103) // 100000  # a lower bound, far over any limit
    number = value if isinstance(value, Decimal) else Decimal(repr(value))
    if not number.is_finite():
        return 0
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    whole = max(len(digits) + exponent, 1)
    decimals = max(-exponent, 0)
    return whole + decimals


def number_too_long(value: int | float | Decimal) -> str | None:
    """Why a number literal is too long to use; None when it is not."""
    digits = digits_written_out(value)
    if digits <= MAX_NUMBER_DIGITS:
        return None
    return (
        f"has about {digits:,} digits written out; at most {MAX_NUMBER_DIGITS:,} are allowed "
        "(numeric's largest precision)"
    )
