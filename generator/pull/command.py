"""``batchrepo pull``: a live database's schema as ``schema.yaml``, a baseline migration, and
the proof that batchrepo's DDL of it yields the same catalog.

Steps: read the catalog (:mod:`.catalog`), translate it (:mod:`.translate`), run batchrepo's
own front end on the result and leave out each table it refuses (with its message), write the
YAML (:mod:`.yaml_text`) and the baseline (:mod:`.baseline`), list what the schema does not
model (:mod:`.unmodelled`), then apply the generated DDL to a scratch database and compare the
catalogs (:mod:`.proof`). The report goes to stdout; the exit status is 0 when the round trip
is exact (no difference, no table left out, nothing unmodelled), 1 when it is not (the files
are written all the same), 2 on bad input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from ..pipeline import read_schema
from ..schema.issues import SchemaError, format_path
from .baseline import refuse_existing, write_baseline
from .catalog import LiveCatalog, read_live_catalog
from .proof import Proof, generated_ddl, prove
from .translate import Translation, translate
from .unmodelled import OnUpdateTrigger, Unmodelled, on_update_triggers, unmodelled_objects
from .yaml_text import dump


class PullError(Exception):
    """Nothing can be pulled: no table of the schema is representable, or bad options."""


@dataclass(frozen=True, slots=True)
class PullRequest:
    dsn: str
    schema_name: str = "public"
    out: str = "schema.yaml"
    package: str | None = None
    """None: the database's name, made a Python identifier."""
    migrations: str | None = None
    """Folder for the baseline migration; None: none written."""
    scratch: str | None = None
    """Admin URL of the server the proof creates its scratch database on; None: ``dsn``'s."""
    prove: bool = True
    force: bool = False


@dataclass
class PullResult:
    database: str
    catalog: LiveCatalog
    translation: Translation
    text: str
    replaced: list[OnUpdateTrigger]
    unmodelled: list[Unmodelled]
    proof: Proof | None = None
    written: list[str] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return (
            not self.translation.left_out
            and not self.unmodelled
            and self.proof is not None
            and not self.proof.differences
        )


async def pull(request: PullRequest) -> PullResult:
    """Read, translate and (unless ``prove`` is off) prove; writes nothing."""
    conn = await asyncpg.connect(request.dsn)
    try:
        database = await conn.fetchval("SELECT current_database()")
        package = request.package or _package_name(database)
        catalog = await read_live_catalog(conn, request.schema_name)
        if not catalog.tables:
            raise PullError(f"schema {request.schema_name!r} of {database} holds no table")
        triggers = await on_update_triggers(conn, request.schema_name)
        on_update = {(t.table, t.column): t.expression for t in triggers}
        translation = checked_translation(catalog, package, on_update)
        written = translation.document["tables"]
        replaced = [t for t in triggers if t.column in written.get(t.table, {}).get("columns", {})]
        unmodelled = await unmodelled_objects(
            conn, request.schema_name, [t.name for t in catalog.tables], replaced
        )
        text = dump(translation.document, _header(database, request, translation))
        result = PullResult(database, catalog, translation, text, replaced, unmodelled)
        if request.prove:
            ddl = generated_ddl(translation.document)
            result.proof = await prove(
                conn, request.schema_name, ddl, request.scratch or request.dsn
            )
    finally:
        await conn.close()
    return result


#: Parts of a table the front end may refuse one entry of (an expression outside the
#: whitelist): that entry is left out, and noted, instead of the whole table.
DROPPABLE = ("checks", "indexes")


def checked_translation(
    catalog: LiveCatalog, package: str, on_update: dict[tuple[str, str], str]
) -> Translation:
    """The translation batchrepo's front end accepts: each CHECK or index it refuses is left
    out and noted, each table it refuses otherwise is left out, with the front end's message
    as the reason (and the tables whose keys lead to it)."""
    left_out: dict[str, str] = {}
    dropped: dict[tuple[str, str, str], str] = {}
    while True:
        translation = translate(catalog, package, left_out, on_update)
        _drop(translation, dropped)
        if not translation.document["tables"]:
            reasons = "; ".join(f"{t}: {why}" for t, why in translation.left_out.items())
            raise PullError(f"no table can be written as schema.yaml ({reasons})")
        try:
            read_schema(translation.document)
        except SchemaError as error:
            tables, entries = _refused(error, translation, catalog)
            if not tables and not entries:
                raise
            left_out = {**translation.left_out, **tables}
            dropped.update(entries)
            continue
        return translation


