"""The read path for inputs and outputs of any size.

* :mod:`.streamed`: ``stream_all`` (every row of a table, through a server-side cursor) and
  ``load_stream`` (``load_batch`` over an iterable or async iterable of keys), both async
  iterators holding about one chunk in memory.
* :mod:`.history`: an audited table's history as ``HistoryEntry`` values (entity, version,
  operation, actor, time): every version of one or many keys, or the one in force "as of" a
  time or version; one statement per call.

Loads of a batch (``load_batch``, ``exists_batch``, by unique key, grouped by foreign key) are
in :mod:`batchrepo.operations`, beside the writes they share their semantics with.
"""
