"""``generate()`` and the IR: the SQL conventions of ``batchrepo.spec``, determinism across hash
seeds, hostile descriptions, and the gate that checks every generated module."""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import jinja2
import pytest
from batchrepo_codegen import generate
from batchrepo_codegen.emit.package import PackageIR, build_ir
from batchrepo_codegen.emit.sql import TableStatements, table_statements, text
from batchrepo_codegen.model import GenerationError, resolve
from batchrepo_codegen.output.gate import GateError, check_module
from batchrepo_codegen.output.render import RenderError, _render
from batchrepo_codegen.pipeline import read_schema_text as parse_schema
from batchrepo_codegen.schema.document import SchemaDef

from tests.golden.harness import ROOT
from tests.golden.kinds import CODEGEN

LEDGER = """
version: 1
package: ledger
enums:
  kind: {values: [a, b]}
tables:
  account:
    primary_key: [bank, number]
    columns:
      bank: {type: char(4)}
      number: {type: integer}
      owner: {type: varchar(20)}
      kind: {type: kind}
      tags: {type: "text[]", nullable: true}
      data: {type: jsonb, nullable: true}
      opened_at: {type: timestamptz, server_default: now()}
  event:
    columns:
      id: {type: bigint, primary_key: true, identity: true}
      note: {type: text}
"""


def statements(table: str, schema: str = LEDGER) -> TableStatements:
    resolved = resolve(parse_schema(schema, "schema.yaml"))
    return table_statements(resolved.table(table))


def ir_of(schema: str, source: str = "schema.yaml") -> PackageIR:
    return build_ir(parse_schema(schema, source), source)


#: How the statements join the elements of array column ``tags`` ($5, $6) to row ``u``: a
#: subquery indented between the lines that open and close its parenthesis.
TAGS_JOIN = (
    "LEFT JOIN (",
    "    SELECT e.r, array_agg(e.v ORDER BY e.k) AS v",
    "    FROM unnest($5::text[], $6::int4[]) WITH ORDINALITY AS e(v, r, k)",
    "    GROUP BY e.r",
    ') AS "_a_tags" ON "_a_tags".r = u._ord',
)
TAGS_VALUE = """CASE WHEN u."_null_tags" THEN NULL ELSE COALESCE("_a_tags".v, '{}') END"""
#: The rows of a batch of ``account``, one line (array column ``tags`` unnested apart).
ACCOUNT_ROWS = (
    'FROM unnest($1::bpchar[], $2::int4[], $3::text[], $4::"kind"[], $7::bool[], $8::text[], '
    '$9::timestamptz[]) WITH ORDINALITY AS u("bank", "number", "owner", "kind", "_null_tags", '
    '"data", "opened_at", _ord)'
)


def test_batch_insert_unnests_with_ordinality_and_aggregates_arrays() -> None:
    assert statements("account").insert_batch == (
        'INSERT INTO "account" ("bank", "number", "owner", "kind", "tags", "data", "opened_at")',
        f'SELECT u."bank", u."number", u."owner", u."kind", {TAGS_VALUE}, u."data"::jsonb, '
        'COALESCE(u."opened_at", now())',
        ACCOUNT_ROWS,
        *TAGS_JOIN,
        "ORDER BY u._ord",
        'RETURNING "bank", "number", "owner", "kind", "tags", "data", "opened_at"',
    )


def test_composite_keys_use_row_in_unnest_and_delete_counts() -> None:
    found = statements("account")
    where = (
        'WHERE ("account"."bank", "account"."number") IN '
        "(SELECT * FROM unnest($1::bpchar[], $2::int4[]))"
    )
    assert found.select_batch[-1] == where
    assert text(found.delete_batch) == (
        f'WITH d AS (\n    DELETE FROM "account"\n    {where}\n    RETURNING 1\n)\n'
        "SELECT count(*)\nFROM d"
    )
    assert found.select_one[-1] == 'WHERE "bank" = $1::bpchar AND "number" = $2::int4'


def test_update_batch_joins_unnest_and_returns_every_column_of_the_table() -> None:
    assert statements("account").update_batch == (
        'UPDATE "account"',
        f'SET "owner" = u."owner", "kind" = u."kind", "tags" = {TAGS_VALUE}, '
        '"data" = u."data"::jsonb, "opened_at" = COALESCE(u."opened_at", "account"."opened_at")',
        ACCOUNT_ROWS,
        *TAGS_JOIN,
        'WHERE "account"."bank" = u."bank" AND "account"."number" = u."number"',
        'RETURNING "account"."bank", "account"."number", "account"."owner", '
        '"account"."kind", "account"."tags", "account"."data", "account"."opened_at"',
    )