def _drop(translation: Translation, dropped: dict[tuple[str, str, str], str]) -> None:
    for (table, part, name), why in dropped.items():
        entry = translation.document["tables"].get(table, {})
        if name in entry.get(part, {}):
            del entry[part][name]
            if not entry[part]:
                del entry[part]
            kind = "CHECK constraint" if part == "checks" else "index"
            translation.notes.append(f"{table}.{name}: {kind} left out: {why}")


def _refused(
    error: SchemaError, translation: Translation, catalog: LiveCatalog
) -> tuple[dict[str, str], dict[tuple[str, str, str], str]]:
    """The tables the front end refuses, and the entries of :data:`DROPPABLE` parts it
    refuses (each with its message)."""
    tables: dict[str, str] = {}
    entries: dict[tuple[str, str, str], str] = {}
    for issue in error.issues:
        path = issue.path
        where = f"{format_path(path)}: {issue.message}"
        if len(path) > 3 and path[0] == "tables" and path[2] in DROPPABLE:
            key = (str(path[1]), str(path[2]), str(path[3]))
            entries.setdefault(key, f"batchrepo refuses {where}")
        elif len(path) > 1 and path[0] == "tables" and isinstance(path[1], str):
            tables.setdefault(str(path[1]), f"batchrepo refuses {where}")
        elif len(path) > 1 and path[0] == "enums":
            for table in catalog.tables:
                if any(c.element == path[1] for c in table.columns):
                    tables.setdefault(table.name, f"its enum: batchrepo refuses {where}")
    written = translation.document["tables"]
    return (
        {t: why for t, why in tables.items() if t in written},
        {k: why for k, why in entries.items() if k[0] in written and k[0] not in tables},
    )


def _package_name(database: str) -> str:
    name = re.sub(r"[^a-z0-9_]", "_", database.lower())
    return name if name[:1].isalpha() else f"db_{name}"


def _header(database: str, request: PullRequest, translation: Translation) -> str:
    lines = [
        f"Written by batchrepo pull from database {database}, schema {request.schema_name}.",
        "Review it: names, descriptions and class names are the database's.",
    ]
    if translation.left_out:
        lines.append("Tables LEFT OUT (batchrepo cannot represent them):")
        lines += [f"  {t}: {why}" for t, why in translation.left_out.items()]
    if translation.notes:
        lines.append("Changed or lost on the way:")
        lines += [f"  {note}" for note in translation.notes]
    return "\n".join(lines)


def write_outputs(request: PullRequest, result: PullResult) -> None:
    """The schema file, then the baseline migration (when asked); both are checked first, so
    a refusal writes nothing."""
    out = Path(request.out)
    if out.exists() and not request.force:
        raise PullError(f"{out} exists; pass --force to replace it")
    if request.migrations is not None:
        refuse_existing(Path(request.migrations))
    out.write_text(result.text, encoding="utf-8")
    result.written.append(str(out))
    if request.migrations is not None:
        database = f"schema {request.schema_name} of database {result.database}"
        path = write_baseline(Path(request.migrations), result.text, str(out), database)
        result.written.append(str(path))


def report(result: PullResult) -> list[str]:
    """What pull did, loudly: every table left out, every note, every object not modelled,
    every catalog difference, and the share of tables that round-trip exactly."""
    lines: list[str] = []
    tables = result.catalog.tables
    written = result.translation.document["tables"]
    lines.append(f"batchrepo pull: {len(written)} of {len(tables)} tables written")
    _section(lines, "LEFT OUT", [f"table {t}: {w}" for t, w in result.translation.left_out.items()])
    _section(lines, "CHANGED", result.translation.notes)
    _section(
        lines,
        "REPLACED by on_update (the trigger is not recreated)",
        [
            f"trigger {t.trigger} on {t.table} ({t.function}()): "
            f"{t.column} on_update: {t.expression}"
            for t in result.replaced
        ],
    )
    _section(lines, "NOT MODELLED", [str(u) for u in result.unmodelled])
    if result.proof is None:
        lines.append("self-proof: skipped (--no-proof)")
        return lines
    _section(
        lines,
        "CATALOG DIFFERENCES (live database against generated DDL)",
        list(result.proof.differences),
    )
    exact = result.proof.exact_tables
    share = 100 * len(exact) / len(tables)
    lines.append(
        f"round trip: {len(exact)} of {len(tables)} tables exact ({share:.0f}%); "
        f"{'EXACT' if result.exact else 'NOT EXACT: see above'}"
    )
    return lines


def _section(lines: list[str], title: str, items: list[str]) -> None:
    if not items:
        return
    lines.append(f"{title} ({len(items)}):")
    lines += [f"  {item}" for item in items]
