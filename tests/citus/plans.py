"""How Citus plans every generated statement of a distributed table, read from EXPLAIN on the
coordinator: the catalogue behind docs/citus.md, "Which statements run on one shard".

Each statement of the ``distributed`` golden case's ``account`` (audited) and ``posting``
tables is explained with the arguments a batch of one owner's rows binds (the routed twins with
the owner after them), and its plan is summed up as a :class:`Plan`: the task count of every
distributed step, and whether an ``INSERT ... SELECT`` is pulled to the coordinator.
``tests/citus/test_plans.py`` asserts the summaries; run as a script it prints the table:

    PYTHONPATH=. .venv/bin/python -m tests.citus.plans --url postgresql://.../db
        (a database whose schema ``schema.sql`` and ``citus.sql`` made)
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from types import ModuleType
from typing import Any

import asyncpg

from batchrepo.db.arguments import (
    batch_arguments,
    key_arrays,
    key_values,
    row_arguments,
    value_arrays,
)
from batchrepo.write.apply import insert_positions

OWNER = uuid.UUID("00000000-0000-4000-8000-0000000000b1")
ROWS = 5


@dataclass(frozen=True)
class Plan:
    shards: tuple[int, ...]
    """The task count of each distributed step on the workers, in EXPLAIN order."""
    on_coordinator: int
    """Steps that run on the coordinator itself (over the results of the others)."""
    pulled: int
    """``INSERT ... SELECT`` steps evaluated on the coordinator, their rows then sent to the
    shards ("pull to coordinator")."""
    refused: str | None = None
    """The error of a statement Citus does not run (its SQLSTATE and message)."""

    @property
    def one_shard(self) -> bool:
        """Every step that reads or writes a shard reads or writes one."""
        return self.refused is None and set(self.shards) <= {1}

    @property
    def summary(self) -> str:
        if self.refused is not None:
            return f"refused: {self.refused}"
        parts = []
        if self.shards:
            most = max(self.shards)
            parts.append("one shard" if most == 1 else f"every shard ({most} tasks)")
            if len(self.shards) > 1:
                parts[-1] += f" in {len(self.shards)} steps"
        if self.pulled:
            parts.append(f"{self.pulled} INSERT ... SELECT pulled to coordinator")
        if self.on_coordinator:
            parts.append("a step on the coordinator")
        return ", ".join(parts)


def plan_of(lines: list[str], coordinator: int) -> Plan:
    """The plan of an EXPLAIN (text) on the coordinator listening on port ``coordinator``.

    A step whose task runs on the coordinator over the other steps' results
    (``read_intermediate_result``) is the coordinator's; any other task is a shard's (a
    reference table's copy on the coordinator too: Citus may read it there or on a worker)."""
    text = "\n".join(lines)
    steps = list(re.finditer(r"Task Count: (\d+)", text))
    shards: list[int] = []
    local = 0
    for step, following in zip(steps, [*steps[1:], None], strict=False):
        segment = text[step.end() : following.start() if following else len(text)]
        node = re.search(r"Node: host=\S+ port=(\d+)", segment)
        on_coordinator = node is not None and int(node.group(1)) == coordinator
        if on_coordinator and "read_intermediate_result" in segment:
            local += 1
        else:
            shards.append(int(step.group(1)))
    return Plan(tuple(shards), local, text.count("pull to coordinator"))


def _spec(sharded: ModuleType, table: str) -> Any:
    return getattr(sys.modules[f"{sharded.__name__}.{table}"], f"{table.upper()}_TABLE")


def _rows(sharded: ModuleType, table: str) -> list[Any]:
    accounts = [
        sharded.Account(
            owner_id=OWNER,
            id=uuid.UUID(int=n + 1),
            kind=sharded.AccountKind.CURRENT,
            iban=f"PL{n:04d}",
            country="DE",
            version=1,
        )
        for n in range(ROWS)
    ]
    if table == "account":
        return accounts
    return [
        sharded.Posting(
            owner_id=OWNER, id=uuid.UUID(int=100 + n), account_id=accounts[0].id, amount=Decimal(n)
        )
        for n in range(ROWS)
    ]


Arguments = Callable[[Any, list[list[Any]], list[Any]], list[Any]]


def _log(spec: Any) -> list[Any]:
    """The audit log id of an audited write."""
    return [1] if spec.audit is not None else []


def _insert_one(spec: Any, columns: list[list[Any]], keys: list[Any]) -> list[Any]:
    return row_arguments(spec, columns, insert_positions(spec), 0) + _log(spec)


def _insert_batch(spec: Any, columns: list[list[Any]], keys: list[Any]) -> list[Any]:
    return batch_arguments(spec, columns, insert_positions(spec)) + _log(spec)


def _by_key(spec: Any, columns: list[list[Any]], keys: list[Any]) -> list[Any]:
    return key_values(spec, keys[0])


def _by_keys(spec: Any, columns: list[list[Any]], keys: list[Any]) -> list[Any]:
    return key_arrays(spec, keys)


def _delete_one(spec: Any, columns: list[list[Any]], keys: list[Any]) -> list[Any]:
    versioned = [None, 1] if spec.audit is not None else []
    return key_values(spec, keys[0]) + versioned


def _delete_batch(spec: Any, columns: list[list[Any]], keys: list[Any]) -> list[Any]:
    versioned = [[None] * len(keys), 1] if spec.audit is not None else []
    return key_arrays(spec, keys) + versioned


def _update_one(spec: Any, columns: list[list[Any]], keys: list[Any]) -> list[Any]:
    return row_arguments(spec, columns, range(len(spec.columns)), 0) + _log(spec)


def _update_one_columns(spec: Any, columns: list[list[Any]], keys: list[Any]) -> list[Any]:
    mask = [[True] * len(spec.columns)]
    return row_arguments(spec, columns, range(len(spec.columns)), 0) + mask + _log(spec)


def _update_batch(spec: Any, columns: list[list[Any]], keys: list[Any]) -> list[Any]:
    return batch_arguments(spec, columns, range(len(spec.columns))) + _log(spec)


def _update_batch_columns(spec: Any, columns: list[list[Any]], keys: list[Any]) -> list[Any]:
    mask = [[True] * len(spec.columns)]
    return batch_arguments(spec, columns, range(len(spec.columns))) + mask + _log(spec)


#: Statement kind -> (where the spec holds it, its arguments).
CATALOGUE: dict[str, tuple[Callable[[Any], str | None], Arguments]] = {
    "insert (single)": (lambda s: s.sql.insert_one, _insert_one),
    "insert_batch (save_batch)": (lambda s: s.sql.insert_batch, _insert_batch),
    "insert_batch_count (returning=False)": (lambda s: s.sql.insert_batch_count, _insert_batch),
    "save_if_new (single)": (lambda s: s.uniques[0].insert_if_new_sql, _insert_one),
    "save_batch_if_new": (lambda s: s.uniques[0].insert_batch_if_new_sql, _insert_batch),
    "upsert (single)": (lambda s: s.sql.upsert_one, _insert_one),
    "upsert_batch": (lambda s: s.sql.upsert_batch, _insert_batch),
    "load (single)": (lambda s: s.sql.select_one, _by_key),
    "exists (single)": (lambda s: s.sql.exists_one, _by_key),
    "load_batch": (lambda s: s.sql.select_batch, _by_keys),
    "exists_batch": (lambda s: s.sql.exists_batch, _by_keys),
    "update (single)": (lambda s: s.sql.update_one, _update_one),
    "update (single, columns=...)": (lambda s: s.sql.update_one_columns, _update_one_columns),
    "update_batch": (lambda s: s.sql.update_batch, _update_batch),
    "update_batch_count (returning=False)": (lambda s: s.sql.update_batch_count, _update_batch),
    "update_batch (columns=...)": (lambda s: s.sql.update_batch_columns, _update_batch_columns),
    "delete (single)": (lambda s: s.sql.delete_one, _delete_one),
    "delete_batch": (lambda s: s.sql.delete_batch, _delete_batch),
    "stream_all (select_all)": (lambda s: s.sql.select_all, lambda *_: []),
    "key cache warm-up (select_keys)": (lambda s: s.sql.select_keys, lambda *_: [1000]),
    "probe: primary key": (
        lambda s: s.uniques[0].probe_sql,
        lambda s, c, k: batch_arguments(s, c, s.key_columns),
    ),
    "probe: missing parent": (
        lambda s: s.foreign_keys[-1].probe_sql,
        lambda s, c, k: batch_arguments(s, c, s.foreign_keys[-1].columns),
    ),
    "load_grouped_by_<fk> (children)": (
        lambda s: s.foreign_keys[-1].select_children_sql,
        lambda s, c, k: [c[p] for p in s.foreign_keys[-1].columns],
    ),
}

#: Statements of the audited ``account`` only.
AUDITED: dict[str, tuple[Callable[[Any], str | None], Arguments]] = {
    "probe: unique key": (
        lambda s: s.uniques[1].probe_sql,
        lambda s, c, k: batch_arguments(s, c, s.uniques[1].columns + s.key_columns),
    ),
    "load_batch_by_<unique>": (
        lambda s: s.uniques[1].select_batch_sql,
        lambda s, c, k: value_arrays(2, [(r, i) for r, i in zip(c[0], c[3], strict=True)]),
    ),
    "load_history (single)": (lambda s: s.audit.select_history_one, _by_key),
    "load_history_batch": (lambda s: s.audit.select_history_batch, _by_keys),
    "load_as_of (single)": (
        lambda s: s.audit.select_as_of_one,
        lambda s, c, k: [*key_values(s, k[0]), None, None],
    ),
    "load_as_of_batch": (
        lambda s: s.audit.select_as_of_batch,
        lambda s, c, k: [*key_arrays(s, k), [None] * len(k), None],
    ),
}


async def explain(
    conn: asyncpg.Connection, sharded: ModuleType
) -> list[tuple[str, str, Plan, Plan | None]]:
    """(table, statement kind, plan, plan of its routed twin or None) of every statement."""
    found = []
    for table in ("account", "posting"):
        spec = _spec(sharded, table)
        rows = _rows(sharded, table)
        columns = spec.to_columns(rows)
        keys = [spec.key_of(r) for r in rows]
        catalogue = {**CATALOGUE, **(AUDITED if table == "account" else {})}
        for kind, (statement_of, arguments_of) in catalogue.items():
            statement = statement_of(spec)
            if statement is None:
                continue
            arguments = arguments_of(spec, columns, keys)
            plan = await _plan(conn, statement, arguments)
            twin = spec.routing.statements.get(statement) if spec.routing else None
            routed = None if twin is None else await _plan(conn, twin, [*arguments, OWNER])
            found.append((table, kind, plan, routed))
    return found


async def _plan(conn: asyncpg.Connection, statement: str, arguments: list[Any]) -> Plan:
    try:
        rows = await conn.fetch("EXPLAIN " + statement, *arguments)
    except asyncpg.PostgresError as error:
        return Plan((), 0, 0, f"{error.sqlstate} {str(error).splitlines()[0]}")
    return plan_of([row[0] for row in rows], int(await conn.fetchval("SHOW port")))


def markdown(found: list[tuple[str, str, Plan, Plan | None]]) -> str:
    lines = [
        "| table | statement | as generated | routed twin (one owner) |",
        "|---|---|---|---|",
    ]
    for table, kind, plan, routed in found:
        twin = "" if routed is None else routed.summary
        lines.append(f"| {table} | {kind} | {plan.summary} | {twin} |")
    return "\n".join(lines)


async def _main(url: str) -> None:
    import batchrepo
    from tests.citus.conftest import SHARDED
    from tests.property.packages import import_from

    sharded = import_from(SHARDED, "sharded")
    conn = await asyncpg.connect(url)
    try:
        await batchrepo.TypeCodecs(sharded)(conn)
        print(markdown(await explain(conn, sharded)))
    finally:
        await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    asyncio.run(_main(parser.parse_args().url))
