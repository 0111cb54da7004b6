"""``make bench-citus``: the distributed domain on a single PostgreSQL and on Citus (issue 12).

Run it with ``make bench-citus`` (1,000 to 100,000 rows), ``make bench-citus BENCH_ARGS=--quick``
(up to 10,000) or ``python -m benchmarks.citus --help``; it writes ``benchmarks/results/citus.*``
and docs/citus.md ("Figures") quotes it. The rooms:

* ``targets``: the servers (a plain node, a coordinator with one worker, one with two, from
  :mod:`batchrepo_codegen.devcluster`), a database with the package's schema placed on each
  (:class:`Target`), and the throwaway placement with ``audit_log`` distributed;
* ``workload``: the rows (owners, parent accounts, postings, audited accounts), the two shapes
  of batch (many owners, one owner) and each operation's start state;
* ``contenders``: one registered function per operation measured (batch methods, a row-by-row
  loop, the audited table's save and update);
* ``cpu``: CPU time per role (client, coordinator, workers) around each job;
* ``runner``: the interleaved loops (operations; audit units of work of 1 and 100 rows);
* ``report``: the markdown (rows/s and ratios side by side, one owner against many, CPU by
  role, the audit placement per unit).
"""
