"""``account``: composite key (varchar, int8), a foreign key to person, a CHECK the runtime does
not know about, a date.
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from typing import NamedTuple

from batchrepo.spec import ColumnSpec, ForeignKeySpec, TableSpec, TableSQL, UniqueSpec

DDL = """
CREATE TABLE "account" (
    "branch_code" varchar(10) NOT NULL,
    "account_number" int8 NOT NULL,
    "owner_person_id" uuid NOT NULL,
    "opened_on" date NOT NULL,
    CONSTRAINT "account_pkey" PRIMARY KEY ("branch_code", "account_number"),
    CONSTRAINT "account_owner_fkey" FOREIGN KEY ("owner_person_id") REFERENCES "person" ("id"),
    CONSTRAINT "account_opened_on_check" CHECK ("opened_on" >= DATE '2000-01-01')
);
"""


class AccountKey(NamedTuple):
    branch_code: str
    account_number: int


@dataclasses.dataclass(slots=True, kw_only=True)
class Account:
    branch_code: str
    account_number: int
    owner_person_id: uuid.UUID
    opened_on: datetime.date


_A_COLS = '"branch_code", "account_number", "owner_person_id", "opened_on"'
_A_UNNEST = (
    "unnest($1::text[], $2::int8[], $3::uuid[], $4::date[]) WITH ORDINALITY AS "
    'u("branch_code", "account_number", "owner_person_id", "opened_on", _ord)'
)
_A_SELECT_U = 'SELECT u."branch_code", u."account_number", u."owner_person_id", u."opened_on"'
_A_VALUES = "VALUES ($1::text, $2::int8, $3::uuid, $4::date)"
_A_WHERE_ONE = 'WHERE "branch_code" = $1::text AND "account_number" = $2::int8'
_A_WHERE_ARRAYS = (
    'WHERE ("account"."branch_code", "account"."account_number") IN '
    "(SELECT * FROM unnest($1::text[], $2::int8[]))"
)
_A_CONFLICT = (
    'ON CONFLICT ("branch_code", "account_number") DO UPDATE SET '
    '"owner_person_id" = EXCLUDED."owner_person_id", "opened_on" = EXCLUDED."opened_on"'
)

ACCOUNT = TableSpec[Account, AccountKey](
    table="account",
    entity=Account,
    columns=(
        ColumnSpec(
            name="branch_code",
            attr="branch_code",
            pg_type="varchar(10)",
            kind="text",
            max_length=10,
        ),
        ColumnSpec(name="account_number", attr="account_number", pg_type="int8", kind="int8"),
        ColumnSpec(name="owner_person_id", attr="owner_person_id", pg_type="uuid", kind="uuid"),
        ColumnSpec(name="opened_on", attr="opened_on", pg_type="date", kind="date"),
    ),
    key_columns=(0, 1),
    insert_columns=(0, 1, 2, 3),
    sql=TableSQL(
        insert_one=f'INSERT INTO "account" ({_A_COLS}) {_A_VALUES} RETURNING {_A_COLS}',
        insert_batch=(
            f'INSERT INTO "account" ({_A_COLS}) {_A_SELECT_U} FROM {_A_UNNEST} ORDER BY u._ord '
            f"RETURNING {_A_COLS}"
        ),
        select_one=f'SELECT {_A_COLS} FROM "account" {_A_WHERE_ONE}',
        select_batch=f'SELECT {_A_COLS} FROM "account" {_A_WHERE_ARRAYS}',
        exists_one=f'SELECT EXISTS (SELECT 1 FROM "account" {_A_WHERE_ONE})',
        exists_batch=f'SELECT "branch_code", "account_number" FROM "account" {_A_WHERE_ARRAYS}',
        delete_one=(
            f'DELETE FROM "account" {_A_WHERE_ONE} RETURNING "branch_code", "account_number"'
        ),
        delete_batch=(
            f'WITH d AS (DELETE FROM "account" {_A_WHERE_ARRAYS} RETURNING 1) '
            "SELECT count(*) FROM d"
        ),
        update_one=(
            'UPDATE "account" SET "owner_person_id" = $3::uuid, "opened_on" = $4::date '
            f"{_A_WHERE_ONE} RETURNING {_A_COLS}"
        ),
        update_batch=(
            'UPDATE "account" SET "owner_person_id" = u."owner_person_id", '
            '"opened_on" = u."opened_on" '
            "FROM unnest($1::text[], $2::int8[], $3::uuid[], $4::date[]) AS "
            'u("branch_code", "account_number", "owner_person_id", "opened_on") '
            'WHERE "account"."branch_code" = u."branch_code" '
            'AND "account"."account_number" = u."account_number" '
            'RETURNING "account"."branch_code", "account"."account_number", '
            '"account"."owner_person_id", "account"."opened_on"'
        ),
        upsert_one=(
            f'INSERT INTO "account" ({_A_COLS}) {_A_VALUES} {_A_CONFLICT} RETURNING {_A_COLS}'
        ),
        upsert_batch=(
            f'INSERT INTO "account" ({_A_COLS}) {_A_SELECT_U} FROM {_A_UNNEST} ORDER BY u._ord '
            f"{_A_CONFLICT} RETURNING {_A_COLS}"
        ),
    ),
    to_columns=lambda items: [
        [item.branch_code for item in items],
        [item.account_number for item in items],
        [item.owner_person_id for item in items],
        [item.opened_on for item in items],
    ],
    from_record=lambda record: Account(
        branch_code=record[0],
        account_number=record[1],
        owner_person_id=record[2],
        opened_on=record[3],
    ),
    key_of=lambda item: AccountKey(item.branch_code, item.account_number),
    uniques=(
        UniqueSpec(
            name="primary_key",
            constraint="account_pkey",
            columns=(0, 1),
            probe_sql=(
                "SELECT u._ord FROM unnest($1::text[], $2::int8[]) WITH ORDINALITY AS "
                'u("branch_code", "account_number", _ord) WHERE EXISTS (SELECT 1 FROM "account" '
                'WHERE "account"."branch_code" = u."branch_code" '
                'AND "account"."account_number" = u."account_number") ORDER BY u._ord'
            ),
        ),
    ),
    foreign_keys=(
        ForeignKeySpec(
            name="owner",
            constraint="account_owner_fkey",
            columns=(2,),
            parent_table="person",
            parent_columns=("id",),
            self_parent_columns=None,
            probe_sql=(
                "SELECT u._ord FROM unnest($1::uuid[]) "
                'WITH ORDINALITY AS u("owner_person_id", _ord) '
                'WHERE u."owner_person_id" IS NOT NULL AND NOT EXISTS '
                '(SELECT 1 FROM "person" AS p WHERE p."id" = u."owner_person_id") ORDER BY u._ord'
            ),
            select_children_sql=(
                f'SELECT {_A_COLS} FROM "account" WHERE "owner_person_id" = ANY($1::uuid[]) '
                'ORDER BY "branch_code", "account_number"'
            ),
        ),
    ),
)
