"""The ledger demo (``make demo``) and the batch-against-single-row benchmark (``make bench``).

Both run against a real PostgreSQL from :mod:`batchrepo_codegen.devdb` and import the generated
``ledger``
package, so ``generated/`` must be on ``PYTHONPATH`` (the Makefile targets set it).
"""
