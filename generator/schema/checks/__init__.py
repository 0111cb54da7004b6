"""The front end's semantic checks: each takes a :class:`SchemaDef` that passed the shape check
and returns every :class:`Problem` it finds (a document path and a message), never raising.

* :mod:`.tables`: ``check_schema(schema)``, the entry point: types, defaults, keys, foreign
  keys, indexes, and the others;
* :mod:`.naming`: names safe where they land (SQL identifiers, Python names, files) and
  distinct after normalisation;
* :mod:`.values`: defaults, server defaults and checks that fit their column's type;
* :mod:`.text_rules`: the `in` and `min_trimmed_length` checks (values listed, trimmed lengths);
* :mod:`.audit`: audited tables leave free the names the audit trail adds;
* :mod:`.limits`: how big a schema and its parts may be (PostgreSQL's limits and ours);
* :mod:`.texts`: descriptions and string defaults hold nothing a file or PostgreSQL cannot;
* :mod:`.expressions`: table ``checks`` and index ``where`` read by the whitelist
  (:mod:`batchrepo_codegen.schema.expressions`), each refusal located;
* :mod:`.cycles`: no cycle of NOT NULL foreign keys (no row could ever be inserted);
* :mod:`.distribution`: Citus placement (distributed and reference tables) follows Citus's
  rules for keys, co-location and foreign keys.

Checks that need the resolved model run after resolving
(:data:`batchrepo_codegen.model.MODEL_CHECKS`).
"""
