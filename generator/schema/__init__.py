"""Stage 1, the front end: ``schema.yaml`` (untrusted text) to a checked :class:`SchemaDef`, or
one :class:`SchemaError` carrying every problem at once, each located ``file:line:column``.

API for the later stages (:mod:`.parse`)::

    load_schema(path, later_checks=()) -> SchemaDef
    parse_schema(text, filename, later_checks=()) -> SchemaDef
    column_types(schema) -> {table: {column: ParsedType}}
    SchemaError(issues)                       # str(): one "file:line:col: path: message" per issue

Modules, in the order a document passes them:

* :mod:`.loader`: safe YAML (no tags, aliases or duplicate keys) -> plain data + positions;
* :mod:`.document`: the pydantic models of the schema language (:class:`SchemaDef`);
* :mod:`.shape`: pydantic's errors as messages people act on;
* :mod:`.checks`: the meaning, every problem at once (tables, naming, values, audit);
* :mod:`.parse`: the stage's entry points, above, tying the others together.

Shared by the checks and the later stages: :mod:`.types` (column types), :mod:`.names` (how a
schema name becomes an SQL identifier, a Python name, a file name; the names audit adds),
:mod:`.declared_keys` (keys as declared, shorthands expanded), :mod:`.issues` (problems and
their locations).
"""
