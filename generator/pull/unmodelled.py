"""What a live schema holds beyond what ``schema.yaml`` says: triggers, functions, views,
sequences no identity owns, extensions, policies, rules, domains and other types, comments on
constraints and indexes, and the rows in its tables. Each is one :class:`Unmodelled`, listed
loudly by ``batchrepo pull``; none is dropped silently.

One kind of trigger is understood rather than listed: a ``BEFORE UPDATE ... FOR EACH ROW``
trigger whose PL/pgSQL function does nothing but ``NEW.<column> := now();`` (or
``current_timestamp``, ``clock_timestamp()``, ``current_date``) and ``RETURN NEW``, the usual
``updated_at`` trigger, becomes ``on_update:`` on the column, which every generated UPDATE
path sets without a trigger (:func:`on_update_triggers`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import asyncpg

from ..schema.names import quote_ident


@dataclass(frozen=True, slots=True)
class Unmodelled:
    kind: str
    """``trigger``, ``function``, ``view``, ``sequence``, ``extension``, ``rows``, ..."""
    name: str
    table: str | None
    """The table it belongs to, when it belongs to one."""
    detail: str

    def __str__(self) -> str:
        on = f" on {self.table}" if self.table and self.kind != "rows" else ""
        return f"{self.kind} {self.name}{on}: {' '.join(self.detail.split())}"


@dataclass(frozen=True, slots=True)
class OnUpdateTrigger:
    table: str
    column: str
    expression: str
    """The schema.yaml spelling: ``now()``, ``current_timestamp``, ..."""
    trigger: str
    function: str


_ON_UPDATE_BODY = re.compile(
    r"\s*begin\s+new\.\"?(?P<column>[a-z_][a-z0-9_]*)\"?\s*:?=\s*"
    r"(?P<expression>now\(\)|current_timestamp|clock_timestamp\(\)|current_date)\s*;\s*"
    r"return\s+new\s*;\s*end\s*;?\s*",
    re.IGNORECASE,
)

_TRIGGERS = """
SELECT t.tgname AS name, c.relname AS table, p.proname AS function, p.prosrc AS body,
       l.lanname AS language, pg_get_triggerdef(t.oid) AS definition,
       (t.tgtype & 1) <> 0 AS per_row, (t.tgtype & 2) <> 0 AS before,
       (t.tgtype & 16) <> 0 AS on_update, (t.tgtype & (4 | 8 | 32)) = 0 AS only_update
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc p ON p.oid = t.tgfoid
JOIN pg_language l ON l.oid = p.prolang
WHERE n.nspname = $1 AND NOT t.tgisinternal
ORDER BY c.relname, t.tgname
"""
# Objects of the schema that are not tables, enums, their constraints or indexes; objects an
# extension owns are the extension's and listed once, as the extension.
_OBJECTS = """
SELECT 'function' AS kind, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
         AS name, NULL AS table, 'returns ' || pg_get_function_result(p.oid) AS detail
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = $1 AND NOT EXISTS (
  SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
    AND d.deptype = 'e')
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
         WHEN 'f' THEN 'foreign table' ELSE 'sequence' END,
       c.relname, NULL,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true)
         ELSE 'not owned by an identity column' END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('v', 'm', 'f', 'S') AND NOT EXISTS (
  SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
    AND (d.deptype = 'e' OR d.deptype = 'i' AND c.relkind = 'S'))
UNION ALL
SELECT 'extension', e.extname, NULL, 'version ' || e.extversion
FROM pg_extension e WHERE e.extname <> 'plpgsql'
UNION ALL
SELECT 'policy', p.polname, c.relname, 'row level security policy'
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1
UNION ALL
SELECT 'row level security', c.relname, c.relname, 'enabled'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relrowsecurity
UNION ALL
SELECT 'rule', r.rulename, c.relname, pg_get_ruledef(r.oid, true)
FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND r.rulename <> '_RETURN'
UNION ALL
SELECT CASE t.typtype WHEN 'd' THEN 'domain' WHEN 'r' THEN 'range type' ELSE 'type' END,
       t.typname, NULL, format_type(t.oid, NULL)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = $1 AND t.typtype IN ('d', 'r', 'm')
   OR n.nspname = $1 AND t.typtype = 'c' AND EXISTS (
     SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c')
UNION ALL
SELECT 'comment', con.conname, c.relname, 'on constraint: ' || d.description
FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_description d ON d.objoid = con.oid AND d.classoid = 'pg_constraint'::regclass
WHERE n.nspname = $1
UNION ALL
SELECT 'comment', ic.relname, c.relname, 'on index: ' || d.description
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_description d ON d.objoid = ic.oid AND d.classoid = 'pg_class'::regclass
WHERE n.nspname = $1
"""
#: Rows counted up to this many per table (``more than`` beyond).
ROW_COUNT_LIMIT = 100_000


async def on_update_triggers(conn: asyncpg.Connection[Any], schema: str) -> list[OnUpdateTrigger]:
    """The ``updated_at`` triggers of the schema that ``on_update:`` replaces."""
    found = []
    for row in await conn.fetch(_TRIGGERS, schema):
        body = _ON_UPDATE_BODY.fullmatch(row["body"] or "")
        if body is None or row["language"] != "plpgsql":
            continue
        if row["per_row"] and row["before"] and row["on_update"] and row["only_update"]:
            column = body["column"].lower()
            found.append(
                OnUpdateTrigger(
                    row["table"], column, body["expression"].lower(), row["name"], row["function"]
                )
            )
    return found


async def unmodelled_objects(
    conn: asyncpg.Connection[Any], schema: str, tables: list[str], replaced: list[OnUpdateTrigger]
) -> list[Unmodelled]:
    """Everything of ``schema`` that neither the schema document nor ``on_update`` holds, and
    the rows of ``tables`` (seed data is no part of the schema)."""
    replaced_triggers = {(r.table, r.trigger) for r in replaced}
    used: dict[str, bool] = {}
    found = []
    for row in await conn.fetch(_TRIGGERS, schema):
        if (row["table"], row["name"]) in replaced_triggers:
            used.setdefault(row["function"], True)
            continue
        used[row["function"]] = False
        found.append(Unmodelled("trigger", row["name"], row["table"], row["definition"]))
    for row in await conn.fetch(_OBJECTS, schema):
        function = row["name"].split("(")[0]
        if row["kind"] == "function" and used.get(function) is True:
            continue
        found.append(Unmodelled(row["kind"], row["name"], row["table"], row["detail"]))
    for table in tables:
        count = await conn.fetchval(
            f"SELECT count(*) FROM (SELECT FROM {quote_ident(schema)}.{quote_ident(table)} "
            f"LIMIT {ROW_COUNT_LIMIT + 1}) AS counted"
        )
        if count:
            many = f"more than {ROW_COUNT_LIMIT}" if count > ROW_COUNT_LIMIT else str(count)
            found.append(
                Unmodelled("rows", table, table, f"{many} rows (data is not part of schema.yaml)")
            )
    return found
