"""The intermediate model of ``pydantic_models.py``: per aggregate a pydantic model with the
repository's own validation, for a package whose schema asks for it (``pydantic_models: true``).

Each model mirrors its entity (the same fields, annotations, defaults and docstrings) and
annotates every field with the column's ``ColumnSpec``, the one its repository validates with
(``_rt.pydantic_column(_person_table.COLUMNS[2])``), so the rules cannot drift apart: the
runtime applies them (:mod:`batchrepo.pydantic_rules`). ``to_entity()`` gives the entity to
save. Example of one field::

    class CountryModel(_rt.PydanticModel):
        code: Annotated[str, _rt.pydantic_column(_country_table.COLUMNS[0])]
        \"\"\"ISO 3166-1 alpha-2 code, e.g. CM. ...\"\"\"

A model is named ``<Entity>Model``. A field is named as the entity's attribute, unless that
name is taken by pydantic's ``BaseModel`` (``json``, ``copy``, ``model_*``...) or the model's
own ``to_entity`` and ``write_mode``: it then gets a trailing ``_`` and keeps the column's name
as its alias, as does a field whose name is not the column's (``class_`` for ``class``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Column, Schema, Table
from ..schema.names import PYDANTIC_MODULE, python_name, table_module_name
from .aggregate import AggregateIR, is_optional, uuid_factory
from .pycode import Arg, Import, Scope, docstring, python_default

PATH = PYDANTIC_MODULE + ".py"

#: Public names of pydantic's ``BaseModel`` (2.x) a field may not take, besides every
#: ``model_*`` name; ``tests/generator/pydantic`` compares the list with the installed pydantic.
BASE_MODEL_NAMES = frozenset(
    {
        "construct", "copy", "dict", "from_orm", "json", "parse_file", "parse_obj", "parse_raw",
        "schema", "schema_json", "update_forward_refs", "validate",
    }
)  # fmt: skip
#: Names the generated models define themselves.
MODEL_NAMES = frozenset({"to_entity", "write_mode"})


@dataclass(frozen=True, slots=True)
class ModelField:
    name: str
    annotation: str
    default: str | None
    """The expression after ``=``; None for a required field."""
    doc: str


@dataclass(frozen=True, slots=True)
class ModelIR:
    name: str
    doc: str
    base: str
    entity: str
    fields: tuple[ModelField, ...]
    to_entity: tuple[Arg, ...]
    """The entity's keyword arguments, from the model's fields."""


@dataclass(frozen=True, slots=True)
class PydanticModuleIR:
    docstring: str
    imports: tuple[Import, ...]
    models: tuple[ModelIR, ...]
    top_level_names: tuple[str, ...]


def model_name(entity: str) -> str:
    return entity + "Model"


def field_names(table: Table) -> dict[int, str]:
    """Each column's field name, by position (see the module docstring)."""
    taken = {python_name(c.name) for c in table.columns}
    found = {}
    for column in table.columns:
        name = python_name(column.name)
        if name in BASE_MODEL_NAMES or name in MODEL_NAMES or name.startswith("model_"):
            name += "_"
            while name in taken:
                name += "_"
            taken.add(name)
        found[column.position] = name
    return found


def build_pydantic_module(
    schema: Schema, aggregates: tuple[AggregateIR, ...], enum_classes: dict[str, str]
) -> PydanticModuleIR:
    names = {model_name(a.entity) for a in aggregates}
    fields = {t.name: field_names(t) for t in schema.tables}
    claimed = names | {name for table in fields.values() for name in table.values()}
    scope = Scope(claimed, ("typing", "Any"))
    models = tuple(
        _model(table, aggregate, fields[table.name], enum_classes, scope)
        for table, aggregate in zip(schema.tables, aggregates, strict=True)
    )
    imports = scope.imports()
    doc = (
        f"Pydantic models of the {schema.package} aggregates, for an API edge: each validates\n"
        "as its repository's validate_batch does, with the same rules (the column specs of\n"
        "the table modules, applied by batchrepo.pydantic_rules), and shows them in its JSON\n"
        "schema; to_entity() gives the entity to save.\n\n"
        "None and database-drawn values are judged as an insert; validate with\n"
        "context={'mode': 'update'}, or subclass with write_mode = 'update', for updates."
    )
    return PydanticModuleIR(
        docstring=docstring(doc),
        imports=imports,
        models=models,
        top_level_names=tuple(sorted({*(i.bound for i in imports), *names})),
    )


def _model(
    table: Table,
    aggregate: AggregateIR,
    fields: dict[int, str],
    enum_classes: dict[str, str],
    scope: Scope,
) -> ModelIR:
    entity = scope.name(f".{aggregate.module}", aggregate.entity)
    columns = scope.name(".", table_module_name(table.name))
    model_fields = tuple(
        _field(
            column, fields[column.position], aggregate.fields[i].doc, columns, scope, enum_classes
        )
        for i, column in enumerate(table.columns)
    )
    description = table.description or f"A row of table {table.name}."
    note = (
        f"Validates as {aggregate.repository}.validate_batch does; to_entity() gives the "
        f"{aggregate.entity} to save."
    )
    return ModelIR(
        name=model_name(aggregate.entity),
        doc=docstring(f"{description}\n\n{note}", indent="    "),
        base=scope.runtime("PydanticModel"),
        entity=entity,
        fields=model_fields,
        to_entity=tuple(
            Arg(python_name(c.name), f"self.{fields[c.position]}") for c in table.columns
        ),
    )


def _field(
    column: Column,
    name: str,
    doc: str,
    columns: str,
    scope: Scope,
    enum_classes: dict[str, str],
) -> ModelField:
    enum = enum_classes.get(column.type.enum) if column.type.enum is not None else None
    value_type = scope.value_type(column, enum)
    optional = is_optional(column)
    rules = f"{scope.runtime('pydantic_column')}({columns}.COLUMNS[{column.position}])"
    annotation = (
        f"{scope.name('typing', 'Annotated')}[{value_type}{' | None' if optional else ''}, {rules}]"
    )
    field = scope.runtime("pydantic_field")
    alias = f"alias={column.name!r}" if name != column.name else None
    if uuid_factory(column):
        arguments = [f"default_factory={scope.module('uuid')}.uuid4"]
    elif column.default is not None:
        arguments = [f"default={python_default(column, scope, enum)}"]
    elif optional:
        arguments = ["default=None"]
    else:
        arguments = []
    if alias is None and arguments and arguments[0].startswith("default="):
        default: str | None = arguments[0].removeprefix("default=")
    elif alias is None and not arguments:
        default = None
    else:
        default = f"{field}({', '.join([*arguments, *([alias] if alias else [])])})"
    return ModelField(name, annotation, default, doc)
