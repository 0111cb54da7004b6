"""Where None is accepted is decided by the generator and carried in each ``ColumnSpec``.

The generator writes ``none_on_insert`` (insert and upsert) and ``none_on_update`` from the
resolved column (nullable, server default, identity, version, primary key); the runtime reads the
flag of the write mode and derives nothing. These tests generate a small package, import its
``TableSpec`` constants and hold each kind of column to its flags, then check that validation
answers per mode as the flags say. ``nullable_elements`` keeps the schema's word and meaning.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from batchrepo_codegen import generate

from batchrepo.spec import ColumnSpec, TableSpec, WriteMode
from batchrepo.validate.fields import column_problems

PACKAGE = "none_flags_case"
SCHEMA = f"""
version: 1
package: {PACKAGE}
tables:
  item:
    audit: true
    columns:
      id: {{type: uuid, primary_key: true, server_default: gen_random_uuid()}}
      code: {{type: uuid, unique: true, server_default: gen_random_uuid()}}
      name: {{type: text}}
      note: {{type: text, nullable: true}}
      created_at: {{type: timestamptz, server_default: now()}}
      tags: {{type: "text[]"}}
      labels: {{type: "text[]", nullable: true, nullable_elements: true}}
  event:
    columns:
      id: {{type: bigint, primary_key: true, identity: true}}
      day: {{type: date, server_default: current_date}}
      body: {{type: text}}
"""

#: (table, column) -> (None accepted on insert and upsert, None accepted on update).
EXPECTED = {
    # a server-default key: the database draws it on insert; on update it finds the row
    ("item", "id"): (True, False),
    # a server default outside the key: taken on insert, the stored value kept on update
    ("item", "created_at"): (True, True),
    ("item", "code"): (True, True),  # a unique key is not the primary key
    ("item", "name"): (False, False),  # plain NOT NULL
    ("item", "note"): (True, True),  # nullable
    ("item", "tags"): (False, False),
    ("item", "labels"): (True, True),
    # the audited version column: never sent on insert, None on update skips the version check
    ("item", "version"): (True, True),
    # an identity key: drawn by the database on insert (and must be None), required on update
    ("event", "id"): (True, False),
    ("event", "day"): (True, True),
    ("event", "body"): (False, False),
}

IDS = [f"{table}.{name}" for table, name in EXPECTED]


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TableSpec[Any, Any]]]:
    """The TableSpec constants of the package generated from ``SCHEMA``, by table name."""
    root = tmp_path_factory.mktemp("none_flags")
    schema = root / "schema.yaml"
    schema.write_text(SCHEMA, encoding="utf-8")
    out = root / "out"
    for relative, text in generate(schema, out).items():
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    sys.path.insert(0, str(out))
    try:
        found = {}
        for table in ("item", "event"):
            module = importlib.import_module(f"{PACKAGE}.{table}")
            found[table] = next(v for v in vars(module).values() if isinstance(v, TableSpec))
        yield found
    finally:
        sys.path.remove(str(out))
        for name in [n for n in sys.modules if n.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def column(specs: dict[str, TableSpec[Any, Any]], table: str, name: str) -> ColumnSpec:
    return next(c for c in specs[table].columns if c.name == name)


def test_every_column_of_the_case_is_expected(specs: dict[str, TableSpec[Any, Any]]) -> None:
    assert {(t, c.name) for t, spec in specs.items() for c in spec.columns} == set(EXPECTED)


@pytest.mark.parametrize(("table", "name"), list(EXPECTED), ids=IDS)
def test_the_generator_writes_the_flags(
    specs: dict[str, TableSpec[Any, Any]], table: str, name: str
) -> None:
    emitted = column(specs, table, name)
    assert (emitted.none_on_insert, emitted.none_on_update) == EXPECTED[table, name]


@pytest.mark.parametrize(("table", "name"), list(EXPECTED), ids=IDS)
def test_validation_answers_per_mode_as_the_flags_say(
    specs: dict[str, TableSpec[Any, Any]], table: str, name: str
) -> None:
    emitted = column(specs, table, name)
    on_insert, on_update = EXPECTED[table, name]
    modes: dict[WriteMode, bool] = {"insert": on_insert, "upsert": on_insert, "update": on_update}
    for mode, accepted in modes.items():
        codes = [p.code for p in column_problems(table, emitted, [None], mode)]
        assert codes == ([] if accepted else ["required"]), mode


def test_nullable_elements_keeps_the_schema_word_and_meaning(
    specs: dict[str, TableSpec[Any, Any]],
) -> None:
    tags, labels = column(specs, "item", "tags"), column(specs, "item", "labels")
    assert (tags.nullable_elements, labels.nullable_elements) == (False, True)
    assert [p.code for p in column_problems("item", tags, [["a", None]], "insert")] == [
        "element_null"
    ]
    assert column_problems("item", labels, [["a", None]], "insert") == []
