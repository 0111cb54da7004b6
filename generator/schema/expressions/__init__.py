"""SQL expressions in a schema: table CHECK constraints (``checks:``) and partial index
predicates (an index's ``where:``), read with PostgreSQL's own parser (pglast) and kept only
when every part is on the whitelist. The schema is untrusted input: nothing else gets through.

API::

    read_expression(text, columns, enums) -> ReadExpression   # ExpressionError otherwise
    ReadExpression(tree, sql, columns)   # the typed tree (batchrepo.validate.expression_tree),
                                         # its canonical SQL text, the columns it reads
    ExpressionError(message)             # what is refused, where in the text, the fragment
    canonical_sql(tree) -> str           # one spelling however the author spaced or cased it
    ColumnInfo(position, type)           # what the whitelist needs to know of a column

The whitelist: column references of the table, literals, comparisons, arithmetic on numbers,
AND/OR/NOT, IS [NOT] NULL, IN lists (and ``= ANY (ARRAY[...])`` / ``<> ALL (ARRAY[...])``, how
PostgreSQL prints them), BETWEEN, casts to the column types batchrepo knows, and the immutable
functions length, char_length, upper, lower, btrim/trim, ltrim, rtrim, abs. Types are checked
as far as PostgreSQL would refuse the DDL (a text compared with a number, AND of a number,
an unknown enum label, a malformed date literal), so a refused expression never reaches it.

Modules: :mod:`.reading` (one expression, no comments, no second statement: pglast's raw
tree), :mod:`.families` (the type family of each column type, cast, function and literal),
:mod:`.whitelist` (raw tree -> typed tree, or a located refusal), :mod:`.canonical` (typed
tree -> SQL text).
"""

from .canonical import canonical_sql
from .reading import ExpressionError
from .whitelist import ColumnInfo, ReadExpression, read_expression

__all__ = ["ColumnInfo", "ExpressionError", "ReadExpression", "canonical_sql", "read_expression"]
