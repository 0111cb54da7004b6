"""The intermediate model of ``unit_of_work.py``: the package's ``UnitOfWork``, a subclass of
:class:`batchrepo.unit_of_work.UnitOfWork` with one read-only property per aggregate that hands
out the aggregate's repository bound to the unit's session (``uow.person -> PersonRepository``).

A property is named after its table's module (:func:`names.python_name`), so it never meets
another property; the checks reject tables whose property would hide a member of the runtime's
base class (:data:`names.UNIT_OF_WORK_MEMBERS`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..schema.names import UNIT_OF_WORK_CLASS
from .aggregate import AggregateIR
from .pycode import Import, Scope, docstring

#: The module, relative to the package.
UNIT_OF_WORK_PATH = "unit_of_work.py"
UNIT_OF_WORK_MODULE = ".unit_of_work"

#: How the runtime's base class is imported (the generated class takes its name).


@dataclass(frozen=True, slots=True)
class RepositoryProperty:
    name: str
    repository: str
    doc: str


@dataclass(frozen=True, slots=True)
class UnitOfWorkIR:
    docstring: str
    imports: tuple[Import, ...]
    name: str
    base: str
    doc: str
    property_decorator: str
    """``property``, or ``builtins.property`` when a table's property is named ``property``."""
    properties: tuple[RepositoryProperty, ...]
    top_level_names: tuple[str, ...]


def build_unit_of_work(package: str, aggregates: tuple[AggregateIR, ...]) -> UnitOfWorkIR:
    names = {a.module for a in aggregates}
    # The properties are names in the class body, where ``property`` must still mean the builtin.
    scope = Scope(names, ("typing", "Any"))
    base = scope.runtime(UNIT_OF_WORK_CLASS)
    decorator = scope.builtin("property")
    properties = tuple(
        RepositoryProperty(
            name=a.module,
            repository=scope.name(f".{a.module}", a.repository),
            doc=docstring(f"Table {a.table}, in this unit's transaction.", indent="        "),
        )
        for a in aggregates
    )
    imports = scope.imports()
    return UnitOfWorkIR(
        docstring=docstring(
            f"The unit of work of the {package} schema: one transaction, a repository per table."
        ),
        imports=imports,
        name=UNIT_OF_WORK_CLASS,
        base=base,
        doc=docstring(
            "``async with UnitOfWork(pool_or_connection, actor=...) as uow:``: one connection,\n"
            "one transaction, committed when the block ends and rolled back when it raises;\n"
            "``uow.<table>`` is the table's repository in it (``batchrepo.unit_of_work``).",
            indent="    ",
        ),
        property_decorator=decorator,
        properties=properties,
        top_level_names=tuple(sorted({*(i.bound for i in imports), UNIT_OF_WORK_CLASS})),
    )
