"""Every SQL statement of a table, following the argument conventions of :mod:`batchrepo.spec`.

One fixed statement per operation whatever the batch size (asyncpg prepares it once):

* batch writes bind one typed array per scalar column, unnested ``WITH ORDINALITY`` so inserts
  keep input order; an array column binds its flattened elements with the ``int4[]`` row number
  of each (aggregated back per row with ``array_agg`` in a subquery joined on the ordinal) and a
  ``bool[]`` of NULL arrays, so every row costs the same whatever the batch size;
* server defaults: None takes the default on insert, keeps the stored value on update, and an
  upsert's ``DO UPDATE`` never sets a server-default column;
* arrays are cast to base types (``text[]``, ``numeric[]``, ``bpchar[]``), never to
  ``varchar(n)[]`` (which truncates silently), so both paths fail alike on over-long values;
* jsonb travels as text and is cast to jsonb in the statement;
* identifiers are always quoted (:func:`names.quote_ident`), values are always bind parameters.

A statement is a tuple of lines, one clause each (a column list never spans two lines), and
:func:`text` joins them with newlines: the generated module prints it as it will run. A nested
statement (a CTE, a joined subquery) is a :func:`block`: its lines indented four spaces between a
line that opens a parenthesis and one that closes it. Short predicates (``EXISTS (SELECT 1 ...)``)
stay on their clause's line. Only the whitespace between tokens is layout: joined with single
spaces instead, the text means the same to PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Column, ForeignKey, Key, Table
from ..schema.names import derived_identifier, quote_ident

Statement = tuple[str, ...]

#: How far a nested statement is indented.
INDENT = "    "


def text(statement: Statement) -> str:
    return "\n".join(statement)


def block(opening: str, body: Statement, closing: str) -> Statement:
    """``opening`` (which ends with ``(``), ``body`` indented, then ``closing`` (which starts
    with ``)``)."""
    return (opening, *(INDENT + line for line in body), closing)


@dataclass(frozen=True, slots=True)
class TableStatements:
    """The statements of :class:`batchrepo.spec.TableSQL`, as lines."""

    insert_one: Statement
    insert_batch: Statement
    select_one: Statement
    select_batch: Statement
    exists_one: Statement
    exists_batch: Statement
    delete_one: Statement
    delete_batch: Statement
    update_one: Statement | None
    update_batch: Statement | None
    upsert_one: Statement | None
    upsert_batch: Statement | None
    select_keys: Statement
    select_all: Statement
    insert_batch_count: Statement
    update_batch_count: Statement | None
    upsert_batch_count: Statement | None
    update_one_columns: Statement | None
    update_batch_columns: Statement | None
    update_batch_columns_count: Statement | None


def select_keys(table: Table) -> Statement:
    """Key columns (then the version of an audited table) of up to ``$1`` rows: what the
    runtime's key cache warms up from."""
    known = table.key_columns
    if table.version_column is not None:
        known += (table.version_column,)
    return (
        f"SELECT {column_list(table, known)}",
        f"FROM {quote_ident(table.name)}",
        "LIMIT $1::int8",
    )


def table_statements(table: Table) -> TableStatements:
    has_values = table.updatable
    upsert = table.upsertable
    return TableStatements(
        insert_one=_insert_one(table),
        insert_batch=_insert_batch(table),
        select_one=(
            f"SELECT {column_list(table)}",
            f"FROM {quote_ident(table.name)}",
            where_one(table),
        ),
        select_batch=(
            f"SELECT {column_list(table)}",
            f"FROM {quote_ident(table.name)}",
            _where_arrays(table, table.key_columns),
        ),
        exists_one=(f"SELECT EXISTS (SELECT 1 FROM {quote_ident(table.name)} {where_one(table)})",),
        exists_batch=(
            f"SELECT {column_list(table, table.key_columns)}",
            f"FROM {quote_ident(table.name)}",
            _where_arrays(table, table.key_columns),
        ),
        delete_one=(
            f"DELETE FROM {quote_ident(table.name)}",
            where_one(table),
            f"RETURNING {column_list(table, table.key_columns)}",
        ),
        delete_batch=delete_batch(table),
        update_one=_update_one(table) if has_values else None,
        update_batch=_update_batch(table) if has_values else None,
        upsert_one=_insert_one(table, upsert=table.primary_key) if upsert else None,
        upsert_batch=_insert_batch(table, upsert=table.primary_key) if upsert else None,
        select_keys=select_keys(table),
        select_all=(f"SELECT {column_list(table)}", f"FROM {quote_ident(table.name)}"),
        insert_batch_count=counted(_insert_batch(table)),
        update_batch_count=counted(_update_batch(table)) if has_values else None,
        upsert_batch_count=(
            counted(_insert_batch(table, upsert=table.primary_key)) if upsert else None
        ),
        update_one_columns=_update_one(table, mask=True) if has_values else None,
        update_batch_columns=_update_batch(table, mask=True) if has_values else None,
        update_batch_columns_count=(
            counted(_update_batch(table, mask=True)) if has_values else None
        ),
    )


