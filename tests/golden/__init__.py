"""Golden cases of every kind, one layout, one runner (the models: sqlc's end-to-end testdata and
LibCST's ``test_codegen_clean``).

    tests/golden/codegen/<case>/{schema.yaml, expected/<package>/...}
    tests/golden/bad_schemas/<case>/{schema.yaml, expected_error.txt}
    tests/golden/migrations/<case>/{old.yaml, new.yaml, expected.sql | expected_error.txt, ...}

Command line (``make golden`` is ``regenerate`` with no arguments)::

    python -m tests.golden check [kind] [case ...]
    python -m tests.golden regenerate [kind] [case ...]

API, for the tests of each kind:

* :data:`tests.golden.kinds.CODEGEN`, ``BAD_SCHEMAS``, ``MIGRATIONS``: the kinds; ``.cases()``,
  ``.folder(case)``, ``.produce(case)`` and per-kind helpers (``CODEGEN.expected_dir(case)``,
  ``CODEGEN.package(case)``, ``MIGRATIONS.load(case)``, ...);
* :func:`tests.golden.harness.assert_current`: the one test of a case; a stale case fails naming
  ``make golden`` and showing a short diff (:func:`~tests.golden.harness.stale_message`);
* :func:`~tests.golden.harness.drift` and :func:`~tests.golden.harness.regenerate`: compare, or
  rewrite, one case's expectations (changed, missing and extra files).
"""
