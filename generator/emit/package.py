"""The intermediate model of a generated package: frozen dataclasses in which every name, Python
annotation, import, PostgreSQL type, constraint name and SQL statement is resolved.

``build_ir(schema, source)`` is the only place that decides; the templates print its fields.
Besides resolving, it re-checks what would make the output wrong even if the front end's checks
missed it (names that collide after mapping, SQL names PostgreSQL keeps in one namespace), and
raises :class:`GenerationError` instead of generating broken code.
"""

from __future__ import annotations

import hashlib
import json
import keyword
import shlex
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from batchrepo.contract import CURRENT as CONTRACT_VERSION

from ..model import Column, Enum, GenerationError, Schema, resolve
from ..schema.document import SchemaDef
from ..schema.names import (
    UNIT_OF_WORK_CLASS,
    UNIT_OF_WORK_MEMBERS,
    class_name,
    enum_lookup_name,
    enum_member_name,
    python_name,
    reserved_modules,
)
from .aggregate import AggregateIR, build_aggregate, claimed_names
from .ddl import SchemaDdl, schema_ddl
from .pycode import Import, Scope, docstring
from .pydantic_models import PATH as PYDANTIC_PATH
from .pydantic_models import PydanticModuleIR, build_pydantic_module
from .unit_of_work_module import (
    UNIT_OF_WORK_MODULE,
    UNIT_OF_WORK_PATH,
    UnitOfWorkIR,
    build_unit_of_work,
)

#: The ``__init__`` constant listing the PostgreSQL types of the package's statements.
PG_TYPES = "PG_TYPES"

#: Types every package's statements use whatever its columns: per row NULL flags and exists
#: answers (``bool``), row numbers of array elements (``int4[]``), versions, audit log ids,
#: limits and counts (``int8``, ``int8[]``), the actor and JSON travelling as text.
_FIXED_TYPES = ("bool", "bool[]", "int4[]", "int8", "int8[]", "text", "text[]")

#: Files every package has besides one module per table.
INIT_PATH = "__init__.py"
ENUMS_PATH = "enums.py"
DDL_PATH = "schema.sql"
MARKER_PATH = "py.typed"
#: Beside the package, in the output directory, with ``package_metadata=True``.
METADATA_PATH = "pyproject.toml"

#: The batchrepo releases that provide each runtime contract version: what an installable
#: generated package depends on (the contract, not the generator's own version, is what the
#: generated code needs).
RUNTIME_REQUIREMENTS = {1: "batchrepo>=0.1,<0.2"}


@dataclass(frozen=True, slots=True)
class EnumMember:
    name: str
    value: str
    """String literal of the value."""


@dataclass(frozen=True, slots=True)
class EnumIR:
    sql_name: str
    name: str
    doc: str
    members: tuple[EnumMember, ...]
    lookup: str
    """The module-level mapping from value to member (``PERSON_TYPE_BY_VALUE``)."""
    lookup_type: str
    lookup_value: str


@dataclass(frozen=True, slots=True)
class EnumsModuleIR:
    docstring: str
    imports: tuple[Import, ...]
    base: str
    """``enum.StrEnum``, resolved in the module's scope."""
    enums: tuple[EnumIR, ...]
    top_level_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Reexport:
    module: str
    """Relative module, ``.enums`` or ``.person``."""
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class InitIR:
    docstring: str
    imports: tuple[Import, ...]
    reexports: tuple[Reexport, ...]
    exports: tuple[str, ...]
    """String literals for ``__all__``."""
    resources: str
    pg_types: tuple[str, ...]
    """String literals of :data:`PG_TYPES`: every PostgreSQL type the package's statements bind
    or return, spelled as ``to_regtype()`` reads it (``uuid[]``, ``"person_type"[]``)."""
    top_level_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MetadataIR:
    """``pyproject.toml`` beside the package: a distribution apps install by path or wheel
    (``pip install ./generated``), built by setuptools, with ``schema.sql`` and ``py.typed``
    as package data. Every string is a TOML literal already."""

    header: tuple[str, ...]
    distribution: str
    version: str
    """``0.1.0+schema.<12 hex>``: a digest of the checked schema, so a wheel tells which schema
    it was generated from and a changed schema is a new version."""
    description: str
    requires: tuple[str, ...]
    """The runtime releases that provide the contract the code imports."""
    package: str
    contract: int


