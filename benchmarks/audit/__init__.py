"""``make bench-audit``: audit overhead against a plain twin table, and the cost of the checks
before writing (see ``__main__``)."""