def routed(table: Table, number: int) -> str:
    """The clause that routes a statement to one shard on Citus: ``AND "t"."<distribution
    column>" = $number``, the one distribution value of every row of the batch, which the
    runtime binds after the statement's own arguments (``batchrepo.db.routing``). Citus prunes
    the shards by it (a plain PostgreSQL reads it as one more filter on an indexed column)."""
    assert table.distribution is not None
    column = table.column(table.distribution)
    return f"AND {quote_ident(table.name)}.{quote_ident(column.name)} = {param(column, number)}"


def routed_reads(table: Table) -> tuple[Statement, Statement]:
    """(``select_batch``, ``exists_batch``) routed: their key arrays, then the value."""
    plain = table_statements(table)
    number = len(table.key_columns) + 1
    return (*plain.select_batch, routed(table, number)), (
        *plain.exists_batch,
        routed(table, number),
    )


def routed_writes(table: Table) -> dict[str, Statement]:
    """The batch writes of a table without audit routed, by ``TableSQL`` field: the delete and,
    when the table has values to update, the updates (whole and partial, counting or not)."""
    writes = {"delete_batch": delete_batch(table, route=True)}
    if table.updatable:
        for field, mask in (("update_batch", False), ("update_batch_columns", True)):
            update = _update_batch(table, mask=mask, route=True)
            writes[field] = update
            writes[field + "_count"] = counted(update)
    return writes


def delete_batch(table: Table, route: bool = False) -> Statement:
    """Arguments: key arrays (``route``: then the distribution value, :func:`routed`)."""
    where = _where_arrays(table, table.key_columns)
    clauses = (where, routed(table, len(table.key_columns) + 1)) if route else (where,)
    return (
        *block(
            "WITH d AS (",
            (f"DELETE FROM {quote_ident(table.name)}", *clauses, "RETURNING 1"),
            ")",
        ),
        "SELECT count(*)",
        "FROM d",
    )


def counted(statement: Statement) -> Statement:
    """A write that ends ``RETURNING <columns>`` as one that answers only how many rows it
    wrote: for callers that do not read the rows, nothing is sent back or decoded."""
    assert statement[-1].startswith("RETURNING ")
    return (
        *block("WITH _written AS (", (*statement[:-1], "RETURNING 1"), ")"),
        "SELECT count(*)",
        "FROM _written",
    )


def placed(table: Table) -> bool:
    """Whether Citus places ``table`` (distributed or a reference table): its probes look the
    stored rows up first (:func:`_stored`), in a form Citus plans. A plain table's probes stay
    correlated subqueries, which PostgreSQL answers by an index lookup per batch row whatever
    plan it picks; the looked-up form, under a generic plan that guesses a few rows, can match
    the batch against the CTE by a nested loop (measured: 3.3 s against 0.14 s for 5,000 keys).
    The schema refuses keys between plain and placed tables, so a table's probes and its
    parents' are placed alike."""
    return table.distribution is not None or table.reference


