"""Stage 3, emission: the resolved :class:`~batchrepo_codegen.model.Schema` to the frozen
intermediate model of the generated package, with every name, annotation, import, PostgreSQL
type and SQL statement resolved, so the templates only loop, branch and print.

API for the later stages (:mod:`.package`)::

    build_ir(schema: SchemaDef, source, out="generated") -> PackageIR
    PackageIR.expected_names()                # the top-level names each module must bind

Modules:

* :mod:`.package`: :class:`PackageIR` and ``build_ir``; the enums module and ``__init__``;
* :mod:`.aggregate`: one aggregate module (entity, key, converters, ``TableSpec``, repository);
* :mod:`.table_module`: its private sibling ``_<table>_table.py``, the table as the runtime sees
  it: one constant per statement, then the spec's data parts (``COLUMNS``, ``SQL``, ...);
* :mod:`.table_spec`: the ``TableSpec`` and its parts; :mod:`.repository`: the repository methods;
* :mod:`.unit_of_work_module`: the package's ``UnitOfWork`` subclass;
* :mod:`.pydantic_models`: ``pydantic_models.py``, when the schema asks for it;
* :mod:`.sql`: every statement of a table; :mod:`.audit_sql`: those of audited tables;
* :mod:`.ddl`: ``schema.sql``; :mod:`.pycode`: imports, annotations, literals, docstrings.
"""
