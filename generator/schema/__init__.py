"""Stage 1, the front end: ``schema.yaml`` (untrusted text) or a schema written in Python to a
checked :class:`SchemaDef`, or one :class:`SchemaError` carrying every problem at once, each
located ``file:line:column`` (or by Python object path).

API for the later stages (:mod:`.parse`, :mod:`.python_source`)::

    load_schema(path, later_checks=()) -> SchemaDef
    parse_schema(text, filename, later_checks=()) -> SchemaDef
    load_python_schema("module:attribute", later_checks=()) -> SchemaDef
    check_python_schema(schema_def_or_mapping, later_checks=()) -> SchemaDef
    is_python_reference(text) -> bool         # "module:attribute" / "file.py:attribute"
    column_types(schema) -> {table: {column: ParsedType}}
    SchemaError(issues)                       # str(): one "file:line:col: path: message" per issue

Modules, in the order a document passes them:

* :mod:`.loader`: safe YAML (no tags, aliases or duplicate keys) -> plain data + positions;
* :mod:`.document`: the pydantic models of the schema language (:class:`SchemaDef`);
* :mod:`.shape`: pydantic's errors as messages people act on;
* :mod:`.checks`: the meaning, every problem at once (tables, naming, values, audit, limits,
  texts, cycles);
* :mod:`.partial`: the meaning of what can be read of a document whose shape is broken, so both
  kinds of problem come in one report;
* :mod:`.parse`: the stage's entry points, above, tying the others together;
* :mod:`.python_source`: the same for a schema written in Python, located by object path.

Shared by the checks and the later stages: :mod:`.types` (column types), :mod:`.names` (how a
schema name becomes an SQL identifier, a Python name, a file name; the names audit adds),
:mod:`.characters` (what may appear raw in a generated file), :mod:`.expressions` (table
check and partial-index expressions: PostgreSQL's parser, the whitelist, canonical text),
:mod:`.declared_keys` (keys as declared, shorthands expanded), :mod:`.issues` (problems and
their locations).
"""
