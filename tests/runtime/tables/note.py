"""``note``: an audited table (bigint key, text, a nullable reference to ``person``), its history
table and the shared ``audit_log``, with the statement shapes of ``docs/units-of-work.md``:
every write takes the audit log id last and writes its history rows in the same statement.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from typing import Any

from batchrepo.spec import AuditSpec, ColumnSpec, ForeignKeySpec, TableSpec, TableSQL, UniqueSpec

DDL = """
CREATE TYPE audit_operation AS ENUM ('insert', 'update', 'delete');

CREATE TABLE "audit_log" (
    "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "actor" text NOT NULL,
    "created_at" timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE "note" (
    "id" bigint NOT NULL,
    "title" text NOT NULL,
    "person_id" uuid NULL,
    "version" bigint NOT NULL DEFAULT 1,
    CONSTRAINT "note_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "note_person_fkey" FOREIGN KEY ("person_id") REFERENCES "person" ("id")
);

CREATE TABLE "note_history" (
    "history_id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "id" bigint NOT NULL,
    "title" text NOT NULL,
    "person_id" uuid NULL,
    "version" bigint NOT NULL,
    "operation" audit_operation NOT NULL,
    "audit_log_id" bigint NOT NULL REFERENCES "audit_log" ("id")
);
CREATE INDEX ON "note_history" ("id", "version");
"""

#: Children first, as TRUNCATE wants them.
TABLES = ("note_history", "note", "audit_log")


@dataclasses.dataclass(slots=True, kw_only=True)
class Note:
    id: int
    title: str
    person_id: uuid.UUID | None = None
    version: int | None = None


def _columns(items: Sequence[Note]) -> list[list[Any]]:
    return [
        [item.id for item in items],
        [item.title for item in items],
        [item.person_id for item in items],
        [item.version for item in items],
    ]


def _from_record(record: Any) -> Note:
    return Note(id=record[0], title=record[1], person_id=record[2], version=record[3])


_COLS = '"id", "title", "person_id", "version"'
_HISTORY = (
    'INSERT INTO "note_history" ("id", "title", "person_id", "version", "operation", '
    '"audit_log_id")'
)


def _with_history(write: str, operation: str, log: str, version: str = '"version"') -> str:
    return (
        f"WITH w AS ({write}), h AS ({_HISTORY} "
        f'SELECT "id", "title", "person_id", {version}, \'{operation}\', {log} FROM w)'
    )


_UNCHANGED = '("note"."title", "note"."person_id") IS NOT DISTINCT FROM (u."title", u."person_id")'
_CHECKED = '(u."version" IS NULL OR "note"."version" = u."version")'
_UPDATE = (
    'UPDATE "note" SET "title" = u."title", "person_id" = u."person_id", '
    '"version" = "note"."version" + 1 FROM {source} '
    f'WHERE "note"."id" = u."id" AND {_CHECKED} AND NOT {_UNCHANGED} '
    'RETURNING "note"."id", "note"."title", "note"."person_id", "note"."version"'
)
_KEPT = (
    'SELECT "note"."id", "note"."title", "note"."person_id", "note"."version" '
    f'FROM "note" JOIN {{source}} ON "note"."id" = u."id" WHERE {_CHECKED} AND {_UNCHANGED}'
)
_ONE = '(SELECT $1::int8, $2::text, $3::uuid, $4::int8) AS u("id", "title", "person_id", "version")'
_MANY = (
    'unnest($1::int8[], $2::text[], $3::uuid[], $4::int8[]) AS u("id", "title", "person_id", '
    '"version")'
)
_UNNEST_INSERT = (
    'unnest($1::int8[], $2::text[], $3::uuid[]) WITH ORDINALITY AS u("id", "title", '
    '"person_id", _ord)'
)

NOTE_SQL = TableSQL(
    insert_one=_with_history(
        'INSERT INTO "note" ("id", "title", "person_id") VALUES ($1::int8, $2::text, $3::uuid) '
        f"RETURNING {_COLS}",
        "insert",
        "$4::int8",
    )
    + f" SELECT {_COLS} FROM w",
    insert_batch=_with_history(
        'INSERT INTO "note" ("id", "title", "person_id") '
        f'SELECT u."id", u."title", u."person_id" FROM {_UNNEST_INSERT} ORDER BY u._ord '
        f"RETURNING {_COLS}",
        "insert",
        "$4::int8",
    )
    + f" SELECT {_COLS} FROM w",
    select_one=f'SELECT {_COLS} FROM "note" WHERE "id" = $1::int8',
    select_batch=f'SELECT {_COLS} FROM "note" WHERE "id" = ANY($1::int8[])',
    exists_one='SELECT EXISTS (SELECT 1 FROM "note" WHERE "id" = $1::int8)',
    exists_batch='SELECT "id" FROM "note" WHERE "id" = ANY($1::int8[])',
    delete_one=_with_history(
        'DELETE FROM "note" WHERE "id" = $1::int8 AND ($2::int8 IS NULL OR "version" = $2::int8) '
        f"RETURNING {_COLS}",
        "delete",
        "$3::int8",
        '"version" + 1',
    )
    + ' SELECT "id" FROM w',
    delete_batch=_with_history(
        'DELETE FROM "note" USING unnest($1::int8[], $2::int8[]) AS k("id", "version") '
        'WHERE "note"."id" = k."id" AND (k."version" IS NULL OR "note"."version" = k."version") '
        'RETURNING "note"."id", "note"."title", "note"."person_id", "note"."version"',
        "delete",
        "$3::int8",
        '"version" + 1',
    )
    + " SELECT count(*) FROM w",
    update_one=_with_history(_UPDATE.format(source=_ONE), "update", "$5::int8")
    + f" SELECT {_COLS} FROM w UNION ALL {_KEPT.format(source=_ONE)}",
    update_batch=_with_history(_UPDATE.format(source=_MANY), "update", "$5::int8")
    + f" SELECT {_COLS} FROM w UNION ALL {_KEPT.format(source=_MANY)}",
    upsert_one=None,
    upsert_batch=None,
    select_keys='SELECT "id", "version" FROM "note" LIMIT $1::int8',
)

NOTE = TableSpec[Note, int](
    table="note",
    entity=Note,
    columns=(
        ColumnSpec(name="id", attr="id", pg_type="bigint", kind="int8"),
        ColumnSpec(name="title", attr="title", pg_type="text", kind="text"),
        ColumnSpec(
            name="person_id",
            attr="person_id",
            pg_type="uuid",
            kind="uuid",
            nullable=True,
            none_on_insert=True,
            none_on_update=True,
        ),
        ColumnSpec(
            name="version",
            attr="version",
            pg_type="bigint",
            kind="int8",
            nullable=True,
            none_on_insert=True,
            none_on_update=True,
            minimum=1,
            version=True,
        ),
    ),
    key_columns=(0,),
    insert_columns=(0, 1, 2),
    sql=NOTE_SQL,
    to_columns=_columns,
    from_record=_from_record,
    key_of=lambda item: item.id,
    uniques=(
        UniqueSpec(
            name="primary_key",
            constraint="note_pkey",
            columns=(0,),
            probe_sql=(
                'SELECT u._ord FROM unnest($1::int8[]) WITH ORDINALITY AS u("id", _ord) '
                'WHERE EXISTS (SELECT 1 FROM "note" WHERE "note"."id" = u."id") ORDER BY u._ord'
            ),
        ),
    ),
    foreign_keys=(
        ForeignKeySpec(
            name="person",
            constraint="note_person_fkey",
            columns=(2,),
            parent_table="person",
            parent_columns=("id",),
            self_parent_columns=None,
            probe_sql=(
                'SELECT u._ord FROM unnest($1::uuid[]) WITH ORDINALITY AS u("person_id", _ord) '
                'WHERE u."person_id" IS NOT NULL AND NOT EXISTS '
                '(SELECT 1 FROM "person" AS p WHERE p."id" = u."person_id") ORDER BY u._ord'
            ),
            select_children_sql=(
                f'SELECT {_COLS} FROM "note" WHERE "person_id" = ANY($1::uuid[]) ORDER BY "id"'
            ),
        ),
    ),
    audit=AuditSpec(
        history_table="note_history",
        version_column=3,
        insert_log_sql='INSERT INTO "audit_log" ("actor") VALUES ($1::text) RETURNING "id"',
    ),
)
