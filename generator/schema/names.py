"""Naming rules: how schema names become SQL identifiers, Python names and file names.

Schema names are untrusted input (field notes part 5): each is validated for every place it lands,
and each place has exactly one function here that renders it, so no template ever builds a name.
"""

from __future__ import annotations

import hashlib
import keyword
import re
import unicodedata

from .characters import code_points, hidden_characters

#: PostgreSQL truncates identifiers longer than this many bytes (NAMEDATALEN - 1).
IDENTIFIER_MAX_BYTES = 63

#: Module names the generated package uses for itself; no table may take them.
RESERVED_MODULES = frozenset({"__init__", "enums", "py", "schema", "unit_of_work"})

#: The module of the pydantic models, in a package that asks for them (``pydantic_models``).
PYDANTIC_MODULE = "pydantic_models"


def reserved_modules(pydantic_models: bool) -> frozenset[str]:
    """The module names no table may take in a package (with or without pydantic models)."""
    return RESERVED_MODULES | {PYDANTIC_MODULE} if pydantic_models else RESERVED_MODULES


#: The package's unit of work class (``unit_of_work.py``, re-exported by ``__init__``).
UNIT_OF_WORK_CLASS = "UnitOfWork"

#: Public members of the runtime's ``batchrepo.unit_of_work.UnitOfWork`` (and a few it may grow):
#: the generated subclass names a property after each table, which must not hide one of them.
UNIT_OF_WORK_MEMBERS = frozenset(
    {
        "actor", "after_commit", "audit_log_for", "audit_log_id", "cache", "cache_layer",
        "cache_only", "commit", "connection", "require_active", "rollback", "savepoint",
        "session",
    }
)  # fmt: skip

#: Names the generated modules import at module level (runtime, typing, collections.abc). A class
#: the schema names the same (``enums: {table_spec: ...}`` -> ``TableSpec``) would shadow them.
IMPORTED_NAMES = frozenset(
    {
        "Any", "AuditSpec", "BatchResult", "ColumnSpec", "Executor", "Final", "ForeignKeySpec",
        "Mapping", "NamedTuple", "Sequence", "Session", "TableSQL", "TableSpec", "UniqueSpec",
        "ValidationReport", "as_session",
        "WriteMode", "annotations", "dataclasses", "datetime", "decimal", "enum", "resources",
        "uuid",
    }
)  # fmt: skip


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a table, column, enum or key name; None when it can."""
    if not name:
        return "is empty"
    # A plain space is merely not an identifier character (reported below), not an invisible one.
    bad = hidden_characters(name)
    if bad:
        return f"contains invisible or control characters ({code_points(bad)})"
    if not name.isidentifier():
        return "contains characters that do not belong in an identifier (letters, digits, _)"
    if name.startswith("_"):
        return "starts with '_', which is reserved for generated helpers"
    size = len(name.encode("utf-8"))
    if size > IDENTIFIER_MAX_BYTES:
        return (
            f"is {size} bytes long; PostgreSQL truncates identifiers to "
            f"{IDENTIFIER_MAX_BYTES} bytes, so two long names could silently become one"
        )
    return None


def quote_ident(name: str) -> str:
    """A SQL identifier, always quoted (names are validated, quoting keeps case and keywords)."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    """A SQL string literal that reads the same whatever ``standard_conforming_strings`` is, and
    shows every character that would not show as itself as an escape.

    A plain ``'...'`` (quotes doubled) means the same text in both settings as long as it holds
    no backslash. A text with a backslash, or with a character that must not appear raw in a
    reviewed file (a control, a bidi override, an invisible character:
    :mod:`.characters`), becomes an escape string ``E'...'``, which both settings read alike:
    backslashes doubled, those characters as ``\\uXXXX`` or ``\\UXXXXXXXX`` (the newline stays
    a line break). NUL and lone surrogates have no escape PostgreSQL accepts; the front end
    refuses them."""
    quoted = text.replace("'", "''")
    hidden = set(hidden_characters(text)) - {"\n"}
    if "\\" not in text and not hidden:
        return "'" + quoted + "'"
    escaped = quoted.replace("\\", "\\\\")
    for ch in hidden:
        code = ord(ch)
        escaped = escaped.replace(ch, f"\\u{code:04X}" if code < 0x10000 else f"\\U{code:08X}")
    return "E'" + escaped + "'"


def python_name(name: str) -> str:
    """The Python identifier for a schema name: NFKC-normalised as Python itself would, and a
    keyword gets a trailing underscore (``class`` -> ``class_``)."""
    normal = unicodedata.normalize("NFKC", name)
    if keyword.iskeyword(normal):
        return normal + "_"
    return normal


def class_name(name: str) -> str:
    """``country_subdivision`` -> ``CountrySubdivision``."""
    parts = [p for p in python_name(name).rstrip("_").split("_") if p]
    return "".join(p[:1].upper() + p[1:] for p in parts)


def _constant_stem(name: str) -> str:
    return python_name(name).rstrip("_").upper()


def constant_name(name: str) -> str:
    """``country_subdivision`` -> ``COUNTRY_SUBDIVISION_TABLE`` (the module's TableSpec
    constant). Class names (:func:`class_name`) never hold a ``_``, so the suffix keeps the
    constant apart from the entity class even for names without lower-case letters (``t``,
    ``x1``, ``表``)."""
    return _constant_stem(name) + "_TABLE"


def table_module_name(table: str) -> str:
    """``person`` -> ``_person_table``: the module holding table ``person`` as the runtime sees
    it (columns, keys, statements), which its aggregate module's ``TableSpec`` is built from.
    Private, and never a table's module: no schema name starts with ``_``."""
    return "_" + python_name(table) + "_table"


