"""Naming checks: every name valid where it lands, and no two names landing on the same spot.

Schema names become SQL identifiers, Python names, class names and file names (field notes
part 5). Each is checked with :func:`names.name_problem`; then each place where two names could
meet is checked after the renaming that place applies:

* Python names (NFKC-normalised, keywords get ``_``) within one scope: the columns of a table,
  the tables, the enums, the unique keys and the foreign keys of a table;
* class names across the package: per table the entity ``Person``, its key ``PersonKey`` and its
  repository ``PersonRepository``; per enum ``PersonType``;
* module files (one per table, named by its Python name) case-insensitively, as macOS and
  Windows file systems fold case, and against :data:`names.RESERVED_MODULES`;
* enum members after :func:`names.enum_member_name`;
* PostgreSQL types: a table creates a type of its name, so an enum may not share it.
"""

from __future__ import annotations

import keyword
import sys
import unicodedata
from collections.abc import Iterable

from .. import names
from ..characters import code_points, hidden_characters
from ..declared_keys import PRIMARY_KEY_NAME, foreign_keys, unique_keys
from ..document import SchemaDef, TableDef
from ..issues import Path, Problem, format_path
from ..types import BUILT_IN_TYPE_NAMES

#: Top-level modules a generated package must not shadow once its directory is on sys.path.
_TAKEN_PACKAGES = frozenset(sys.stdlib_module_names) | {"batchrepo", "batchrepo_codegen", "asyncpg"}


def naming_problems(schema: SchemaDef) -> list[Problem]:
    """Every problem with the names of ``schema``, in document order."""
    problems = _package_problems(schema.package)
    for enum_name, enum in schema.enums.items():
        problems += _name(("enums", enum_name), "enum", enum_name)
        if enum_name.lower() in BUILT_IN_TYPE_NAMES:
            message = f"enum name {enum_name!r} is a built-in type name; rename the enum"
            problems.append(Problem(("enums", enum_name), message, at_key=True))
        if enum_name in schema.tables:
            problems.append(
                Problem(
                    ("enums", enum_name),
                    f"enum {enum_name!r} has the name of a table; PostgreSQL creates a type "
                    "named after every table, so rename one of them",
                    at_key=True,
                )
            )
        problems += _enum_value_problems(enum_name, enum.values)
    for table_name, table in schema.tables.items():
        problems += _name(("tables", table_name), "table", table_name)
        base = ("tables", table_name)
        if table.renamed_from is not None:
            problems += _renamed_from((*base, "renamed_from"), "table", table.renamed_from)
        for column, definition in table.columns.items():
            problems += _name((*base, "columns", column), "column", column)
            if definition.renamed_from is not None:
                path: Path = (*base, "columns", column, "renamed_from")
                problems += _renamed_from(path, "column", definition.renamed_from)
        for what, section, keys in (
            ("unique key", "unique", list(table.unique)),
            ("foreign key", "foreign_keys", list(table.foreign_keys)),
            ("index", "indexes", list(table.indexes)),
            ("check", "checks", list(table.checks)),
        ):
            for key in keys:
                problems += _name((*base, section, key), what, key)
        problems += _constraint_names(base, table)
        if table.class_name is not None:
            problems += _explicit_class_name((*base, "class_name"), table.class_name)
        problems += _same_python_name("column", [((*base, "columns", c), c) for c in table.columns])
        problems += _key_name_problems(table_name, schema)
    problems += _same_python_name("table", [(("tables", t), t) for t in schema.tables])
    problems += _same_python_name("enum", [(("enums", e), e) for e in schema.enums])
    problems += _module_problems(schema)
    problems += _class_name_problems(schema)
    return problems


def _name(path: Path, what: str, name: str) -> list[Problem]:
    problem = names.name_problem(name)
    if problem is None:
        return []
    return [Problem(path, f"{what} name {name!r} {problem}", at_key=True)]


def _constraint_names(base: Path, table: TableDef) -> list[Problem]:
    """Explicit SQL names (``constraint:``, ``primary_key_constraint``) are identifiers like any
    other name; collisions among all SQL names are :mod:`..model.sql_names`' concern."""
    explicit: list[tuple[Path, str]] = []
    if table.primary_key_constraint is not None:
        explicit.append(((*base, "primary_key_constraint"), table.primary_key_constraint))
    for name, unique in table.unique.items():
        if unique.constraint is not None:
            explicit.append(((*base, "unique", name, "constraint"), unique.constraint))
    for name, foreign_key in table.foreign_keys.items():
        if foreign_key.constraint is not None:
            explicit.append(((*base, "foreign_keys", name, "constraint"), foreign_key.constraint))
    problems = []
    for path, name in explicit:
        problem = names.name_problem(name)
        if problem is not None:
            problems.append(Problem(path, f"constraint name {name!r} {problem}"))
    return problems