def unique_probe(table: Table, key: Key, route: bool = False) -> Statement:
    """Rows of a batch whose key values already exist (in another row, for unique keys).

    Arguments, as batch arrays: the primary key's columns for the primary key; for a unique key,
    its columns and then the primary key's columns (a row does not clash with itself).

    On a table Citus places (:func:`placed`) the stored rows are looked up first, in a
    materialized CTE that the batch rows are then matched against (:func:`_stored`): Citus
    refuses a subquery over a distributed table correlated with a set-returning function.
    ``route``: then the distribution value (:func:`routed`), which Citus puts in every key."""
    if not placed(table):
        return _correlated_unique_probe(table, key)
    batch = Batch()
    values = [batch.add(table.columns[i]) for i in key.columns]
    columns = tuple(table.columns[i] for i in key.columns)
    looked_up = _stored(table.name, columns, tuple(c.name for c in columns), values)
    match = " AND ".join(
        f"s.{quote_ident(table.columns[i].name)} = {value}"
        for i, value in zip(key.columns, values, strict=True)
    )
    kept = columns
    if key is not table.primary_key:
        pk_values = [batch.add(c, derived_identifier("_pk", c.name)) for c in table.key_columns]
        match += f" AND {row_of('s', table.key_columns)} IS DISTINCT FROM {_tuple(pk_values)}"
        kept += tuple(c for c in table.key_columns if c not in columns)
    return (
        *block(
            "WITH s AS MATERIALIZED (",
            (
                f"SELECT {column_list(table, kept)}",
                f"FROM {quote_ident(table.name)}",
                looked_up,
                *((routed(table, batch.next_number),) if route else ()),
            ),
            ")",
        ),
        "SELECT u._ord",
        *batch.source(ordinality=True),
        f"WHERE EXISTS (SELECT 1 FROM s WHERE {match})",
        "ORDER BY u._ord",
    )


def unique_select_batch(table: Table, key: Key, route: bool = False) -> Statement:
    """Rows whose unique key is one of the keys given as plain arrays, one per key column
    (``route``: then the distribution value, :func:`routed`)."""
    columns = tuple(table.columns[i] for i in key.columns)
    return (
        f"SELECT {column_list(table)}",
        f"FROM {quote_ident(table.name)}",
        _where_arrays(table, columns),
        *((routed(table, len(columns) + 1),) if route else ()),
    )


def routes_parents(table: Table, fk: ForeignKey) -> bool:
    """Whether the probe of ``fk`` has a routed twin: the table is distributed and its
    distribution column is one of the referencing columns (as Citus asks of a key between
    distributed tables; a key to a reference table needs none, every node has the parent)."""
    return table.distribution is not None and table.column(table.distribution).position in (
        fk.columns
    )


def foreign_key_probe(table: Table, fk: ForeignKey, route: bool = False) -> Statement:
    """Rows of a batch whose parent does not exist; a NULL in the key means no check (MATCH
    SIMPLE). Arguments: the referencing columns as batch arrays (``route``: then the
    distribution value, matched against the parent's column it references).

    On a table Citus places, the parents are looked up first, in a materialized CTE (as
    :func:`unique_probe` does, so that Citus plans it when the parent is distributed)."""
    if not placed(table):
        return _correlated_parent_probe(table, fk)
    batch = Batch()
    columns = tuple(table.columns[i] for i in fk.columns)
    values = [batch.add(c) for c in columns]
    present = " AND ".join(f"{v} IS NOT NULL" for v in values)
    parent_columns = ", ".join(quote_ident(c) for c in fk.parent_columns)
    match = " AND ".join(
        f"p.{quote_ident(parent_column)} = {value}"
        for parent_column, value in zip(fk.parent_columns, values, strict=True)
    )
    return (
        *block(
            "WITH p AS MATERIALIZED (",
            (
                f"SELECT {parent_columns}",
                f"FROM {quote_ident(fk.parent)}",
                _stored(fk.parent, columns, fk.parent_columns, values),
                *((_parent_shard(table, fk, batch.next_number),) if route else ()),
            ),
            ")",
        ),
        "SELECT u._ord",
        *batch.source(ordinality=True),
        f"WHERE {present}",
        f"AND NOT EXISTS (SELECT 1 FROM p WHERE {match})",
        "ORDER BY u._ord",
    )


def _correlated_unique_probe(table: Table, key: Key) -> Statement:
    """:func:`unique_probe` of a plain table: ``EXISTS`` the stored row, per batch row."""
    batch = Batch()
    values = [batch.add(table.columns[i]) for i in key.columns]
    t = quote_ident(table.name)
    match = " AND ".join(
        f"{t}.{quote_ident(table.columns[i].name)} = {value}"
        for i, value in zip(key.columns, values, strict=True)
    )
    if key is not table.primary_key:
        pk_values = [batch.add(c, derived_identifier("_pk", c.name)) for c in table.key_columns]
        match += f" AND {row_of(t, table.key_columns)} IS DISTINCT FROM {_tuple(pk_values)}"
    return (
        "SELECT u._ord",
        *batch.source(ordinality=True),
        f"WHERE EXISTS (SELECT 1 FROM {t} WHERE {match})",
        "ORDER BY u._ord",
    )


