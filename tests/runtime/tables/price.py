"""``price``: a foreign key on a blank-padded ``char(4)`` column to ``currency``, for the checks
before writing (parents asked as ``'USD'`` match ``'USD '``). Not in ``tables.DDL``: the tests
that need it create it (``DDL`` below, after currency's)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from batchrepo.spec import ColumnSpec, ForeignKeySpec, TableSpec, TableSQL, UniqueSpec

DDL = """
CREATE TABLE IF NOT EXISTS "price" (
    "id" int8 NOT NULL,
    "currency_code" char(4) NULL,
    "amount" numeric(12,2) NOT NULL,
    CONSTRAINT "price_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "price_currency_fkey" FOREIGN KEY ("currency_code") REFERENCES "currency" ("code")
);
"""


@dataclasses.dataclass(slots=True, kw_only=True)
class Price:
    id: int
    currency_code: str | None
    amount: Decimal


_COLS = '"id", "currency_code", "amount"'
_UNNEST = (
    "unnest($1::int8[], $2::bpchar[], $3::numeric[]) WITH ORDINALITY AS "
    'u("id", "currency_code", "amount", _ord)'
)

PRICE = TableSpec[Price, int](
    table="price",
    entity=Price,
    columns=(
        ColumnSpec(name="id", attr="id", pg_type="int8", kind="int8"),
        ColumnSpec(
            name="currency_code",
            attr="currency_code",
            pg_type="char(4)",
            kind="text",
            nullable=True,
            none_on_insert=True,
            none_on_update=True,
            max_length=4,
        ),
        ColumnSpec(
            name="amount",
            attr="amount",
            pg_type="numeric(12,2)",
            kind="numeric",
            precision=12,
            scale=2,
        ),
    ),
    key_columns=(0,),
    insert_columns=(0, 1, 2),
    sql=TableSQL(
        insert_one=(
            f'INSERT INTO "price" ({_COLS}) VALUES ($1::int8, $2::bpchar, $3::numeric) '
            f"RETURNING {_COLS}"
        ),
        insert_batch=(
            f'INSERT INTO "price" ({_COLS}) SELECT u."id", u."currency_code", u."amount" '
            f"FROM {_UNNEST} ORDER BY u._ord RETURNING {_COLS}"
        ),
        select_one=f'SELECT {_COLS} FROM "price" WHERE "id" = $1::int8',
        select_batch=f'SELECT {_COLS} FROM "price" WHERE "id" = ANY($1::int8[])',
        exists_one='SELECT EXISTS (SELECT 1 FROM "price" WHERE "id" = $1::int8)',
        exists_batch='SELECT "id" FROM "price" WHERE "id" = ANY($1::int8[])',
        delete_one='DELETE FROM "price" WHERE "id" = $1::int8 RETURNING "id"',
        delete_batch=(
            'WITH d AS (DELETE FROM "price" WHERE "id" = ANY($1::int8[]) RETURNING 1) '
            "SELECT count(*) FROM d"
        ),
        update_one=None,
        update_batch=None,
        upsert_one=None,
        upsert_batch=None,
        select_keys='SELECT "id" FROM "price" LIMIT $1::int8',
    ),
    to_columns=lambda items: [
        [item.id for item in items],
        [item.currency_code for item in items],
        [item.amount for item in items],
    ],
    from_record=lambda record: Price(id=record[0], currency_code=record[1], amount=record[2]),
    key_of=lambda item: item.id,
    uniques=(
        UniqueSpec(
            name="primary_key",
            constraint="price_pkey",
            columns=(0,),
            probe_sql=(
                'SELECT u._ord FROM unnest($1::int8[]) WITH ORDINALITY AS u("id", _ord) '
                'WHERE EXISTS (SELECT 1 FROM "price" WHERE "price"."id" = u."id") '
                "ORDER BY u._ord"
            ),
        ),
    ),
    foreign_keys=(
        ForeignKeySpec(
            name="currency",
            constraint="price_currency_fkey",
            columns=(1,),
            parent_table="currency",
            parent_columns=("code",),
            self_parent_columns=None,
            probe_sql=(
                "SELECT u._ord FROM unnest($1::bpchar[]) "
                'WITH ORDINALITY AS u("currency_code", _ord) '
                'WHERE u."currency_code" IS NOT NULL AND NOT EXISTS '
                '(SELECT 1 FROM "currency" AS p WHERE p."code" = u."currency_code") '
                "ORDER BY u._ord"
            ),
            select_children_sql=(
                f'SELECT {_COLS} FROM "price" WHERE "currency_code" = ANY($1::bpchar[]) '
                'ORDER BY "id"'
            ),
        ),
    ),
)