@dataclass(frozen=True, slots=True)
class PackageIR:
    package: str
    source: str
    """The schema file, as the header names it."""
    out: str
    command: str
    """The command that regenerates the package."""
    python_header: tuple[str, ...]
    """Comment lines (with ``#``) every Python file starts with."""
    sql_header: tuple[str, ...]
    init: InitIR
    enums: EnumsModuleIR
    aggregates: tuple[AggregateIR, ...]
    unit_of_work: UnitOfWorkIR
    ddl: SchemaDdl
    pydantic: PydanticModuleIR | None = None
    """``pydantic_models.py``, when the schema asks for it."""
    metadata: MetadataIR | None = None
    """Set when the package is generated installable (``--package-metadata``)."""

    def expected_names(self) -> dict[str, tuple[str, ...]]:
        """Top-level names of each Python file, by path relative to the package."""
        names = {
            INIT_PATH: self.init.top_level_names,
            ENUMS_PATH: self.enums.top_level_names,
            UNIT_OF_WORK_PATH: self.unit_of_work.top_level_names,
        }
        names |= {a.path: a.top_level_names for a in self.aggregates}
        names |= {a.table_module.path: a.table_module.top_level_names for a in self.aggregates}
        if self.pydantic is not None:
            names[PYDANTIC_PATH] = self.pydantic.top_level_names
        return names


def build_ir(
    schema: SchemaDef, source: str, out: str = "generated", *, package_metadata: bool = False
) -> PackageIR:
    """Resolve ``schema`` (already checked) into the model the templates print. ``source`` and
    ``out`` are the paths the headers name (as the user gave them); ``package_metadata``: also
    ``pyproject.toml`` beside the package, so apps can install it."""
    for label, path in (("schema path", source), ("output directory", out)):
        if not path or not path.isprintable():
            raise GenerationError(f"the {label} {path!r} has unprintable characters")
    resolved = resolve(schema)
    _check_names(resolved)
    command = f"batchrepo generate --schema {shlex.quote(source)} --out {shlex.quote(out)}"
    if package_metadata:
        command += " --package-metadata"
    enum_classes = {e.name: class_name(e.name) for e in resolved.enums}
    enum_values = {e.name: e.values for e in resolved.enums}
    enum_lookups = {e.name: enum_lookup_name(e.name) for e in resolved.enums}
    aggregates = tuple(
        build_aggregate(t, enum_classes, enum_values, enum_lookups) for t in resolved.tables
    )
    return PackageIR(
        package=resolved.package,
        source=source,
        out=out,
        command=command,
        python_header=(
            f"# Generated by batchrepo from {source}; do not edit.",
            f"# Regenerate with: {command}",
            f"# Needs batchrepo runtime contract v{CONTRACT_VERSION} (batchrepo.contract).",
        ),
        sql_header=(
            f"-- Generated by batchrepo from {source}; do not edit.",
            f"-- Regenerate with: {command}",
        ),
        init=_init(resolved, aggregates, list(enum_classes.values())),
        enums=_enums(resolved, enum_classes),
        aggregates=aggregates,
        unit_of_work=build_unit_of_work(resolved.package, aggregates),
        ddl=schema_ddl(resolved),
        pydantic=(
            build_pydantic_module(resolved, aggregates, enum_classes)
            if resolved.pydantic_models
            else None
        ),
        metadata=_metadata(schema, resolved, source, command) if package_metadata else None,
    )