def _correlated_parent_probe(table: Table, fk: ForeignKey) -> Statement:
    """:func:`foreign_key_probe` of a plain table: ``NOT EXISTS`` the parent, per batch row."""
    batch = Batch()
    columns = tuple(table.columns[i] for i in fk.columns)
    values = [batch.add(c) for c in columns]
    present = " AND ".join(f"{v} IS NOT NULL" for v in values)
    match = " AND ".join(
        f"p.{quote_ident(parent_column)} = {value}"
        for parent_column, value in zip(fk.parent_columns, values, strict=True)
    )
    return (
        "SELECT u._ord",
        *batch.source(ordinality=True),
        f"WHERE {present}",
        f"AND NOT EXISTS (SELECT 1 FROM {quote_ident(fk.parent)} AS p WHERE {match})",
        "ORDER BY u._ord",
    )


def _parent_shard(table: Table, fk: ForeignKey, number: int) -> str:
    """:func:`routed` on the parent's column that the distribution column references."""
    assert routes_parents(table, fk) and table.distribution is not None
    column = table.column(table.distribution)
    parent = fk.parent_columns[fk.columns.index(column.position)]
    return f"AND {quote_ident(fk.parent)}.{quote_ident(parent)} = {param(column, number)}"


def _stored(
    table: str, columns: tuple[Column, ...], stored: tuple[str, ...], values: list[str]
) -> str:
    """The ``WHERE`` of a probe's lookup: rows of ``table`` whose ``stored`` columns equal the
    batch's ``values`` of ``columns`` (the probe's first batch arguments, bound again here; not
    correlated with the probe's rows). A NULL matches nothing, as in the probe itself."""
    batch = Batch()
    inner = [batch.add(c) for c in columns]
    assert inner == values, "the lookup binds the probe's first arguments"
    target = _tuple([f"{quote_ident(table)}.{quote_ident(name)}" for name in stored])
    source = " ".join(batch.source(ordinality=False))
    return f"WHERE {target} IN (SELECT {', '.join(inner)} {source})"


def foreign_key_children(table: Table, fk: ForeignKey, route: bool = False) -> Statement:
    """Rows whose referencing columns match parent keys given as plain arrays, ordered by primary
    key so grouped results are stable (``route``: then the distribution value, when
    :func:`routes_parents`)."""
    columns = tuple(table.columns[i] for i in fk.columns)
    return (
        f"SELECT {column_list(table)}",
        f"FROM {quote_ident(table.name)}",
        _where_arrays(table, columns),
        *((routed(table, len(columns) + 1),) if route else ()),
        f"ORDER BY {column_list(table, table.key_columns)}",
    )


# --- building blocks -------------------------------------------------------------------------


def column_list(
    table: Table, columns: tuple[Column, ...] | None = None, qualify: bool = False
) -> str:
    chosen = table.columns if columns is None else columns
    prefix = quote_ident(table.name) + "." if qualify else ""
    return ", ".join(prefix + quote_ident(c.name) for c in chosen)


def row_of(prefix: str, columns: tuple[Column, ...]) -> str:
    parts = [f"{prefix}.{quote_ident(c.name)}" for c in columns]
    return parts[0] if len(parts) == 1 else "(" + ", ".join(parts) + ")"


def _tuple(values: list[str]) -> str:
    return values[0] if len(values) == 1 else "(" + ", ".join(values) + ")"


def param(column: Column, number: int) -> str:
    """One bound value of a single-row statement."""
    if column.type.kind == "jsonb":
        return f"${number}::text::jsonb"
    suffix = "[]" if column.type.is_array else ""
    return f"${number}::{column.sql_cast}{suffix}"


def with_default(column: Column, value: str) -> str:
    """An inserted value: None takes the server default."""
    if column.server_default is None:
        return value
    return f"COALESCE({value}, {column.server_default})"


def or_stored(table: Table, column: Column, value: str) -> str:
    """An updated value: None keeps the stored value of a server-default column."""
    if column.server_default is None:
        return value
    return f"COALESCE({value}, {quote_ident(table.name)}.{quote_ident(column.name)})"


