"""Migrations: the SQL that carries a database from the schema at a base to the current one,
and the proof, by PostgreSQL's catalog, that the migrations lead where the DDL does.

API::

    plan_migration(old, new, allow_destructive=False) -> Migration   # planner.py
    schema_fingerprint(schema) -> str         # recorded in each migration file
    run_migrate(MigrateRequest) -> int        # command.py: `batchrepo migrate`
    missing_migration(schema, folder) -> str | None                  # for `batchrepo check`
    verify_folder(schema_path, folder) -> [difference]               # verify.py, needs a database

Modules, in planning order: :mod:`.base_schema` (the schema a migration starts from),
:mod:`.match` (which old table and column each new one is), :mod:`.diff` (the steps by phase),
:mod:`.columns` and :mod:`.renames` (the steps of two phases), :mod:`.type_changes` (widening
or not), :mod:`.statements` (the SQL of each step, built from the DDL's pieces),
:mod:`.phases` (a plan being built), :mod:`.planner` (the entry point), :mod:`.files` (the
numbered files), :mod:`.command` (the CLI), :mod:`.verify` (replay against the catalog).
"""
