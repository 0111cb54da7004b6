"""Standalone scripts on what the runtime costs in Python, beside ``make bench``:

* ``python_cost``: each stage of the batch path (entities, ``to_columns``, validation,
  arguments, ``from_record``) per row on the generated ``person``
  (``PYTHONPATH=generated python -m benchmarks.bench.costs.python_cost [rows]``);
* ``runtime_cost``: the same stages on the runtime tests' hand-written tables, next to whole
  round trips (``python -m benchmarks.bench.costs.runtime_cost [rows]``);
* ``array_cost``: batch insert and update of rows with array columns by batch size
  (``python -m benchmarks.bench.costs.array_cost [rows ...]``).
"""
