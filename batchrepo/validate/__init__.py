"""The checks before writing: everything a write (and ``validate_batch``) finds before any
statement is sent, as one :class:`~batchrepo.validate.report.ValidationReport`.

* :mod:`.report`: ``Problem`` and ``ValidationReport`` (plain data);
* :mod:`.constraints`: one class per rule a value can break (bounds, length, digits, ...);
* :mod:`.column_rules`: which classes and constraints apply to each column;
* :mod:`.expression_tree`: the tree of a table CHECK expression, as generated modules declare it;
* :mod:`.table_checks`: those expressions evaluated per row, SQL's three-valued logic, leaving
  to the database what Python cannot know as PostgreSQL does;
* :mod:`.fields`: field problems (column rules, then table checks) and duplicate keys of a
  batch, column-wise;
* :mod:`.references`: missing parents and existing keys, the key cache first, then one
  ``= ANY`` query per foreign key;
* :mod:`.clashes`: rows clashing with stored rows on the primary or a unique key, one probe per
  key (``validate_batch`` only: a write lets its statement find them);
* :mod:`.before_write`: all of the above in order, for one write.
"""