def _explicit_class_name(path: Path, name: str) -> list[Problem]:
    """A ``class_name`` is a Python identifier that stays itself (collisions and keywords are
    :func:`_class_name_problems`' concern)."""
    problem = names.name_problem(name)
    if problem is None and unicodedata.normalize("NFKC", name) != name:
        problem = "changes under NFKC normalisation, so Python would read it as another name"
    if problem is None:
        return []
    return [Problem(path, f"class name {name!r} {problem}")]


def _renamed_from(path: Path, what: str, name: str) -> list[Problem]:
    """A previous name was a valid name once (a migration only uses it when it was)."""
    problem = names.name_problem(name)
    if problem is None:
        return []
    return [Problem(path, f"renamed_from: {what} name {name!r} {problem}")]


def _package_problems(package: str) -> list[Problem]:
    path: Path = ("package",)
    problem = names.name_problem(package)
    if problem is not None:
        return [Problem(path, f"package name {package!r} {problem}")]
    normal = unicodedata.normalize("NFKC", package)
    if normal != package:
        return [
            Problem(
                path,
                f"package name {package!r} changes under NFKC normalisation, so Python would "
                f"import it as {normal!r}; write {normal!r}",
            )
        ]
    if keyword.iskeyword(package):
        return [
            Problem(path, f"package name {package!r} is a Python keyword; it cannot be imported")
        ]
    if package in _TAKEN_PACKAGES:
        return [
            Problem(
                path,
                f"package name {package!r} would shadow the module {package!r} that Python or "
                "batchrepo imports; choose another name",
            )
        ]
    return []


def _enum_value_problems(enum_name: str, values: list[str]) -> list[Problem]:
    problems = []
    seen: dict[str, int] = {}
    members: dict[str, str] = {}
    for index, value in enumerate(values):
        path: Path = ("enums", enum_name, "values", index)
        problem = _enum_value_problem(value)
        if problem is not None:
            problems.append(Problem(path, f"enum value {value!r} {problem}"))
            continue
        if value in seen:
            message = f"duplicate enum value {value!r} (also at position {seen[value] + 1})"
            problems.append(Problem(path, message))
            continue
        seen[value] = index
        member = names.enum_member_name(value)
        if member in members:
            problems.append(
                Problem(
                    path,
                    f"enum values {members[member]!r} and {value!r} both become the Python "
                    f"member {enum_name}.{member}; rename one of them",
                )
            )
            continue
        members[member] = value
    return problems


def _enum_value_problem(value: str) -> str | None:
    if not value.strip():
        return "is blank"
    bad = hidden_characters(value)
    if bad:
        return f"contains invisible or control characters ({code_points(bad)})"
    size = len(value.encode("utf-8"))
    if size > names.IDENTIFIER_MAX_BYTES:
        return (
            f"is {size} bytes long; PostgreSQL allows at most "
            f"{names.IDENTIFIER_MAX_BYTES} bytes in an enum label"
        )
    return None


def _why(name: str) -> str:
    """Why a name's Python name differs from it, for messages."""
    normal = unicodedata.normalize("NFKC", name)
    if normal != name:
        return " (Python reads identifiers NFKC-normalised)"
    if keyword.iskeyword(normal):
        return " (a Python keyword gets a trailing '_')"
    return ""


def _same_python_name(what: str, entries: Iterable[tuple[Path, str]]) -> list[Problem]:
    """Two names of one scope that become the same Python name."""
    problems = []
    taken: dict[str, str] = {}
    for path, name in entries:
        if names.name_problem(name) is not None:
            continue
        python = names.python_name(name)
        first = taken.setdefault(python, name)
        if first != name:
            why = _why(name) or _why(first)
            problems.append(
                Problem(
                    path,
                    f"{what} {name!r} becomes the Python name {python!r}, as {what} {first!r} "
                    f"does{why}; rename one of them",
                    at_key=True,
                )
            )
    return problems


def _key_name_problems(table_name: str, schema: SchemaDef) -> list[Problem]:
    """Unique keys and foreign keys: one name each (shorthands included), distinct Python names
    (they name the generated ``load_batch_by_<name>``/``load_grouped_by_<name>`` methods)."""
    table = schema.tables[table_name]
    problems = []
    for what, keys in (
        ("unique key", [(key.name, key.path) for key in unique_keys(table_name, table)]),
        ("foreign key", [(key.name, key.path) for key in foreign_keys(table_name, table)]),
    ):
        seen: dict[str, Path] = {}
        for name, path in keys:
            if what == "unique key" and name == PRIMARY_KEY_NAME:
                message = f"unique key name {name!r} is reserved for the primary key; rename it"
                problems.append(Problem(path, message, at_key=True))
            if name in seen:
                problems.append(
                    Problem(
                        path,
                        f"{what} name {name!r} is already used by the {what} declared at "
                        f"{format_path(seen[name])}; rename one of them",
                        at_key=True,
                    )
                )
            seen.setdefault(name, path)
        problems += _same_python_name(what, [(path, name) for name, path in seen.items()])
    return problems


