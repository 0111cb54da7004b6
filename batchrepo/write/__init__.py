"""The write path: single-row, batch and chunked writes after their checks.

* :mod:`.apply`: the statement for a write mode, its savepoint, the ``audit_log`` id, rows back
  in input order, what the cache learns;
* :mod:`.chunked`: inputs of any size (sequences, iterables, async iterables) as a series of
  batches; :mod:`.chunk_runs` runs them in one transaction or each alone, :mod:`.parallel`
  several at once on a pool, :mod:`.chunk_results` reports them (``BatchResult``);
* :mod:`.versions`: stale rows told from missing ones (optimistic concurrency);
  :mod:`.versioned_deletes`: chunked deletes with the versions read, in step with the keys;
* :mod:`.missing_parents`: a parent the checks believed in and the database did not find.
"""
