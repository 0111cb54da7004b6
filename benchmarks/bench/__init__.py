"""``make bench``: batchrepo against its peers, in one process, written to ``benchmarks/results/``.

Run it with ``make bench`` (100 to 100,000 rows), ``make bench-quick`` (up to 10,000) or
``python -m benchmarks.bench --help``. The rooms:

* ``registry``: :class:`Contender`, :func:`contender` (the decorator that registers one),
  :class:`Work` (an operation's input); ``contenders/``: every registered contender, one small
  function each (batchrepo's paths, row-by-row loops, raw asyncpg, SQLAlchemy 2);
* ``workload``: :class:`Lane` (a table: package, database, connection) and each operation's
  start state; ``rows``: the entities every contender writes (:class:`RowFactory`, also used by
  ``benchmarks.audit``);
* ``runner``: the loop over sizes, repetitions, operations and contenders in rotating order;
  ``cold_start``: first call on a fresh connection against a warm one; ``streamed``: imports
  from a generator in a child process each, with peak RSS; ``proxy``: the loopback proxy that
  adds a delay per direction (``--proxy-delay-ms``);
* ``results`` (every sample, JSON), ``targets`` (issue 9's targets, pass or fail), ``report``
  (markdown), ``plot`` (PNG);
* ``costs/``: standalone scripts on the Python-side cost per row.
"""
