"""``currency``: a blank-padded ``char(n)`` key (``'USD'`` comes back as ``'USD '``)."""

from __future__ import annotations

import dataclasses

from batchrepo.spec import ColumnSpec, TableSpec, TableSQL, UniqueSpec

DDL = """
CREATE TABLE "currency" (
    "code" char(4) NOT NULL,
    "name" varchar(40) NOT NULL,
    CONSTRAINT "currency_pkey" PRIMARY KEY ("code"),
    CONSTRAINT "currency_code_check" CHECK (char_length("code") >= 3)
);
"""


@dataclasses.dataclass(slots=True, kw_only=True)
class Currency:
    code: str
    name: str


_C_COLS = '"code", "name"'

CURRENCY = TableSpec[Currency, str](
    table="currency",
    entity=Currency,
    columns=(
        ColumnSpec(
            name="code", attr="code", pg_type="char(4)", kind="text", max_length=4, min_length=3
        ),
        ColumnSpec(name="name", attr="name", pg_type="varchar(40)", kind="text", max_length=40),
    ),
    key_columns=(0,),
    insert_columns=(0, 1),
    sql=TableSQL(
        insert_one=f'INSERT INTO "currency" ({_C_COLS}) VALUES ($1::bpchar, $2::text) '
        f"RETURNING {_C_COLS}",
        insert_batch=(
            f'INSERT INTO "currency" ({_C_COLS}) SELECT u."code", u."name" '
            'FROM unnest($1::bpchar[], $2::text[]) WITH ORDINALITY AS u("code", "name", _ord) '
            f"ORDER BY u._ord RETURNING {_C_COLS}"
        ),
        select_one=f'SELECT {_C_COLS} FROM "currency" WHERE "code" = $1::bpchar',
        select_batch=f'SELECT {_C_COLS} FROM "currency" WHERE "code" = ANY($1::bpchar[])',
        exists_one='SELECT EXISTS (SELECT 1 FROM "currency" WHERE "code" = $1::bpchar)',
        exists_batch='SELECT "code" FROM "currency" WHERE "code" = ANY($1::bpchar[])',
        delete_one='DELETE FROM "currency" WHERE "code" = $1::bpchar RETURNING "code"',
        delete_batch=(
            'WITH d AS (DELETE FROM "currency" WHERE "code" = ANY($1::bpchar[]) RETURNING 1) '
            "SELECT count(*) FROM d"
        ),
        update_one=(
            f'UPDATE "currency" SET "name" = $2::text WHERE "code" = $1::bpchar RETURNING {_C_COLS}'
        ),
        update_batch=(
            'UPDATE "currency" SET "name" = u."name" FROM unnest($1::bpchar[], $2::text[]) AS '
            'u("code", "name") WHERE "currency"."code" = u."code" '
            'RETURNING "currency"."code", "currency"."name"'
        ),
        upsert_one=None,
        upsert_batch=None,
    ),
    to_columns=lambda items: [[item.code for item in items], [item.name for item in items]],
    from_record=lambda record: Currency(code=record[0], name=record[1]),
    key_of=lambda item: item.code,
    uniques=(
        UniqueSpec(
            name="primary_key",
            constraint="currency_pkey",
            columns=(0,),
            probe_sql=(
                'SELECT u._ord FROM unnest($1::bpchar[]) WITH ORDINALITY AS u("code", _ord) '
                'WHERE EXISTS (SELECT 1 FROM "currency" WHERE "currency"."code" = u."code") '
                "ORDER BY u._ord"
            ),
        ),
    ),
)
