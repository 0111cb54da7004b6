"""``ledger_entry``: identity key, composite foreign key to account, naive timestamp, a nullable
``text[]`` with nullable elements, an ``int4[]`` whose elements may not be NULL, and jsonb.
"""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal
from typing import Any

from batchrepo.spec import ColumnSpec, ForeignKeySpec, TableSpec, TableSQL, UniqueSpec

DDL = """
CREATE TABLE "ledger_entry" (
    "id" int8 GENERATED ALWAYS AS IDENTITY,
    "branch_code" varchar(10) NOT NULL,
    "account_number" int8 NOT NULL,
    "amount" numeric(18,2) NOT NULL,
    "booked_at" timestamp NOT NULL,
    "tags" text[] NULL,
    "codes" int4[] NOT NULL,
    "payload" jsonb NULL,
    CONSTRAINT "ledger_entry_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "ledger_entry_account_fkey" FOREIGN KEY ("branch_code", "account_number")
        REFERENCES "account" ("branch_code", "account_number")
);
"""


@dataclasses.dataclass(slots=True, kw_only=True)
class LedgerEntry:
    id: int | None = None
    branch_code: str
    account_number: int
    amount: Decimal
    booked_at: datetime.datetime
    tags: list[str | None] | None = None
    codes: list[int]
    payload: Any = None


_L_COLS = '"id", "branch_code", "account_number", "amount", "booked_at", "tags", "codes", "payload"'
_L_INSERT_COLS = (
    '"branch_code", "account_number", "amount", "booked_at", "tags", "codes", "payload"'
)
# An array column is its flattened elements, the row number of each element and a NULL flag per
# row; the elements are aggregated back per row and joined on the ordinal (batchrepo/spec.py).
_L_TAGS = """CASE WHEN u."_null_tags" THEN NULL ELSE COALESCE("_a_tags".v, '{}') END"""
_L_CODES = """CASE WHEN u."_null_codes" THEN NULL ELSE COALESCE("_a_codes".v, '{}') END"""


def _l_elements(flat: str, rows: str, alias: str) -> str:
    return (
        f"LEFT JOIN (SELECT e.r, array_agg(e.v ORDER BY e.k) AS v FROM unnest({flat}, {rows}) "
        f'WITH ORDINALITY AS e(v, r, k) GROUP BY e.r) AS "{alias}" ON "{alias}".r = u._ord'
    )


_L_INSERT_BATCH_SOURCE = (
    'SELECT u."branch_code", u."account_number", u."amount", u."booked_at", '
    f'{_L_TAGS}, {_L_CODES}, u."payload"::jsonb '
    "FROM unnest($1::text[], $2::int8[], $3::numeric[], $4::timestamp[], $7::bool[], "
    "$10::bool[], $11::text[]) WITH ORDINALITY AS "
    'u("branch_code", "account_number", "amount", "booked_at", "_null_tags", "_null_codes", '
    '"payload", _ord) '
    f"{_l_elements('$5::text[]', '$6::int4[]', '_a_tags')} "
    f"{_l_elements('$8::int4[]', '$9::int4[]', '_a_codes')} "
    "ORDER BY u._ord"
)


def _ledger_entry_key(item: LedgerEntry) -> int:
    # as the generator writes it: an identity has no key before the database assigns one
    if item.id is None:
        raise ValueError("ledger_entry.id is None: the database sets it, so save the row first")
    return item.id


