"""``person``: uuid key, enum, varchar(n), nullable unique key, numeric(15,2), server default
``now()`` and a self reference (organisation).
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

from batchrepo.spec import ColumnSpec, ForeignKeySpec, TableSpec, TableSQL, UniqueSpec

DDL = """
CREATE TYPE person_type AS ENUM ('natural', 'legal');

CREATE TABLE "person" (
    "id" uuid NOT NULL,
    "person_type" person_type NOT NULL,
    "display_name" varchar(100) NOT NULL,
    "external_identifier" varchar(50) NULL,
    "organization_person_id" uuid NULL,
    "balance" numeric(15,2) NOT NULL,
    "created_at" timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT "person_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "person_external_identifier_key" UNIQUE ("external_identifier"),
    CONSTRAINT "person_organization_fkey" FOREIGN KEY ("organization_person_id")
        REFERENCES "person" ("id")
);
"""


class PersonType(enum.StrEnum):
    NATURAL = "natural"
    LEGAL = "legal"


@dataclasses.dataclass(slots=True, kw_only=True)
class Person:
    id: uuid.UUID = dataclasses.field(default_factory=uuid.uuid4)
    person_type: PersonType
    display_name: str
    external_identifier: str | None = None
    organization_person_id: uuid.UUID | None = None
    balance: Decimal
    created_at: datetime.datetime | None = None


PersonKey = uuid.UUID


def _person_columns(items: Sequence[Person]) -> list[list[Any]]:
    return [
        [item.id for item in items],
        [item.person_type for item in items],
        [item.display_name for item in items],
        [item.external_identifier for item in items],
        [item.organization_person_id for item in items],
        [item.balance for item in items],
        [item.created_at for item in items],
    ]


#: As enums.py generates it: members by value, a dict lookup instead of calling the class.
PERSON_TYPE_BY_VALUE: Final[Mapping[str, PersonType]] = {m.value: m for m in PersonType}


def _person_from_record(record: Any) -> Person:
    return Person(
        id=record[0],
        person_type=PERSON_TYPE_BY_VALUE[record[1]],
        display_name=record[2],
        external_identifier=record[3],
        organization_person_id=record[4],
        balance=record[5],
        created_at=record[6],
    )


def _person_key(item: Person) -> PersonKey:
    return item.id


_P_COLS = (
    '"id", "person_type", "display_name", "external_identifier", "organization_person_id", '
    '"balance", "created_at"'
)
_P_UNNEST = (
    "unnest($1::uuid[], $2::person_type[], $3::text[], $4::text[], $5::uuid[], $6::numeric[], "
    '$7::timestamptz[]) WITH ORDINALITY AS u("id", "person_type", "display_name", '
    '"external_identifier", "organization_person_id", "balance", "created_at", _ord)'
)
_P_SELECT_U = (
    'SELECT u."id", u."person_type", u."display_name", u."external_identifier", '
    'u."organization_person_id", u."balance", COALESCE(u."created_at", now())'
)
_P_VALUES = (
    "VALUES ($1::uuid, $2::person_type, $3::text, $4::text, $5::uuid, $6::numeric, "
    "COALESCE($7::timestamptz, now()))"
)
_P_CONFLICT = (
    'ON CONFLICT ("id") DO UPDATE SET "person_type" = EXCLUDED."person_type", '
    '"display_name" = EXCLUDED."display_name", '
    '"external_identifier" = EXCLUDED."external_identifier", '
    '"organization_person_id" = EXCLUDED."organization_person_id", '
    '"balance" = EXCLUDED."balance"'
)

PERSON_SQL = TableSQL(
    insert_one=f'INSERT INTO "person" ({_P_COLS}) {_P_VALUES} RETURNING {_P_COLS}',
    insert_batch=(
        f'INSERT INTO "person" ({_P_COLS}) {_P_SELECT_U} FROM {_P_UNNEST} ORDER BY u._ord '
        f"RETURNING {_P_COLS}"
    ),
    select_one=f'SELECT {_P_COLS} FROM "person" WHERE "id" = $1::uuid',
    select_batch=f'SELECT {_P_COLS} FROM "person" WHERE "id" = ANY($1::uuid[])',
    exists_one='SELECT EXISTS (SELECT 1 FROM "person" WHERE "id" = $1::uuid)',
    exists_batch='SELECT "id" FROM "person" WHERE "id" = ANY($1::uuid[])',
    delete_one='DELETE FROM "person" WHERE "id" = $1::uuid RETURNING "id"',
    delete_batch=(
        'WITH d AS (DELETE FROM "person" WHERE "id" = ANY($1::uuid[]) RETURNING 1) '
        "SELECT count(*) FROM d"
    ),
    update_one=(
        'UPDATE "person" SET "person_type" = $2::person_type, "display_name" = $3::text, '
        '"external_identifier" = $4::text, "organization_person_id" = $5::uuid, '
        '"balance" = $6::numeric, "created_at" = COALESCE($7::timestamptz, "person"."created_at") '
        f'WHERE "id" = $1::uuid RETURNING {_P_COLS}'
    ),
    update_batch=(
        'UPDATE "person" SET "person_type" = u."person_type", "display_name" = u."display_name", '
        '"external_identifier" = u."external_identifier", '
        '"organization_person_id" = u."organization_person_id", "balance" = u."balance", '
        '"created_at" = COALESCE(u."created_at", "person"."created_at") '
        "FROM unnest($1::uuid[], $2::person_type[], $3::text[], $4::text[], $5::uuid[], "
        '$6::numeric[], $7::timestamptz[]) AS u("id", "person_type", "display_name", '
        '"external_identifier", "organization_person_id", "balance", "created_at") '
        'WHERE "person"."id" = u."id" '
        'RETURNING "person"."id", "person"."person_type", "person"."display_name", '
        '"person"."external_identifier", "person"."organization_person_id", "person"."balance", '
        '"person"."created_at"'
    ),
    upsert_one=f'INSERT INTO "person" ({_P_COLS}) {_P_VALUES} {_P_CONFLICT} RETURNING {_P_COLS}',
    upsert_batch=(
        f'INSERT INTO "person" ({_P_COLS}) {_P_SELECT_U} FROM {_P_UNNEST} ORDER BY u._ord '
        f"{_P_CONFLICT} RETURNING {_P_COLS}"
    ),
)

PERSON = TableSpec[Person, PersonKey](
    table="person",
    entity=Person,
    columns=(
        ColumnSpec(name="id", attr="id", pg_type="uuid", kind="uuid"),
        ColumnSpec(
            name="person_type",
            attr="person_type",
            pg_type="person_type",
            kind="enum",
            enum_values=frozenset({"natural", "legal"}),
        ),
        ColumnSpec(
            name="display_name",
            attr="display_name",
            pg_type="varchar(100)",
            kind="text",
            max_length=100,
            min_length=1,
        ),
        ColumnSpec(
            name="external_identifier",
            attr="external_identifier",
            pg_type="varchar(50)",
            kind="text",
            nullable=True,
            none_on_insert=True,
            none_on_update=True,
            max_length=50,
        ),
        ColumnSpec(
            name="organization_person_id",
            attr="organization_person_id",
            pg_type="uuid",
            kind="uuid",
            nullable=True,
            none_on_insert=True,
            none_on_update=True,
        ),
        ColumnSpec(
            name="balance",
            attr="balance",
            pg_type="numeric(15,2)",
            kind="numeric",
            precision=15,
            scale=2,
            minimum=Decimal("-1000000"),
        ),
        ColumnSpec(
            name="created_at",
            attr="created_at",
            pg_type="timestamptz",
            kind="timestamptz",
            server_default=True,
            none_on_insert=True,
            none_on_update=True,
        ),
    ),
    key_columns=(0,),
    insert_columns=(0, 1, 2, 3, 4, 5, 6),
    sql=PERSON_SQL,
    to_columns=_person_columns,
    from_record=_person_from_record,
    key_of=_person_key,
    uniques=(
        UniqueSpec(
            name="primary_key",
            constraint="person_pkey",
            columns=(0,),
            probe_sql=(
                'SELECT u._ord FROM unnest($1::uuid[]) WITH ORDINALITY AS u("id", _ord) '
                'WHERE EXISTS (SELECT 1 FROM "person" WHERE "person"."id" = u."id") '
                "ORDER BY u._ord"
            ),
        ),
        UniqueSpec(
            name="external_identifier",
            constraint="person_external_identifier_key",
            columns=(3,),
            probe_sql=(
                "SELECT u._ord FROM unnest($1::text[], $2::uuid[]) "
                'WITH ORDINALITY AS u("external_identifier", "_pk_id", _ord) '
                'WHERE EXISTS (SELECT 1 FROM "person" WHERE '
                '"person"."external_identifier" = u."external_identifier" '
                'AND "person"."id" IS DISTINCT FROM u."_pk_id") ORDER BY u._ord'
            ),
            select_batch_sql=(
                f'SELECT {_P_COLS} FROM "person" WHERE "external_identifier" = ANY($1::text[])'
            ),
        ),
    ),
    foreign_keys=(
        ForeignKeySpec(
            name="organization",
            constraint="person_organization_fkey",
            columns=(4,),
            parent_table="person",
            parent_columns=("id",),
            self_parent_columns=(0,),
            probe_sql=(
                "SELECT u._ord FROM unnest($1::uuid[]) "
                'WITH ORDINALITY AS u("organization_person_id", _ord) '
                'WHERE u."organization_person_id" IS NOT NULL AND NOT EXISTS '
                '(SELECT 1 FROM "person" AS p WHERE p."id" = u."organization_person_id") '
                "ORDER BY u._ord"
            ),
            select_children_sql=(
                f'SELECT {_P_COLS} FROM "person" '
                'WHERE "organization_person_id" = ANY($1::uuid[]) ORDER BY "id"'
            ),
        ),
    ),
)