def where_one(table: Table) -> str:
    """Key columns as ``$1, $2, ...`` (select, exists, delete)."""
    return "WHERE " + " AND ".join(
        f"{quote_ident(c.name)} = {param(c, n)}" for n, c in enumerate(table.key_columns, 1)
    )


def _where_arrays(table: Table, columns: tuple[Column, ...]) -> str:
    """Columns matching plain typed arrays ``$1, $2, ...`` (one element per key)."""
    if len(columns) == 1:
        (column,) = columns
        return f"WHERE {quote_ident(column.name)} = ANY($1::{column.sql_cast}[])"
    arrays = ", ".join(f"${n}::{c.sql_cast}[]" for n, c in enumerate(columns, 1))
    return f"WHERE {row_of(quote_ident(table.name), columns)} IN (SELECT * FROM unnest({arrays}))"


def _conflict(table: Table, key: Key) -> str:
    """The update of an upsert on ``key``. Server-default columns keep their stored value (the
    inserted value would be the default whenever the input had None), and so do the key's own
    columns and the primary key (a row found by a unique key keeps its primary key); when nothing
    else is left, the first value column is set to itself, so the statement still updates and
    returns the row."""
    target = column_list(table, tuple(table.columns[i] for i in key.columns))
    t = quote_ident(table.name)
    sets = ", ".join(
        f"{quote_ident(c.name)} = EXCLUDED.{quote_ident(c.name)}" for c in upserted(table, key)
    )
    if not sets:
        kept = quote_ident(table.value_columns[0].name)
        sets = f"{kept} = {t}.{kept}"
    return f"ON CONFLICT ({target}) DO UPDATE SET {sets}"


def upserted(table: Table, key: Key) -> tuple[Column, ...]:
    """The columns an upsert on ``key`` writes into a row that exists."""
    return tuple(
        c for c in table.value_columns if c.server_default is None and c.position not in key.columns
    )


def _insert_one(table: Table, upsert: Key | None = None, skip: Key | None = None) -> Statement:
    columns = table.insert_columns
    values = ", ".join(with_default(c, param(c, n)) for n, c in enumerate(columns, 1))
    clauses = [
        f"INSERT INTO {quote_ident(table.name)} ({column_list(table, columns)})",
        f"VALUES ({values})",
    ]
    if upsert is not None:
        clauses.append(_conflict(table, upsert))
    if skip is not None:
        clauses.append(_skip(table, skip))
    clauses.append(f"RETURNING {column_list(table)}")
    return tuple(clauses)


def _insert_batch(table: Table, upsert: Key | None = None, skip: Key | None = None) -> Statement:
    columns = table.insert_columns
    batch = Batch()
    values = ", ".join(with_default(c, batch.add(c)) for c in columns)
    clauses = [
        f"INSERT INTO {quote_ident(table.name)} ({column_list(table, columns)})",
        f"SELECT {values}",
        *batch.source(ordinality=True),
        "ORDER BY u._ord",
    ]
    if upsert is not None:
        clauses.append(_conflict(table, upsert))
    if skip is not None:
        clauses.append(_skip(table, skip))
    clauses.append(f"RETURNING {column_list(table)}")
    return tuple(clauses)


def _skip(table: Table, key: Key) -> str:
    """Rows whose ``key`` is taken are left out: the insert of ``save_if_new``."""
    columns = tuple(table.columns[i] for i in key.columns)
    return f"ON CONFLICT ({column_list(table, columns)}) DO NOTHING"


def upsert_by(table: Table, key: Key) -> tuple[Statement, Statement, Statement]:
    """(single-row, batch, counting batch) upserts of a table without audit on ``key``."""
    batch = _insert_batch(table, upsert=key)
    return _insert_one(table, upsert=key), batch, counted(batch)


def insert_if_new(table: Table, key: Key) -> tuple[Statement, Statement]:
    """(single-row, batch) inserts that skip rows whose ``key`` already exists. Rows come back
    only for the rows inserted, in input order (``ORDER BY`` the ordinal)."""
    return _insert_one(table, skip=key), _insert_batch(table, skip=key)


def masked(table: Table, column: Column, value: str, mask: int | None) -> str:
    """``value``, or with a mask argument (``$mask::bool[]``, one flag per column of the table,
    the partial-column update) the stored value where the column is not being updated."""
    if mask is None:
        return value
    stored = f"{quote_ident(table.name)}.{quote_ident(column.name)}"
    return f"CASE WHEN (${mask}::bool[])[{column.position + 1}] THEN {value} ELSE {stored} END"