LEDGER_ENTRY = TableSpec[LedgerEntry, int](
    table="ledger_entry",
    entity=LedgerEntry,
    columns=(
        ColumnSpec(
            name="id", attr="id", pg_type="int8", kind="int8", identity=True, none_on_insert=True
        ),
        ColumnSpec(
            name="branch_code",
            attr="branch_code",
            pg_type="varchar(10)",
            kind="text",
            max_length=10,
        ),
        ColumnSpec(name="account_number", attr="account_number", pg_type="int8", kind="int8"),
        ColumnSpec(
            name="amount",
            attr="amount",
            pg_type="numeric(18,2)",
            kind="numeric",
            precision=18,
            scale=2,
        ),
        ColumnSpec(name="booked_at", attr="booked_at", pg_type="timestamp", kind="timestamp"),
        ColumnSpec(
            name="tags",
            attr="tags",
            pg_type="text[]",
            kind="text",
            nullable=True,
            is_array=True,
            nullable_elements=True,
            none_on_insert=True,
            none_on_update=True,
            max_length=20,
        ),
        ColumnSpec(
            name="codes",
            attr="codes",
            pg_type="int4[]",
            kind="int4",
            is_array=True,
            minimum=0,
        ),
        ColumnSpec(
            name="payload",
            attr="payload",
            pg_type="jsonb",
            kind="jsonb",
            nullable=True,
            none_on_insert=True,
            none_on_update=True,
        ),
    ),
    key_columns=(0,),
    insert_columns=(1, 2, 3, 4, 5, 6, 7),
    sql=TableSQL(
        insert_one=(
            f'INSERT INTO "ledger_entry" ({_L_INSERT_COLS}) VALUES ($1::text, $2::int8, '
            "$3::numeric, $4::timestamp, $5::text[], $6::int4[], $7::text::jsonb) "
            f"RETURNING {_L_COLS}"
        ),
        insert_batch=(
            f'INSERT INTO "ledger_entry" ({_L_INSERT_COLS}) {_L_INSERT_BATCH_SOURCE} '
            f"RETURNING {_L_COLS}"
        ),
        select_one=f'SELECT {_L_COLS} FROM "ledger_entry" WHERE "id" = $1::int8',
        select_batch=f'SELECT {_L_COLS} FROM "ledger_entry" WHERE "id" = ANY($1::int8[])',
        exists_one='SELECT EXISTS (SELECT 1 FROM "ledger_entry" WHERE "id" = $1::int8)',
        exists_batch='SELECT "id" FROM "ledger_entry" WHERE "id" = ANY($1::int8[])',
        delete_one='DELETE FROM "ledger_entry" WHERE "id" = $1::int8 RETURNING "id"',
        delete_batch=(
            'WITH d AS (DELETE FROM "ledger_entry" WHERE "id" = ANY($1::int8[]) RETURNING 1) '
            "SELECT count(*) FROM d"
        ),
        update_one=(
            'UPDATE "ledger_entry" SET "branch_code" = $2::text, "account_number" = $3::int8, '
            '"amount" = $4::numeric, "booked_at" = $5::timestamp, "tags" = $6::text[], '
            '"codes" = $7::int4[], "payload" = $8::text::jsonb '
            f'WHERE "id" = $1::int8 RETURNING {_L_COLS}'
        ),
        update_batch=(
            'UPDATE "ledger_entry" SET "branch_code" = u."branch_code", '
            '"account_number" = u."account_number", "amount" = u."amount", '
            f'"booked_at" = u."booked_at", "tags" = {_L_TAGS}, "codes" = {_L_CODES}, '
            '"payload" = u."payload"::jsonb '
            "FROM unnest($1::int8[], $2::text[], $3::int8[], $4::numeric[], $5::timestamp[], "
            "$8::bool[], $11::bool[], $12::text[]) WITH ORDINALITY AS "
            'u("id", "branch_code", "account_number", "amount", "booked_at", "_null_tags", '
            '"_null_codes", "payload", _ord) '
            f"{_l_elements('$6::text[]', '$7::int4[]', '_a_tags')} "
            f"{_l_elements('$9::int4[]', '$10::int4[]', '_a_codes')} "
            'WHERE "ledger_entry"."id" = u."id" RETURNING "ledger_entry"."id", '
            '"ledger_entry"."branch_code", "ledger_entry"."account_number", '
            '"ledger_entry"."amount", "ledger_entry"."booked_at", "ledger_entry"."tags", '
            '"ledger_entry"."codes", "ledger_entry"."payload"'
        ),
        upsert_one=None,
        upsert_batch=None,
    ),
    to_columns=lambda items: [
        [item.id for item in items],
        [item.branch_code for item in items],
        [item.account_number for item in items],
        [item.amount for item in items],
        [item.booked_at for item in items],
        [item.tags for item in items],
        [item.codes for item in items],
        [item.payload for item in items],
    ],
    from_record=lambda record: LedgerEntry(
        id=record[0],
        branch_code=record[1],
        account_number=record[2],
        amount=record[3],
        booked_at=record[4],
        tags=record[5],
        codes=record[6],
        payload=record[7],
    ),
    key_of=_ledger_entry_key,
    uniques=(
        UniqueSpec(
            name="primary_key",
            constraint="ledger_entry_pkey",
            columns=(0,),
            probe_sql=(
                'SELECT u._ord FROM unnest($1::int8[]) WITH ORDINALITY AS u("id", _ord) '
                'WHERE EXISTS (SELECT 1 FROM "ledger_entry" WHERE "ledger_entry"."id" = u."id") '
                "ORDER BY u._ord"
            ),
        ),
    ),
    foreign_keys=(
        ForeignKeySpec(
            name="account",
            constraint="ledger_entry_account_fkey",
            columns=(1, 2),
            parent_table="account",
            parent_columns=("branch_code", "account_number"),
            self_parent_columns=None,
            probe_sql=(
                "SELECT u._ord FROM unnest($1::text[], $2::int8[]) WITH ORDINALITY AS "
                'u("branch_code", "account_number", _ord) WHERE u."branch_code" IS NOT NULL '
                'AND u."account_number" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "account" AS p '
                'WHERE p."branch_code" = u."branch_code" '
                'AND p."account_number" = u."account_number") ORDER BY u._ord'
            ),
            select_children_sql=(
                f'SELECT {_L_COLS} FROM "ledger_entry" WHERE ("ledger_entry"."branch_code", '
                '"ledger_entry"."account_number") IN '
                '(SELECT * FROM unnest($1::text[], $2::int8[])) ORDER BY "id"'
            ),
        ),
    ),
)