def _metadata(schema: SchemaDef, resolved: Schema, source: str, command: str) -> MetadataIR:
    digest = hashlib.sha256(schema.model_dump_json().encode()).hexdigest()[:12]
    description = resolved.description or f"Batch repositories of the {resolved.package} schema."
    return MetadataIR(
        header=(
            f"# Generated by batchrepo from {source}; do not edit.",
            f"# Regenerate with: {command}",
            "# Install: pip install <this folder>, or build a wheel: pip wheel <this folder>",
        ),
        distribution=_toml(resolved.package.replace("_", "-")),
        version=_toml(f"0.1.0+schema.{digest}"),
        description=_toml(" ".join(description.split())),
        requires=(_toml(RUNTIME_REQUIREMENTS[CONTRACT_VERSION]),),
        package=_toml(resolved.package),
        contract=CONTRACT_VERSION,
    )


def _toml(text: str) -> str:
    """A TOML basic string: JSON's escapes (``ensure_ascii``) are all valid TOML escapes."""
    return json.dumps(text, ensure_ascii=True)


def _enums(schema: Schema, classes: dict[str, str]) -> EnumsModuleIR:
    lookups = {e.name: enum_lookup_name(e.name) for e in schema.enums}
    scope = Scope({*classes.values(), *lookups.values()}, ("typing", "Any"))
    base = f"{scope.module('enum')}.StrEnum" if schema.enums else ""
    enums = tuple(_enum(e, classes[e.name], lookups[e.name], scope) for e in schema.enums)
    imports = scope.imports()
    names = {*(i.bound for i in imports), *classes.values(), *lookups.values()}
    return EnumsModuleIR(
        docstring=docstring(
            f"Enumerated types of the {schema.package} schema."
            + (_LOOKUP_NOTE if schema.enums else "")
        ),
        imports=imports,
        base=base,
        enums=enums,
        top_level_names=tuple(sorted(names)),
    )


_LOOKUP_NOTE = (
    "\n\nBeside each class, its members by value (``<ENUM>_BY_VALUE``): rows are decoded\n"
    "with a dict lookup, a fraction of the cost of calling the class."
)


def _enum(enum: Enum, name: str, lookup: str, scope: Scope) -> EnumIR:
    final = scope.name("typing", "Final")
    mapping = scope.name("collections.abc", "Mapping")
    return EnumIR(
        sql_name=enum.name,
        name=name,
        doc=docstring(enum.description or f"Values of the enum type {enum.name}."),
        members=tuple(EnumMember(enum_member_name(v), repr(v)) for v in enum.values),
        lookup=lookup,
        lookup_type=f"{final}[{mapping}[{scope.builtin('str')}, {name}]]",
        lookup_value=f"{{member.value: member for member in {name}}}",
    )


def _init(schema: Schema, aggregates: tuple[AggregateIR, ...], enums: list[str]) -> InitIR:
    reexports = [Reexport(".enums", tuple(enums))] if enums else []
    reexports += [Reexport(f".{a.module}", (a.entity, a.key, a.repository)) for a in aggregates]
    reexports.append(Reexport(UNIT_OF_WORK_MODULE, (UNIT_OF_WORK_CLASS,)))
    exported = [name for r in reexports for name in r.names]
    # Class names never hold "_", so PG_TYPES cannot meet a re-exported name.
    scope = Scope({*exported, "ddl", PG_TYPES}, ("typing", "Any"))
    resources = scope.name("importlib", "resources")
    imports = scope.imports()
    names = {*(i.bound for i in imports), *exported, "ddl", PG_TYPES, "__all__"}
    description = schema.description or f"Batch repositories of the {schema.package} schema."
    return InitIR(
        docstring=docstring(description),
        imports=imports,
        reexports=tuple(reexports),
        exports=tuple(repr(n) for n in [*exported, PG_TYPES, "ddl"]),
        resources=resources,
        pg_types=tuple(repr(name) for name in statement_types(schema)),
        top_level_names=tuple(sorted(names)),
    )


