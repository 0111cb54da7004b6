"""``make demo``: the ledger demo, its seeded data set, its workload and the comparison of the
two databases (see ``__main__``)."""
