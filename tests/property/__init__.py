"""Property tests: the batch path and the single-row path agree, on a real PostgreSQL.

Every operation runs twice, on two databases with the same DDL: once as one batch call, once as
single-row calls in a loop inside one transaction. After every step both outcomes and both
databases must be equal. Modules:

* ``values``: value strategies from a ColumnSpec (valid, one step outside a bound, samples);
* ``rows``: entities, keys and parent rows from a TableSpec;
* ``batches``: write batches built from drawn parts and tweaks, and the duplicate-key model;
* ``twin``: the two databases, their event loop, canonical rows;
* ``outcome``: one operation on both sides, reduced to comparable outcomes;
* ``machine``: the stateful machine over one table (rules, bundle of keys, checks);
* ``known``: open bugs the machine tolerates while they are being fixed;
* ``profiles``: Hypothesis settings (``BATCHREPO_PROPERTY_PROFILE=ci|long`` and friends);
* ``packages``: generating a package from a schema and finding its TableSpecs;
* ``test_equivalence``: the machine on the ``tests/golden/shapes`` tables and on tables of
  ``generated/ledger``; ``test_planted_bug``: the machine catches a broken update_batch;
  ``test_found_bugs``: reproductions of what it found; ``test_values``: the strategies against
  the runtime's validation.
"""
