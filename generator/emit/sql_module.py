"""The intermediate model of an aggregate's SQL module (``_<table>_sql.py``): every statement the
table's ``TableSpec`` runs, one named constant each, printed one clause per line as it runs
(:func:`.pycode.triple_quoted`), the way sqlc writes ``const getValues = ...``.

The aggregate module imports it (``from . import _person_sql``) and its ``TableSpec`` names each
statement (``insert_one=_person_sql.INSERT_ONE``), so the SQL is read in one place and the
aggregate module stays short. The SQL module imports nothing, so there is no cycle. It is
private to the package: the statements are the runtime's side of the table (their arguments
follow :mod:`batchrepo.spec`), not API, and ``batchrepo diff`` leaves private modules out.

Constants, in the order the ``TableSpec`` names them:

* a ``TableSQL`` field upper-cased, ``INSERT_ONE`` ... ``SELECT_KEYS`` (none for a field that is
  None: no upsert of an audited table, no update of an all-key table);
* ``PROBE_PRIMARY_KEY``; per unique key ``PROBE_UNIQUE_<KEY>`` and ``SELECT_BATCH_BY_<KEY>``;
* per foreign key ``PROBE_PARENT_<FK>`` and ``SELECT_CHILDREN_BY_<FK>``;
* ``INSERT_AUDIT_LOG`` for an audited table.

:class:`SqlModule` collects them while the ``TableSpec`` is built. A name already taken (keys
whose names differ only in case, ``ab`` and ``AB``) gets the first free suffix, ``_2``, ``_3``,
...: a constant is never bound twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from .pycode import docstring, lint_exemption, triple_quoted
from .sql import Statement


@dataclass(frozen=True, slots=True)
class NamedStatement:
    name: str
    literal: str
    """The statement as a triple-quoted string literal."""


@dataclass(frozen=True, slots=True)
class SqlModuleIR:
    module: str
    """``_person_sql``."""
    path: str
    lint_exemption: str | None
    docstring: str
    statements: tuple[NamedStatement, ...]
    top_level_names: tuple[str, ...]


class SqlModule:
    """The statements of one table's SQL module, named as the ``TableSpec`` refers to them."""

    def __init__(self, module: str, reference: str) -> None:
        """``module``: its name (``_person_sql``); ``reference``: the name the aggregate module
        imports it as."""
        self.module = module
        self._reference = reference
        self._statements: dict[str, NamedStatement] = {}

    def add(self, name: str, statement: Statement | None) -> str:
        """The expression that names ``statement`` (``_person_sql.INSERT_ONE``; ``None`` for a
        statement the table does not have)."""
        if statement is None:
            return "None"
        free, number = name, 1
        while free in self._statements:
            number += 1
            free = f"{name}_{number}"
        self._statements[free] = NamedStatement(free, triple_quoted(statement))
        return f"{self._reference}.{free}"

    def ir(self, table: str, spec_module: str, spec_name: str) -> SqlModuleIR:
        doc = (
            f"SQL of table {table}: every statement {spec_name} ({spec_module}.py) runs, one\n"
            "constant each, one clause per line.\n\n"
            "Private to the package: the runtime's side of the table (arguments as\n"
            "batchrepo.spec describes them), not API. A TableSQL statement is named after its\n"
            "field (INSERT_BATCH); a key's after its use and the key (PROBE_UNIQUE_<KEY>,\n"
            "SELECT_BATCH_BY_<KEY>, PROBE_PARENT_<FK>, SELECT_CHILDREN_BY_<FK>)."
        )
        return SqlModuleIR(
            module=self.module,
            path=self.module + ".py",
            lint_exemption=lint_exemption(self.module),
            docstring=docstring(doc),
            statements=tuple(self._statements.values()),
            top_level_names=tuple(sorted(self._statements)),
        )
