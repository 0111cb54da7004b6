"""Property tests: the batch path and the single-row path agree, on a real PostgreSQL.

Every operation runs twice, on two databases with the same DDL: once as one batch call, once as
single-row calls in a loop inside one transaction. After every step both outcomes and both
databases must be equal. Shared by both machines:

* ``twin``: the two databases, their event loop, canonical rows;
* ``outcome``: one operation on both sides, reduced to comparable outcomes;
* ``profiles``: Hypothesis settings (``BATCHREPO_PROPERTY_PROFILE=ci|long`` and friends);
* ``packages``: generating a package from a schema and finding its TableSpecs;
* ``strategies/``: ``values`` (value strategies from a ColumnSpec: valid, one step outside a
  bound, samples; ``checked_values`` for the column checks ``in``, exclusive bounds and
  trimmed lengths), ``rows`` (entities, keys and parent rows from a TableSpec), ``batches`` (write
  batches built from drawn parts and tweaks, and the duplicate-key model); ``test_values``: the
  strategies against the runtime's validation.

``equivalence/``: the stateful machine over one table (``machine``: rules, bundle of keys,
checks; ``known``: open bugs it tolerates while they are being fixed); ``test_equivalence`` runs
it on the ``tests/golden/codegen/shapes`` tables and on tables of ``generated/ledger``;
``test_planted_bug``: it catches a broken update_batch; ``test_equivalence_examples``: the
minimal examples of what it found, kept as explicit tests.

``test_column_checks``: the runtime's column checks refuse exactly what the database's CHECK
constraints refuse (``in``, exclusive bounds, trimmed lengths on the shapes' ``ruled`` table).

``units_of_work/``: the machine of units of work on the audited golden package (``machine``, the
calls on both sides, the checks after every step, the driver holding a unit open across steps,
the two sides); ``test_units_of_work`` runs it, ``test_planted_bug``: it catches a key cache
that learns before COMMIT.
"""
