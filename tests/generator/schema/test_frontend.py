"""The front end: shape messages, every issue at once, the public API (load_schema, types)."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

import pytest
from batchrepo_codegen.schema.issues import SchemaError, SchemaIssue, format_path
from batchrepo_codegen.schema.parse import column_type, column_types, load_schema, parse_schema

VALID = """\
version: 1
package: shop
enums:
  mood:
    values: [happy, sad]
tables:
  person:
    columns:
      id: {type: uuid, primary_key: true, server_default: gen_random_uuid()}
      name: {type: varchar(100)}
      mood: {type: mood, default: happy}
      tags: {type: "text[]", nullable: true}
"""


def rejection(text: str) -> list[str]:
    with pytest.raises(SchemaError) as raised:
        parse_schema(textwrap.dedent(text), "s.yaml")
    return str(raised.value).splitlines()


def with_tables(tables: str) -> str:
    return "version: 1\npackage: shop\ntables:\n" + textwrap.indent(textwrap.dedent(tables), "  ")


def test_a_valid_schema_parses() -> None:
    schema = parse_schema(VALID, "s.yaml")
    assert list(schema.tables["person"].columns) == ["id", "name", "mood", "tags"]


def test_column_types_are_parsed_once_for_the_later_stages() -> None:
    schema = parse_schema(VALID, "s.yaml")
    types = column_types(schema)
    assert {name: parsed.ddl for name, parsed in types["person"].items()} == {
        "id": "uuid",
        "name": "varchar(100)",
        "mood": '"mood"',
        "tags": "text[]",
    }
    assert column_type(schema, "person", "tags") == types["person"]["tags"]


def test_load_schema_reads_utf8_with_or_without_bom(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode())
    assert load_schema(path).package == "shop"


def test_load_schema_names_the_file_in_every_issue(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text(VALID.replace("uuid,", "uuuid,"), encoding="utf-8")
    with pytest.raises(SchemaError) as raised:
        load_schema(str(path))
    assert str(raised.value) == (
        f"{path}:9:18: tables.person.columns.id.type: unknown type 'uuuid'; did you mean 'uuid'?"
    )
    assert raised.value.issues == (
        SchemaIssue(
            str(path),
            9,
            18,
            ("tables", "person", "columns", "id", "type"),
            "unknown type 'uuuid'; did you mean 'uuid'?",
        ),
    )


def test_load_schema_rejects_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_bytes(b"version: 1\npackage: \xff\n")
    with pytest.raises(SchemaError) as raised:
        load_schema(path)
    assert str(raised.value) == f"{path}:2:10: the file is not valid UTF-8 (byte 0xFF)"


def test_shape_messages_say_what_to_write() -> None:
    text = with_tables(
        """\
        person:
          colums: {}
        pet:
          columns:
            id:
              type: 5
              primary_key: "true"
              default: [1]
              on_delete: cascde
              server_default: NOW()
              description: ""
              check: {min: [1], min_length: -1}
        """
    )
    assert rejection(text) == [
        "s.yaml:4:3: tables.person: missing required key 'columns'",
        "s.yaml:5:5: tables.person.colums: unknown key 'colums'; did you mean 'columns'?",
        "s.yaml:9:15: tables.pet.columns.id.type: expected a string, got the number 5 "
        "(quote it: '5')",
        "s.yaml:10:22: tables.pet.columns.id.primary_key: expected true or false, "
        "got the string 'true'",
        "s.yaml:11:9: tables.pet.columns.id.default: expected true or false, a number or a "
        "string, got a list",
        "s.yaml:12:20: tables.pet.columns.id.on_delete: unknown value 'cascde'; did you mean "
        "'cascade'? (allowed: 'restrict', 'no_action', 'cascade', 'set_null')",
        "s.yaml:13:25: tables.pet.columns.id.server_default: unknown value 'NOW()'; did you mean "
        "'now()'? (allowed: 'now()', 'current_timestamp', 'current_date', "
        "'clock_timestamp()', 'gen_random_uuid()', 'uuid_generate_v4()')",
        "s.yaml:15:17: tables.pet.columns.id.check.min: expected a number or a string, got a list",
        "s.yaml:15:39: tables.pet.columns.id.check.min_length: must be at least 0, "
        "got the number -1",
    ]


def test_shape_messages_for_wrong_containers_and_sizes() -> None:
    text = """\
        version: 2
        package: shop
        description: %s
        surprise: 1
        enums:
          "": {values: []}
        tables:
          person:
            primary_key: id
            columns: []
        """ % ("x" * 4001)
    assert rejection(text) == [
        "s.yaml:1:10: version: expected 1, got the number 2",
        "s.yaml:3:14: description: is 4001 characters long; at most 4000 are allowed",
        "s.yaml:4:1: surprise: unknown key 'surprise'; allowed: version, package, description, "
        "pydantic_models, enums, tables",
        "s.yaml:6:3: enums['']: a name must not be empty",
        "s.yaml:6:8: enums[''].values: must not be empty",
        "s.yaml:9:18: tables.person.primary_key: expected a list such as [id], got the string 'id'",
        "s.yaml:10:5: tables.person.columns: expected a mapping (key: value), got a list",
    ]


def test_a_document_that_is_not_a_mapping() -> None:
    assert rejection("- a\n- b\n") == ["s.yaml:1:1: expected a mapping (key: value), got a list"]


def test_semantic_checks_still_run_on_the_well_formed_part() -> None:
    text = with_tables(
        """\
        person:
          columns:
            id: {type: uuid, primary_key: true, nulable: true}
            nickname: {type: strng}
        pet:
          columns:
            id: {type: uuuid, primary_key: true}
            owner_id: {type: uuid, references: person}
            vet_id: {type: uuid, references: vet}
        """
    )
    assert rejection(text) == [
        "s.yaml:6:43: tables.person.columns.id.nulable: unknown key 'nulable'; "
        "did you mean 'nullable'?",
        # The table with a shape problem is left out of the semantic checks, but its types are
        # still read, and references to it are not reported as missing.
        "s.yaml:7:24: tables.person.columns.nickname.type: unknown type 'strng'; "
        "did you mean 'text'?",
        "s.yaml:10:18: tables.pet.columns.id.type: unknown type 'uuuid'; did you mean 'uuid'?",
        "s.yaml:12:40: tables.pet.columns.vet_id.references: foreign key to unknown table "
        "'vet'; did you mean 'pet'?",
    ]


def test_a_broken_package_name_does_not_stop_the_table_checks() -> None:
    text = "version: 1\npackage: 5\ntables:\n  thing:\n    columns:\n      id: {type: uuid}\n"
    assert rejection(text) == [
        "s.yaml:2:10: package: expected a string, got the number 5 (quote it: '5')",
        "s.yaml:4:3: tables.thing: table 'thing' has no primary key; add primary_key: true to a "
        "column "
        "or primary_key: [columns] to the table",
    ]


def test_issues_are_sorted_by_position() -> None:
    error = SchemaError(
        [
            SchemaIssue("s.yaml", 9, 1, ("b",), "second"),
            SchemaIssue("s.yaml", 2, 5, ("a",), "first"),
            SchemaIssue("s.yaml", 2, 5, ("a",), "first"),
        ]
    )
    assert str(error) == "s.yaml:2:5: a: first\ns.yaml:9:1: b: second"


def test_paths_escape_names_that_are_not_plain_identifiers() -> None:
    assert format_path(("tables", "person", "columns", "id")) == "tables.person.columns.id"
    assert format_path(("enums", "mood", "values", 3)) == "enums.mood.values[3]"
    assert format_path(("tables", "a\u202eb", "x")) == "tables['a\\u202eb'].x"
    assert format_path(("tables", "per son")) == "tables['per son']"


def test_schema_error_survives_pickling() -> None:
    error = SchemaError([SchemaIssue("s.yaml", 1, 2, ("a",), "bad")])
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.issues, str(copy)) == (error.issues, "s.yaml:1:2: a: bad")


def test_yaml_rules_shape_and_meaning_come_in_one_report() -> None:
    text = with_tables(
        """\
        person:
          columns:
            id: {type: uuid, primary_key: true}
            id: {type: text}
            name: !!str {type: varchr(10), nulable: true}
            age: {type: integer, default: 1e3, check: {min: 0}}
        """
    )
    assert rejection(text) == [
        "s.yaml:7:7: tables.person.columns.id: duplicate key 'id' (first at line 6); YAML "
        "would keep one",
        "s.yaml:8:13: tables.person.columns.name: YAML tags are not allowed ('tag:yaml.org,"
        "2002:str'); write plain values",
        # the tagged mapping is kept as written, so what is wrong inside it is reported too
        "s.yaml:8:26: tables.person.columns.name.type: unknown type 'varchr'; did you mean "
        "'varchar'?",
        "s.yaml:8:38: tables.person.columns.name.nulable: unknown key 'nulable'; did you mean "
        "'nullable'?",
        "s.yaml:9:37: tables.person.columns.age.default: default 1000.0 is written as a float "
        "(a fraction or an exponent); integer holds whole numbers: write 1000",
    ]


def test_a_split_type_is_checked_as_it_was_meant() -> None:
    text = with_tables(
        """\
        account:
          columns:
            id: {type: uuid, primary_key: true}
            balance: {type: numeric(10,2), default: 1.234}
        """
    )
    assert rejection(text) == [
        "s.yaml:7:34: tables.account.columns.balance['2)']: unknown key '2)': the comma inside "
        "{...} split the type 'numeric(10,2)' in two; quote it: type: \"numeric(10,2)\"",
        "s.yaml:7:47: tables.account.columns.balance.default: default 1.234 has 3 digits after "
        "the decimal point; numeric(10,2) keeps 2",
    ]