def test_update_batch_without_arrays_needs_no_ordinality() -> None:
    found = statements("event").update_batch or ()
    assert 'FROM unnest($1::int8[], $2::text[]) AS u("id", "note")' in found


def test_update_keeps_a_stored_server_default_when_given_none() -> None:
    sql = text(statements("account").update_one or ())
    assert '"opened_at" = COALESCE($7::timestamptz, "account"."opened_at")\n' in sql
    assert '"owner" = $3::text, ' in sql


def test_upsert_never_sets_a_server_default_column_on_conflict() -> None:
    found = statements("account")
    conflict = (
        'ON CONFLICT ("bank", "number") DO UPDATE SET "owner" = EXCLUDED."owner", '
        '"kind" = EXCLUDED."kind", "tags" = EXCLUDED."tags", "data" = EXCLUDED."data"'
    )
    for statement in (found.upsert_one, found.upsert_batch):
        sql = text(statement or ())
        assert f"\n{conflict}\nRETURNING " in sql
        assert "COALESCE($7::timestamptz, now())" in sql or 'COALESCE(u."opened_at", now())' in sql


def test_upsert_of_only_server_default_values_sets_one_to_itself() -> None:
    schema = """
version: 1
package: stamps
tables:
  stamp:
    columns:
      code: {type: text, primary_key: true}
      created_at: {type: timestamptz, server_default: now()}
      seen_at: {type: timestamptz, server_default: now()}
"""
    found = statements("stamp", schema)
    for statement in (found.upsert_one, found.upsert_batch):
        assert (statement or ())[-2:] == (
            'ON CONFLICT ("code") DO UPDATE SET "created_at" = "stamp"."created_at"',
            'RETURNING "code", "created_at", "seen_at"',
        )


def test_identity_keys_are_never_inserted_and_have_no_upsert() -> None:
    found = statements("event")
    assert found.insert_one == (
        'INSERT INTO "event" ("note")',
        "VALUES ($1::text)",
        'RETURNING "id", "note"',
    )
    assert found.upsert_one is None and found.upsert_batch is None
    assert found.update_one is not None
    ddl = ir_of(LEDGER).ddl
    (event,) = (t for t in ddl.tables if t.name == "event")
    assert '"id" bigint GENERATED ALWAYS AS IDENTITY' in event.elements


def test_single_row_statements_cast_jsonb_from_text() -> None:
    assert "$6::text::jsonb" in text(statements("account").insert_one)


def test_all_key_table_has_no_update_and_no_upsert() -> None:
    schema = """
version: 1
package: links
tables:
  link:
    primary_key: [a, b]
    columns:
      a: {type: integer}
      b: {type: text}
"""
    found = statements("link", schema)
    assert (found.update_one, found.update_batch, found.upsert_one) == (None, None, None)
    (aggregate,) = ir_of(schema).aggregates
    names = {m.name for m in aggregate.methods}
    assert "update_batch" not in names and "upsert" not in names
    assert {"save_batch", "load_batch", "delete_batch_chunked"} <= names


def test_statements_of_keys_named_alike_get_names_apart() -> None:
    schema = """
version: 1
package: p
tables:
  t:
    columns:
      id: {type: integer, primary_key: true}
      ab: {type: text}
      AB: {type: text}
    unique:
      ab: [ab]
      AB: [AB]
"""
    (aggregate,) = ir_of(schema).aggregates
    names = [s.name for s in aggregate.table_module.statements]
    keyed = [n for n in names if n.endswith(("_AB", "_AB_2"))]
    assert keyed == [
        f"{role}_AB{suffix}"
        for suffix in ("", "_2")
        for role in (
            "PROBE_UNIQUE",
            "INSERT_IF_NEW_BY",
            "INSERT_BATCH_IF_NEW_BY",
            "UPSERT_BY",
            "UPSERT_BATCH_BY",
            "UPSERT_BATCH_COUNT_BY",
            "SELECT_BATCH_BY",
        )
    ]
    uniques = next(p.value for p in aggregate.table_module.parts if p.name == "UNIQUES")
    assert "=PROBE_UNIQUE_AB_2" in uniques and "=SELECT_BATCH_BY_AB_2" in uniques


def test_unprintable_paths_never_reach_the_headers() -> None:
    with pytest.raises(GenerationError, match="unprintable"):
        build_ir(parse_schema(LEDGER, "x.yaml"), "schema.yaml\nimport os")


DIGEST = """
import hashlib, sys
from batchrepo_codegen import generate
digest = hashlib.sha256()
for path, text in generate(sys.argv[1], "out", source="schema.yaml").items():
    digest.update(path.encode() + b"\\0" + text.encode() + b"\\0")
print(digest.hexdigest())
"""


