"""The two-tier key cache (``docs/units-of-work.md``, "Key cache").

* :mod:`.key_cache`: ``KeyCache``, process-wide, one per pool by default (``shared_cache``);
* :mod:`.views`: what a write talks to: a unit of work's ``CacheLayer``, ``DirectView``,
  ``ReadOnlyView``;
* :mod:`.recording`: what operations teach the cache, and when;
* :mod:`.entity_cache`: ``EntityCache``, the rows of tables that opted in (one per ``KeyCache``),
  invalidated by what the key cache hears, bounded, with a TTL;
* :mod:`.entity_reads`: how ``load`` / ``load_batch`` use it (``cache_entities`` opts in).
"""