def statement_name(role: str, name: str) -> str:
    """``("PROBE_UNIQUE", "external_identifier")`` -> ``PROBE_UNIQUE_EXTERNAL_IDENTIFIER``: the
    constant of a key's statement in a table's module (:func:`table_module_name`)."""
    return f"{role}_{_constant_stem(name)}"


def enum_lookup_name(name: str) -> str:
    """``person_type`` -> ``PERSON_TYPE_BY_VALUE``: the mapping from value to member that
    ``enums.py`` defines beside each enum class, for decoding rows."""
    return _constant_stem(name) + "_BY_VALUE"


def enum_member_name(value: str) -> str:
    """The member name of an enum value: ``legal entity`` -> ``LEGAL_ENTITY``, ``2fa`` ->
    ``V_2FA``."""
    normal = unicodedata.normalize("NFKC", value).upper()
    member = re.sub(r"\W+", "_", normal).strip("_")
    if not member:
        return "V_" + hashlib.sha256(value.encode()).hexdigest()[:8].upper()
    if not member.isidentifier() or keyword.iskeyword(member):
        member = "V_" + member
    return member


def derived_identifier(*parts: str) -> str:
    """A name PostgreSQL will keep as is, built from ``parts`` joined by ``_``.

    When the plain join exceeds 63 bytes it is cut on a character boundary and ends with eight
    hex digits of a hash of the full name, so distinct long names stay distinct and stable.
    """
    full = "_".join(parts)
    if len(full.encode("utf-8")) <= IDENTIFIER_MAX_BYTES:
        return full
    digest = hashlib.sha256(full.encode("utf-8")).hexdigest()[:8]
    budget = IDENTIFIER_MAX_BYTES - len(digest) - 1
    cut = full.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
    return f"{cut}_{digest}"


# The names an audited table adds (built in batchrepo_codegen.model.audit_tables); they live
# here so the front end's checks can reject schema names that would meet them.
AUDIT_LOG = "audit_log"
AUDIT_OPERATION = "audit_operation"
OPERATIONS = ("insert", "update", "delete")
VERSION = "version"
HISTORY_ID = "history_id"
OPERATION = "operation"
AUDIT_LOG_ID = "audit_log_id"

#: Columns an audited table may not declare: its own version column, and the columns its history
#: table adds beside the snapshot (they would appear twice there).
RESERVED_COLUMNS = (VERSION, HISTORY_ID, OPERATION, AUDIT_LOG_ID)


def history_table_name(table: str) -> str:
    return derived_identifier(table, "history")
