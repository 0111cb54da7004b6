"""Foreign keys that make tables impossible to fill: NOT NULL references around a cycle.

When ``a.b_id`` (NOT NULL) references ``b`` and ``b.a_id`` (NOT NULL) references ``a``, the
first row of either table needs a row of the other already stored, so no row can ever be
inserted: the constraints are immediate, and batchrepo checks parents before writing. Such a
schema is refused, naming the cycle and the way out: make one of the foreign keys nullable
(insert with NULL, then update it once the other row exists). Deferrable constraints with a
matched insert order across tables were the alternative; they would make every write of those
tables depend on the others in one transaction, which the repositories (one table each) do not
model, so the schema says it instead.

Only references every row must fill count: a foreign key with a nullable column is skipped
(PostgreSQL does not check a key holding NULL), and a table referring to itself is fine (a row
may reference itself, or a root row may reference itself). Each cycle is reported once, at the
first foreign key of its first table in schema order.
"""

from __future__ import annotations

from ..declared_keys import ForeignKey, foreign_keys
from ..document import SchemaDef
from ..issues import Problem


def cycle_problems(schema: SchemaDef) -> list[Problem]:
    edges = _required_references(schema)
    problems = []
    for component in _components(list(schema.tables), edges):
        cycle = _cycle_in(component, edges)
        steps = ", ".join(
            f"{table}.{'+'.join(key.columns)} -> {key.parent_table}" for table, key in cycle
        )
        _, first_key = cycle[0]
        names = ", ".join(repr(table) for table in sorted({t for t, _ in cycle}))
        problems.append(
            Problem(
                first_key.path,
                f"foreign keys with NOT NULL columns form a cycle ({steps}): no row can ever be "
                f"inserted into {names}, as each needs a row of the next first; make one of "
                "these foreign keys nullable (nullable: true) to insert in two steps",
            )
        )
    return problems


def _required_references(schema: SchemaDef) -> dict[str, list[ForeignKey]]:
    """Per table, its foreign keys to another existing table whose columns are all NOT NULL."""
    edges: dict[str, list[ForeignKey]] = {}
    for name, table in schema.tables.items():
        primary = {c for c, column in table.columns.items() if column.primary_key}
        if table.primary_key is not None:
            primary |= set(table.primary_key)
        for key in foreign_keys(name, table):
            if key.parent_table == name or key.parent_table not in schema.tables:
                continue
            columns = [table.columns.get(c) for c in key.columns]
            if all(
                c is not None and (not c.nullable or n in primary)
                for n, c in zip(key.columns, columns, strict=True)
            ):
                edges.setdefault(name, []).append(key)
    return edges


def _components(tables: list[str], edges: dict[str, list[ForeignKey]]) -> list[list[str]]:
    """Strongly connected groups of more than one table (Tarjan, iterative: a schema may hold a
    long chain of references), each in schema order, in the order of their first table."""
    order = {name: i for i, name in enumerate(tables)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in tables:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            targets = [key.parent_table for key in edges.get(node, [])]
            if child < len(targets):
                work.append((node, child + 1))
                target = targets[child]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component, key=order.__getitem__))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return sorted(found, key=lambda component: order[component[0]])


def _cycle_in(
    component: list[str], edges: dict[str, list[ForeignKey]]
) -> list[tuple[str, ForeignKey]]:
    """One cycle through the component's first table: the shortest, by breadth-first search."""
    start = component[0]
    members = set(component)
    came_from: dict[str, tuple[str, ForeignKey]] = {}
    frontier = [start]
    while frontier:
        following = []
        for table in frontier:
            for key in edges.get(table, []):
                parent = key.parent_table
                if parent not in members or parent in came_from:
                    continue
                came_from[parent] = (table, key)
                if parent == start:
                    return _path_back(start, came_from)
                following.append(parent)
        frontier = following
    raise AssertionError(f"no cycle through {start!r} in its own component")


def _path_back(
    start: str, came_from: dict[str, tuple[str, ForeignKey]]
) -> list[tuple[str, ForeignKey]]:
    steps = []
    table = start
    while True:
        previous, key = came_from[table]
        steps.append((previous, key))
        table = previous
        if table == start:
            break
    return steps[::-1]