@pytest.mark.parametrize("case", ["keywords_and_unicode_names", "foreign_keys"])
def test_output_is_identical_across_hash_seeds(case: str) -> None:
    digests = set()
    for seed in ("0", "12345"):
        done = subprocess.run(
            [sys.executable, "-c", DIGEST, str(CODEGEN.schema_path(case))],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        digests.add(done.stdout.strip())
    in_process = hashlib.sha256()
    for path, body in generate(CODEGEN.schema_path(case), "out", source="schema.yaml").items():
        in_process.update(path.encode() + b"\0" + body.encode() + b"\0")
    assert digests == {in_process.hexdigest()}


#: Tries to close a docstring, a string literal and a SQL literal, and to start new lines.
HOSTILE = '"""); import os; os.system("x") #\\ it\'s \\"quoted\\"\n\tand \'; DROP TABLE x; --\\'


def hostile_schema() -> str:
    """The hostile text as JSON strings, which YAML reads as double-quoted scalars."""
    text = json.dumps(HOSTILE)
    return textwrap.dedent(
        f"""\
        version: 1
        package: hostile
        description: {text}
        enums:
          mood:
            description: {text}
            values: ["it's", 'say "hi"', 'back\\slash']
        tables:
          note:
            description: {text}
            columns:
              id:
                type: integer
                primary_key: true
                description: {text}
              body:
                type: text
                default: {text}
                description: "ends with a backslash \\\\"
              mood:
                type: mood
                default: 'say "hi"'
        """
    )


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    path = tmp_path_factory.mktemp("hostile") / "schema.yaml"
    path.write_text(hostile_schema(), encoding="utf-8")
    return generate(path)


def test_hostile_descriptions_stay_inside_their_literals(hostile_files: dict[str, str]) -> None:
    description = parse_schema(hostile_schema(), "s.yaml").description
    assert description is not None and '"""' in description and "\n" in description
    for path, body in hostile_files.items():
        if not path.endswith(".py"):
            continue
        module = ast.parse(body)
        compile(body, path, "exec")
        imported = [
            alias.name
            for node in ast.walk(module)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        ]
        assert "os" not in imported, path
        assert not any(
            isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "system"
            for node in ast.walk(module)
        ), path
    note = ast.parse(hostile_files["hostile/note.py"])
    entity = next(n for n in note.body if isinstance(n, ast.ClassDef) and n.name == "Note")
    assert inspect.cleandoc(ast.get_docstring(entity, clean=False) or "") == inspect.cleandoc(
        description
    )
    defaults = {
        n.target.id: n.value
        for n in entity.body
        if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name) and n.value
    }
    assert ast.literal_eval(defaults["body"]) == description


def test_hostile_descriptions_are_sql_literals(hostile_files: dict[str, str]) -> None:
    """A literal with a backslash or a character that does not show as itself (a tab) is an
    escape string (E'...', backslashes doubled), which reads the same whatever
    standard_conforming_strings is; the others stay plain (the database side
    is in test_sql_literals.py)."""
    ddl = hostile_files["hostile/schema.sql"]
    description = parse_schema(hostile_schema(), "s.yaml").description or ""
    # a tab shows as an escape too: nothing that does not show as itself lands raw
    escaped = description.replace("'", "''").replace("\\", "\\\\").replace("\t", "\\u0009")
    quoted = "E'" + escaped + "'"
    assert f'COMMENT ON TABLE "note" IS {quoted};' in ddl
    assert "CREATE TYPE \"mood\" AS ENUM ('it''s', 'say \"hi\"', E'back\\\\slash');" in ddl
    assert 'COMMENT ON COLUMN "note"."body" IS E\'ends with a backslash \\\\\';' in ddl


def test_gate_rejects_statements_and_names_the_ir_does_not_expect() -> None:
    module = '"""Doc."""\nimport os\nos.system("x")\n'
    with pytest.raises(GateError, match="unexpected top-level statement"):
        check_module(module, "t.jinja", ("os",))
    with pytest.raises(GateError, match=r"unexpected \['sneaky'\]"):
        check_module("x = 1\nsneaky = 2\n", "t.jinja", ("x",))
    with pytest.raises(GateError, match=r"t\.jinja.*line 2"):
        check_module("x = 1\ndef (:\n", "t.jinja", ("x",))
    check_module('"""Doc."""\nfrom __future__ import annotations\nx = 1\n', "t.jinja", ("x",))


def test_render_errors_name_the_template(tmp_path: Path) -> None:
    (tmp_path / "broken.jinja").write_text("line one\n{{ missing.field }}\n")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(tmp_path), undefined=jinja2.StrictUndefined
    )
    with pytest.raises(RenderError, match=r"broken\.jinja:2"):
        _render(env, "broken.jinja")


