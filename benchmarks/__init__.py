"""Programs that measure speed, against a real PostgreSQL from :mod:`batchrepo_codegen.devdb`
(embedded, or ``DATABASE_URL``); nothing here asserts behaviour, the test suite does that.

* ``demo/``: ``make demo``, a ledger's banking day row by row against batch
  (``python -m benchmarks.demo``);
* ``bench/``: ``make bench``, batchrepo against raw asyncpg, SQLAlchemy 2 and row-by-row
  loops per operation and size, cold start and streamed imports, written to ``results/``
  (``python -m benchmarks.bench``); beside it, in ``bench/costs/``, the Python-side cost per
  row and two scripts on the runtime tests' hand-written tables;
* ``audit/``: ``make bench-audit``, what auditing and the checks before writing cost
  (``python -m benchmarks.audit``);
* ``citus/``: ``make bench-citus``, the distributed golden domain (``sharded``) on a plain
  PostgreSQL and on Citus with one and two workers it starts itself, one owner against many,
  CPU per role, and the ``audit_log`` placement per unit of work (``python -m benchmarks.citus``;
  docs/citus.md, "Figures");
* ``cold_start``: the first call on a fresh connection with and without the codec hook
  (``python -m benchmarks.cold_start``);
* ``timing``, ``options``: measuring and reporting, shared by all three.

The programs of ``make demo``, ``make bench`` and ``make bench-audit`` import the generated
``ledger`` package, so ``generated/`` must be on ``PYTHONPATH`` (the Makefile targets set it).
"""
