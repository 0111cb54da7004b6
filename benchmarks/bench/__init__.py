"""``make bench``: batch against single-row per operation and size, and the Python-side cost per
row (see ``__main__``); ``array_cost`` and ``runtime_cost`` are standalone scripts on the runtime
tests' hand-written tables."""