def _update_one(table: Table, mask: bool = False) -> Statement:
    """``mask``: one more argument after the columns, which columns to update (``bool[]``)."""
    t = quote_ident(table.name)
    flags = len(table.columns) + 1 if mask else None
    sets = ", ".join(
        f"{quote_ident(c.name)} = "
        + masked(table, c, or_stored(table, c, param(c, c.position + 1)), flags)
        for c in table.value_columns
    )
    where = " AND ".join(
        f"{quote_ident(c.name)} = {param(c, c.position + 1)}" for c in table.key_columns
    )
    return (f"UPDATE {t}", f"SET {sets}", f"WHERE {where}", f"RETURNING {column_list(table)}")


def _update_batch(table: Table, mask: bool = False, route: bool = False) -> Statement:
    """``mask``: one more argument after the batch's, which columns to update (``bool[]``);
    the arrays of the columns not updated may be empty. ``route``: then the distribution
    value (:func:`routed`)."""
    t = quote_ident(table.name)
    batch = Batch()
    values = {c.position: batch.add(c) for c in table.columns}
    flags = batch.next_number if mask else None
    sets = ", ".join(
        f"{quote_ident(c.name)} = "
        + masked(table, c, or_stored(table, c, values[c.position]), flags)
        for c in table.value_columns
    )
    where = " AND ".join(
        f"{t}.{quote_ident(c.name)} = {values[c.position]}" for c in table.key_columns
    )
    route_at = batch.next_number + (flags is not None)
    return (
        f"UPDATE {t}",
        f"SET {sets}",
        *batch.source(ordinality=False),
        f"WHERE {where}",
        *((routed(table, route_at),) if route else ()),
        f"RETURNING {column_list(table, qualify=True)}",
    )


class Batch:
    """The arguments of a batch statement and the expression of each column's value in row ``u``.

    A scalar column is one typed array, unnested into ``u``. An array column is three arguments:
    its elements of every row flattened, the 1-based row number of each element (both unnested
    and aggregated back per row in a joined subquery) and per row whether the array is NULL
    (unnested into ``u``). Rows are joined to their elements by the ordinal of ``u``, so a
    statement with array columns always unnests ``WITH ORDINALITY``."""

    def __init__(self) -> None:
        self._next = 1
        self._arrays: list[str] = []
        self._aliases: list[str] = []
        self._joins: list[str] = []

    def _bind(self) -> int:
        number = self._next
        self._next += 1
        return number

    @property
    def next_number(self) -> int:
        """The number of the next argument (``$n``) after the batch's own."""
        return self._next

    def add(self, column: Column, alias: str | None = None) -> str:
        name = column.name if alias is None else alias
        if column.type.is_array:
            flat, rows, nulls = self._bind(), self._bind(), self._bind()
            null = quote_ident(derived_identifier("_null", name))
            agg = quote_ident(derived_identifier("_a", name))
            self._arrays.append(f"${nulls}::bool[]")
            self._aliases.append(null)
            self._joins += block(
                "LEFT JOIN (",
                (
                    "SELECT e.r, array_agg(e.v ORDER BY e.k) AS v",
                    f"FROM unnest(${flat}::{column.sql_cast}[], ${rows}::int4[]) "
                    "WITH ORDINALITY AS e(v, r, k)",
                    "GROUP BY e.r",
                ),
                f") AS {agg} ON {agg}.r = u._ord",
            )
            return f"CASE WHEN u.{null} THEN NULL ELSE COALESCE({agg}.v, '{{}}') END"
        cast = "text" if column.type.kind == "jsonb" else column.sql_cast
        self._arrays.append(f"${self._bind()}::{cast}[]")
        self._aliases.append(quote_ident(name))
        value = f"u.{quote_ident(name)}"
        return value + "::jsonb" if column.type.kind == "jsonb" else value

    def source(self, *, ordinality: bool) -> tuple[str, ...]:
        """The ``FROM`` clause, then the lines joining the elements of each array column."""
        arrays = ", ".join(self._arrays)
        if ordinality or self._joins:
            aliases = ", ".join([*self._aliases, "_ord"])
            return (f"FROM unnest({arrays}) WITH ORDINALITY AS u({aliases})", *self._joins)
        return (f"FROM unnest({arrays}) AS u({', '.join(self._aliases)})",)