def statement_types(schema: Schema) -> tuple[str, ...]:
    """Every PostgreSQL type the package's statements bind or return, sorted.

    asyncpg learns the codec of an array or enum type from the catalog the first time a
    statement on a connection uses it (10-20 ms on a fresh connection); with this list the
    runtime (``batchrepo.create_pool``, ``batchrepo.TypeCodecs``) learns them all once per pool.
    Per column: the type its values are bound as (``sql_cast``: ``text`` for varchar, ``bpchar``
    for char(n)) and the type rows come back as (``varchar``), each also as an array (batch
    statements bind arrays); plus :data:`_FIXED_TYPES`. A superset is harmless; a type missing
    here is introspected on first use as before (``tests/runtime/db`` prepares every statement
    of every golden package and finds no introspection left)."""
    names = set(_FIXED_TYPES)
    for table in schema.tables:
        for column in table.columns:
            if column.type.kind == "jsonb":
                names.add("jsonb")  # bound as text (in _FIXED_TYPES), returned as jsonb
                continue
            for base in (column.sql_cast, _stored_type(column)):
                names |= {base, base + "[]"}
    return tuple(sorted(names))


def _stored_type(column: Column) -> str:
    """The column's type without its typmod, as result rows carry it."""
    if column.type.fixed_length:
        return "bpchar"
    if column.type.length is not None:
        return "varchar"
    return column.type.cast


def _duplicates(values: Iterable[str]) -> list[str]:
    return sorted(name for name, count in Counter(values).items() if count > 1)


def _check_names(schema: Schema) -> None:
    """What the generated package needs distinct, whatever the front end checked."""
    problems: list[str] = []
    if not schema.package.isidentifier() or keyword.iskeyword(schema.package):
        problems.append(f"package {schema.package!r} is not a Python identifier")
    modules = [python_name(t.name) for t in schema.tables]
    clashing = _duplicates(m.casefold() for m in modules)
    clashing += sorted(m for m in modules if m in reserved_modules(schema.pydantic_models))
    if clashing:
        problems.append(f"tables map to the same or a reserved module name: {clashing}")
    exported = [class_name(e.name) for e in schema.enums]
    exported += [n for t in schema.tables for n in set(claimed_names(t))]
    if duplicated := _duplicates([*exported, "ddl", UNIT_OF_WORK_CLASS]):
        problems.append(f"generated Python names collide: {duplicated}")
    if hidden := sorted(m for m in modules if m in UNIT_OF_WORK_MEMBERS):
        problems.append(f"tables would hide members of the runtime's UnitOfWork: {hidden}")
    relations = [t.name for t in (*schema.tables, *schema.audit_tables)]
    relations += [e.name for e in (*schema.enums, *schema.audit_enums)]
    for t in (*schema.tables, *schema.audit_tables):
        relations += [t.primary_key.constraint, *(u.constraint for u in t.uniques)]
        relations += [fk.constraint for fk in t.foreign_keys]
        relations += [c.constraint for col in t.columns for c in col.checks]
        relations += [i.name for i in t.indexes]
        if not t.insert_columns:
            problems.append(f"table {t.name!r} has nothing to insert besides its identity key")
        attrs = [python_name(c.name) for c in t.columns]
        if duplicated := _duplicates(attrs):
            problems.append(f"table {t.name!r}: columns map to the same attribute: {duplicated}")
    if duplicated := _duplicates(relations):
        problems.append(f"SQL names collide (tables, types, constraints, indexes): {duplicated}")
    if duplicated := _duplicates(enum_lookup_name(e.name) for e in schema.enums):
        problems.append(f"enums map to the same value lookup in enums.py: {duplicated}")
    for e in schema.enums:
        if duplicated := _duplicates(enum_member_name(v) for v in e.values):
            problems.append(f"enum {e.name!r}: values map to the same member: {duplicated}")
    if problems:
        raise GenerationError("; ".join(problems))
