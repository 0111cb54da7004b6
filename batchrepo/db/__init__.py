"""The database layer: where statements go, what they are sent, and what a failure means.

* :mod:`.executor`: the ``Executor`` protocol (a pool, a connection or a pool's proxy),
  ``acquire``, ``atomic`` (a transaction, or a savepoint inside one), ``guarded``;
* :mod:`.arguments`: entity columns -> statement arguments (typed arrays, JSON text);
* :mod:`.error_mapping`: asyncpg errors -> :mod:`batchrepo.errors`, with the probes that name
  the rows of a batch that caused them;
* :mod:`.failures`: what any failure means (transient, connection lost, timeouts), and
  ``boundary``, which makes a public operation raise batchrepo errors only;
* :mod:`.commit_outcome`: COMMIT told apart from an unknown outcome, and ``commit_outcome``
  (``pg_xact_status``) to ask about one later;
* :mod:`.codecs`: ``TypeCodecs`` (an asyncpg ``init`` hook) and ``create_pool``: the codecs of a
  package's types ready on each new connection, introspected once per pool;
* :mod:`.asyncpg_types`: the two private asyncpg names that reuse needs, in one place, with
  ``available()`` telling :mod:`.codecs` when to take the public path instead.

This room imports nothing of the runtime but :mod:`batchrepo.spec`, :mod:`batchrepo.errors` and
:mod:`batchrepo.key_matching`.
"""