def test_generate_is_pure(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text(LEDGER, encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    files = generate(path, "somewhere")
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert list(files) == sorted(files)
    assert set(files) == {
        "ledger/__init__.py",
        "ledger/_account_table.py",
        "ledger/_event_table.py",
        "ledger/account.py",
        "ledger/enums.py",
        "ledger/event.py",
        "ledger/py.typed",
        "ledger/schema.sql",
        "ledger/unit_of_work.py",
    }
    first_lines = {p: t.splitlines()[:2] for p, t in files.items() if t}
    assert all("batchrepo generate --schema" in lines[1] for lines in first_lines.values())


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        (
            {
                "event": {
                    "columns": {"id": {"type": "bigint", "primary_key": True, "identity": True}}
                }
            },
            "nothing to insert",
        ),
        (
            {
                "a": {"columns": {"id": {"type": "text", "primary_key": True}}},
                "a_pkey": {"columns": {"id": {"type": "text", "primary_key": True}}},
            },
            "SQL names collide",
        ),
    ],
    ids=["identity-only-table", "colliding-sql-names"],
)
def test_the_ir_refuses_what_would_generate_broken_code(
    tables: dict[str, object], message: str
) -> None:
    """Backstops behind the front end's checks (the schema is built without them here)."""
    schema = SchemaDef.model_validate({"version": 1, "package": "p", "tables": tables})
    with pytest.raises(GenerationError, match=message):
        build_ir(schema, "schema.yaml")


#: What a line of a statement may start with: a clause, a CTE, or the parenthesis closing a block.
CLAUSE = re.compile(
    r"(SELECT|FROM|WHERE|AND|ORDER BY|GROUP BY|RETURNING|INSERT INTO|VALUES|UPDATE|SET|"
    r"DELETE FROM|USING|ON CONFLICT|LIMIT|UNION ALL|JOIN|LEFT JOIN|WITH)( |$)|_[a-z]+ AS \($|\)"
)


def layout_problems(sql: str) -> list[str]:
    """How ``sql`` breaks the layout of generated statements: one clause a line, and a nested
    statement indented four spaces between the line that opens its parenthesis and the line
    that closes it."""
    problems = []
    depth = 0
    for number, line in enumerate(sql.split("\n"), 1):
        body = line.lstrip(" ")
        depth -= body.startswith(")")
        if len(line) - len(body) != 4 * depth or body != body.rstrip() or not body:
            problems.append(f"line {number} is not indented {4 * depth}: {line!r}")
        if not CLAUSE.match(body):
            problems.append(f"line {number} starts no clause: {line!r}")
        depth += body.endswith("(")
    if depth:
        problems.append(f"{depth} block(s) left open")
    return problems


def table_modules() -> list[Path]:
    return sorted(
        [*ROOT.glob("tests/golden/*/expected/*/_*_table.py"), *ROOT.glob("generated/*/_*_table.py")]
    )


@pytest.mark.parametrize("path", table_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_statements_are_laid_out_one_clause_a_line_and_all_named_by_the_spec(path: Path) -> None:
    module = ast.parse(path.read_text(encoding="utf-8"))
    _docstring, *body = module.body
    assert ast.get_docstring(module)
    constants, parts = {}, {}
    for node in body:
        if isinstance(node, ast.ImportFrom | ast.Import):
            continue
        assert isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            constants[node.targets[0].id] = node.value.value
        else:
            parts[node.targets[0].id] = node.value
    assert constants and parts
    problems = {name: layout_problems(sql) for name, sql in constants.items()}
    assert {name: found for name, found in problems.items() if found} == {}
    # The parts of the spec below the statements name every statement...
    named = {n.id for part in parts.values() for n in ast.walk(part) if isinstance(n, ast.Name)}
    assert set(constants) - named == set()
    # ...and the aggregate module beside it (`_person_table.py` -> `person.py`) every part.
    aggregate_path = path.parent / f"{path.stem[1 : -len('_table')]}.py"
    aggregate = ast.parse(aggregate_path.read_text(encoding="utf-8"))
    named = {
        node.attr
        for node in ast.walk(aggregate)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == path.stem
    }
    assert named == set(parts)


def test_the_layout_check_sees_a_clause_out_of_place() -> None:
    assert layout_problems('SELECT "id"\nFROM "t"') == []
    assert layout_problems("WITH d AS (\n    DELETE FROM t\n)\nSELECT count(*)") == []
    assert layout_problems("WITH d AS (\nDELETE FROM t\n)") == [
        "line 2 is not indented 4: 'DELETE FROM t'"
    ]
    assert layout_problems('"id" FROM t') == ["line 1 starts no clause: '\"id\" FROM t'"]
    assert layout_problems("LEFT JOIN (\n    SELECT 1") == ["1 block(s) left open"]