def _module_problems(schema: SchemaDef) -> list[Problem]:
    problems = []
    files: dict[str, str] = {}
    for table_name in schema.tables:
        if names.name_problem(table_name) is not None:
            continue
        module = names.python_name(table_name)
        path: Path = ("tables", table_name)
        if module in names.UNIT_OF_WORK_MEMBERS:
            problems.append(
                Problem(
                    path,
                    f"table {table_name!r} would be the property UnitOfWork.{module}, which "
                    "would hide the runtime UnitOfWork's own member of that name; rename the table",
                    at_key=True,
                )
            )
        if module.casefold() in names.reserved_modules(schema.pydantic_models):
            problems.append(
                Problem(
                    path,
                    f"table {table_name!r} would be written to {module}.py, a module the "
                    "generated package uses itself; rename the table",
                    at_key=True,
                )
            )
            continue
        first = files.setdefault(module.casefold(), table_name)
        first_module = names.python_name(first)
        if first != table_name and first_module != module:
            problems.append(
                Problem(
                    path,
                    f"table {table_name!r} would be written to {module}.py, which differs only "
                    f"in case from {first_module}.py (table {first!r}); case-insensitive file "
                    "systems would merge them, so rename one of them",
                    at_key=True,
                )
            )
    return problems


def _class_name_problems(schema: SchemaDef) -> list[Problem]:
    """The package's module-level names that travel between its modules (classes, ``TableSpec``
    constants, the enums' value-to-member mappings): distinct across the package, as
    ``__init__`` re-exports them together, and never a keyword (``None``)."""
    problems = []
    # The package's own ddl() function is exported beside them.
    taken: dict[str, tuple[str, str]] = {
        "ddl": ("the package's ddl() function", "the package"),
        names.UNIT_OF_WORK_CLASS: ("the package's unit of work class", "the package"),
    }
    for imported in names.IMPORTED_NAMES:
        taken[imported] = ("a name the generated modules import", "the generated code")
    reported: set[tuple[str, str]] = set()
    for path, owner, role, exported in _exported_names(schema):
        if keyword.iskeyword(exported):
            problems.append(
                Problem(
                    path,
                    f"{owner} would get the {role} name {exported!r}, a Python keyword; rename it",
                    at_key=True,
                )
            )
            continue
        described = f"the {role} of {owner}"
        first, first_owner = taken.setdefault(exported, (described, owner))
        if first != described and (owner, first_owner) not in reported:
            # One message per pair of owners: FooBar clashing implies FooBarKey clashes too.
            reported.add((owner, first_owner))
            if first_owner == owner:
                # Only a name without lower-case letters ('t', 'PERSON') does this.
                message = (
                    f"{owner} needs the name {exported!r} for its {role} and its "
                    f"{first.removeprefix('the ').removesuffix(' of ' + owner)} alike (it has "
                    "no lower-case letters to tell them apart); rename the table"
                )
            else:
                fix = "rename it" if first_owner == "the generated code" else "rename one of them"
                message = (
                    f"{owner} needs the {role} name {exported!r}, which is already {first}; {fix}"
                )
            problems.append(Problem(path, message, at_key=True))
    return problems


def _exported_names(schema: SchemaDef) -> list[tuple[Path, str, str, str]]:
    """(path, owner, role, name) of every name the package exports, in document order."""
    exported: list[tuple[Path, str, str, str]] = []
    for enum_name in schema.enums:
        if names.name_problem(enum_name) is not None:
            continue
        path: Path = ("enums", enum_name)
        owner = f"enum {enum_name!r}"
        exported.append((path, owner, "enum class", names.class_name(enum_name)))
        lookup = names.enum_lookup_name(enum_name)
        exported.append((path, owner, "value-to-member mapping", lookup))
    for table_name in schema.tables:
        if names.name_problem(table_name) is not None:
            continue
        path = ("tables", table_name)
        owner = f"table {table_name!r}"
        entity = names.class_name(table_name)
        explicit = schema.tables[table_name].class_name
        if explicit is not None:
            path, entity = (*path, "class_name"), explicit
        exported.append((path, owner, "entity class", entity))
        exported.append((path, owner, "key class", entity + "Key"))
        exported.append((path, owner, "repository class", entity + "Repository"))
        exported.append((path, owner, "TableSpec constant", names.constant_name(table_name)))
    return exported
