"""The intermediate model of an aggregate's table module (``_<table>_table.py``): the table as
the runtime sees it, every data part of the aggregate's ``TableSpec`` (columns, statements, keys,
audit) as a named constant.

The aggregate module (``person.py``) keeps what an app developer reads: entity, key, converters,
repository, and a short ``TableSpec`` that takes each part from here by name
(``columns=_person_table.COLUMNS``). The table module imports the runtime contract
(:meth:`.pycode.Scope.runtime`, in its own :class:`~.pycode.Scope`) and never the aggregate
module, so there is no cycle. It is private to the package: the runtime's side of the table
(arguments follow :mod:`batchrepo.spec`), not API, and ``batchrepo diff`` leaves private modules
out.

Layout, top to bottom (the parts name the statements, and Python binds a name before its use):

1. every statement the spec runs, one constant each, printed one clause per line as it runs
   (:func:`.pycode.triple_quoted`), the way sqlc writes ``const getValues = ...``, in the order
   the parts name them:

   * a ``TableSQL`` field upper-cased, ``INSERT_ONE`` ... ``SELECT_KEYS`` (none for a field that
     is None: no upsert of an audited table, no update of an all-key table);
   * ``PROBE_PRIMARY_KEY``; per unique key ``PROBE_UNIQUE_<KEY>`` and ``SELECT_BATCH_BY_<KEY>``;
   * per foreign key ``PROBE_PARENT_<FK>`` and ``SELECT_CHILDREN_BY_<FK>``;
   * ``INSERT_AUDIT_LOG`` and the history reads (``SELECT_HISTORY_ONE`` ...) for an audited
     table;

2. the parts, each named after the ``TableSpec`` field it fills, upper-cased (:data:`PARTS`):
   ``COLUMNS``, ``SQL`` (the ``TableSQL``), ``UNIQUES``, ``FOREIGN_KEYS`` (``()`` for a table
   without foreign keys), ``AUDIT`` (``None`` for a table not audited) and ``COPY`` (``None``
   for a table whose inserts cannot go by COPY). Every table module has all six, so every
   aggregate's ``TableSpec`` has the same shape; a table distributed on Citus has one more,
   ``ROUTING`` (the ``RoutingSpec``: its statements routed to one shard, ``<FIELD>_ROUTED``),
   and a table with table CHECK constraints ``CHECKS`` (their ``CheckSpec``, whose probes are
   named ``PROBE_CHECK_<NAME>``).

:class:`TableModule` collects both while the ``TableSpec`` is built (:mod:`.table_spec`). A
statement name already taken (keys whose names differ only in case, ``ab`` and ``AB``) gets the
first free suffix, ``_2``, ``_3``, ...: a constant is never bound twice. Statement names all
start with a verb (``INSERT_``, ``SELECT_``, ``PROBE_``, ...), so none is a part's name.
"""

from __future__ import annotations

from dataclasses import dataclass

from .pycode import Import, Scope, docstring, lint_exemption, triple_quoted
from .sql import Statement

#: The ``TableSpec`` fields the table module fills, and the constant that holds each.
PARTS = {
    "columns": "COLUMNS",
    "sql": "SQL",
    "uniques": "UNIQUES",
    "foreign_keys": "FOREIGN_KEYS",
    "audit": "AUDIT",
    "copy": "COPY",
    "routing": "ROUTING",
    "checks": "CHECKS",
}


@dataclass(frozen=True, slots=True)
class NamedStatement:
    name: str
    literal: str
    """The statement as a triple-quoted string literal."""


@dataclass(frozen=True, slots=True)
class Part:
    """``COLUMNS = (...)``: one data part of the ``TableSpec``."""

    name: str
    value: str
    """A Python expression; it names statements by their constants."""


@dataclass(frozen=True, slots=True)
class TableModuleIR:
    module: str
    """``_person_table``."""
    path: str
    lint_exemption: str | None
    docstring: str
    imports: tuple[Import, ...]
    statements: tuple[NamedStatement, ...]
    parts: tuple[Part, ...]
    top_level_names: tuple[str, ...]


class TableModule:
    """The statements and parts of one table module, named as the ``TableSpec`` refers to them.

    ``scope`` is the module's own: the parts' runtime names and literals (``_rt.ColumnSpec``,
    ``decimal.Decimal``) are imported here, not in the aggregate module."""

    def __init__(self, module: str, reference: str, scope: Scope) -> None:
        """``module``: its name (``_person_table``); ``reference``: the name the aggregate module
        imports it as."""
        self.module = module
        self.scope = scope
        self._reference = reference
        self._statements: dict[str, NamedStatement] = {}
        self._parts: dict[str, Part] = {}

    def statement(self, name: str, statement: Statement | None) -> str:
        """The expression that names ``statement`` inside the module (``INSERT_ONE``; ``None`` for
        a statement the table does not have)."""
        if statement is None:
            return "None"
        free, number = name, 1
        while free in self._statements:
            number += 1
            free = f"{name}_{number}"
        self._statements[free] = NamedStatement(free, triple_quoted(statement))
        return free

    def part(self, field: str, value: str) -> str:
        """Bind ``value`` (a Python expression) to the constant of ``TableSpec`` field ``field``;
        the expression that names it in the aggregate module (``_person_table.COLUMNS``)."""
        name = PARTS[field]
        self._parts[name] = Part(name, value)
        return f"{self._reference}.{name}"

    def ir(self, table: str, spec_module: str, spec_name: str) -> TableModuleIR:
        doc = (
            f"Table {table} as the runtime sees it: the columns, keys and statements that\n"
            f"{spec_name} ({spec_module}.py) is built from.\n\n"
            "Private to the package, not API (arguments as batchrepo.spec describes them).\n"
            "First every statement, one constant each, one clause per line: a TableSQL\n"
            "statement is named after its field (INSERT_BATCH), a key's after its use and the\n"
            "key (PROBE_UNIQUE_<KEY>, SELECT_BATCH_BY_<KEY>, PROBE_PARENT_<FK>,\n"
            "SELECT_CHILDREN_BY_<FK>).\n\n"
            f"Then the parts of {spec_name}, each named after the field it fills:\n"
            f"{', '.join(self._parts)}."
        )
        imports = self.scope.imports()
        names = {*(i.bound for i in imports), *self._statements, *self._parts}
        return TableModuleIR(
            module=self.module,
            path=self.module + ".py",
            lint_exemption=lint_exemption(self.module),
            docstring=docstring(doc),
            imports=imports,
            statements=tuple(self._statements.values()),
            parts=tuple(self._parts.values()),
            top_level_names=tuple(sorted(names)),
        )
