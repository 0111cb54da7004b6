"""Safe YAML loading: narrowed YAML 1.2 scalars, no tags, no duplicate keys, positions by path."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from batchrepo_codegen.schema.issues import SchemaError
from batchrepo_codegen.schema.loader import MAX_DEPTH, Position, load_yaml, resolve_plain


def load(text: str) -> Any:
    return load_yaml(textwrap.dedent(text), "s.yaml")[0]


def rejection(text: str) -> str:
    with pytest.raises(SchemaError) as raised:
        load_yaml(textwrap.dedent(text), "s.yaml")
    return str(raised.value)


@pytest.mark.parametrize(
    ("plain", "value"),
    [
        ("true", True),
        ("false", False),
        ("null", None),
        ("~", None),
        pytest.param("", None, id="empty"),
        ("0", 0),
        ("42", 42),
        ("-7", -7),
        ("+7", 7),
        ("1.5", 1.5),
        ("-0.25", -0.25),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("2.5E-2", 0.025),
    ],
)
def test_plain_scalars_resolve_like_yaml_1_2_core(plain: str, value: object) -> None:
    resolved = resolve_plain(plain)
    assert resolved == value
    assert type(resolved) is type(value)


@pytest.mark.parametrize(
    "plain",
    [
        "yes", "no", "on", "off", "y", "n", "True", "FALSE", "Null", "NULL",
        "0x1F", "0o17", "0755", "1_000", "1:30", ".inf", "-.inf", ".nan", "1e999",
        "2024-01-01", "uuid",
    ],
)  # fmt: skip
def test_yaml_1_1_surprises_stay_strings(plain: str) -> None:
    assert resolve_plain(plain) == plain


def test_quoted_and_block_scalars_are_strings() -> None:
    data = load(
        """\
        a: "true"
        b: '5'
        c: |
          null
        """
    )
    assert data == {"a": "true", "b": "5", "c": "null\n"}


def test_on_as_a_key_stays_the_string_on() -> None:
    assert load("on: cascade\nno: 1\n") == {"on": "cascade", "no": 1}


def test_positions_are_recorded_by_path() -> None:
    text = """\
        version: 1
        tables:
          person:
            columns:
              id:
                type: uuid
              tags: [a, b]
        """
    data, source = load_yaml(textwrap.dedent(text), "s.yaml")
    assert data["tables"]["person"]["columns"]["id"] == {"type": "uuid"}
    assert source.nodes[("tables", "person", "columns", "id", "type")] == Position(6, 15)
    assert source.keys[("tables", "person", "columns", "id", "type")] == Position(6, 9)
    assert source.nodes[("tables", "person", "columns", "tags", 1)] == Position(7, 17)
    assert source.nodes[("version",)] == Position(1, 10)


def test_locate_points_at_values_of_scalars_and_keys_of_collections() -> None:
    text = "tables:\n  person:\n    columns:\n      id: {type: uuid}\n"
    _, source = load_yaml(text, "s.yaml")
    assert source.locate(("tables", "person", "columns", "id", "type")) == Position(4, 18)
    assert source.locate(("tables", "person", "columns", "id")) == Position(4, 7)
    assert source.locate(("tables", "person")) == Position(2, 3)
    # Not in the document: the nearest ancestor that is.
    assert source.locate(("tables", "person", "columns", "id", "nullable")) == Position(4, 7)
    assert source.locate(("nothing", "here")) == Position(1, 1)
    assert source.locate_key(("tables", "person", "columns", "id", "type")) == Position(4, 12)


def test_duplicate_keys_are_errors_naming_both_lines() -> None:
    message = rejection(
        """\
        tables:
          person: {}
          pet: {}
          person: {}
        """
    )
    assert message == (
        "s.yaml:4:3: tables.person: duplicate key 'person' (first at line 2); YAML would keep one"
    )


def test_every_loader_problem_is_reported_at_once() -> None:
    message = rejection(
        """\
        a: !!int 3
        b: 1
        b: 2
        null: x
        c: &anchor [1]
        d: *anchor
        """
    )
    assert message.splitlines() == [
        "s.yaml:1:4: a: YAML tags are not allowed ('tag:yaml.org,2002:int'); write plain values",
        "s.yaml:3:1: b: duplicate key 'b' (first at line 2); YAML would keep one",
        "s.yaml:4:1: mapping keys must be strings, not null: quote it ('null')",
        "s.yaml:5:4: c: anchors (&anchor) are not allowed",
        "s.yaml:6:4: d: aliases (*name) are not allowed",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1: x\n", "s.yaml:1:1: mapping keys must be strings, not the number 1: quote it ('1')"),
        ("true: x\n", "s.yaml:1:1: mapping keys must be strings, not true: quote it ('true')"),
        ("? [a]\n: x\n", "s.yaml:1:3: mapping keys must be strings, not a mapping or list"),
        ("!local a: x\n", "s.yaml:1:1: YAML tags are not allowed ('!local'); write plain values"),
    ],
    ids=["number", "boolean", "list", "tagged"],
)
def test_mapping_keys_must_be_plain_strings(text: str, message: str) -> None:
    assert rejection(text) == message


def test_problems_inside_a_rejected_entry_keep_its_path() -> None:
    message = rejection("a:\n  b: 1\na:\n  b: !!str 2\n")
    assert message.splitlines() == [
        "s.yaml:3:1: a: duplicate key 'a' (first at line 1); YAML would keep one",
        "s.yaml:4:6: a.b: YAML tags are not allowed ('tag:yaml.org,2002:str'); write plain values",
    ]


def test_a_syntax_error_names_its_line() -> None:
    assert (
        rejection("a: b: c\n")
        == "s.yaml:1:5: invalid YAML: mapping values are not allowed in this context"
    )


def test_control_characters_in_the_text_are_located() -> None:
    assert rejection("a: 1\nb: x\x07\n") == (
        "s.yaml:2:5: invalid YAML: character U+0007 is not allowed in YAML text; "
        'write it as an escape inside double quotes ("\\u0007")'
    )


def test_one_document_only() -> None:
    assert rejection("a: 1\n---\nb: 2\n") == (
        "s.yaml:2:1: only one YAML document is allowed (remove '---')"
    )


def test_an_empty_document_is_an_error() -> None:
    assert rejection("# nothing\n") == "s.yaml:1:1: the document is empty"


def test_deep_nesting_is_refused() -> None:
    text = "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    assert rejection(text) == (
        f"s.yaml:1:{3 + MAX_DEPTH}: " + "a" + "[0]" * (MAX_DEPTH - 1)
        + f": nesting deeper than {MAX_DEPTH} levels"
    )  # fmt: skip
