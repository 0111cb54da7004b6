"""Limits and the cycle check: each refused with a located message, hostile sizes answered
without reading or checking them whole (how fast: ``benchmarks/hostile_schema.py``)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from batchrepo_codegen.pipeline import read_schema
from batchrepo_codegen.schema.checks.limits import MAX_BYTES, digits_written_out
from batchrepo_codegen.schema.issues import (
    SUGGESTION_BUDGET,
    SchemaError,
    close_match,
    suggestion_budget,
)
from batchrepo_codegen.schema.parse import load_schema, parse_schema

from .problems import ID, column_problems, problems


def rejection(text: str) -> list[str]:
    with pytest.raises(SchemaError) as raised:
        parse_schema(text, "s.yaml")
    return str(raised.value).splitlines()


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as file:
        file.write(b"version: 1\n")
        file.write(b"# padding\n" * (5 * MAX_BYTES // 10))  # 5 MiB
    with pytest.raises(SchemaError) as raised:
        load_schema(path)
    assert str(raised.value) == (
        f"{path}:1:1: the schema is 5,242,891 bytes; at most 1,048,576 (1 MiB) are read"
    )
    with pytest.raises(SchemaError):
        parse_schema(path.read_text(encoding="utf-8"), "big.yaml")


def test_a_document_far_over_the_table_limit_is_answered_without_the_other_checks() -> None:
    tables = "".join(f"  t{i}: {{columns: {{id: {{type: uuuid}}}}}}\n" for i in range(5000))
    assert rejection("version: 1\npackage: shop\ntables:\n" + tables) == [
        "s.yaml:3:1: tables: the schema has 5,000 tables; at most 1,000 are allowed"
    ]


def test_an_audited_table_leaves_room_for_its_history_columns() -> None:
    columns: dict[str, Any] = {"id": ID, **{f"c{i}": {"type": "text"} for i in range(1596)}}
    assert problems({"t": {"columns": columns, "audit": True}}) == [
        "tables.t.columns: table 't' has 1,597 columns; at most 1,596 are allowed for an audited "
        "table (PostgreSQL's 1,600 less the 4 its history table adds)"
    ]
    del columns["c0"]
    assert problems({"t": {"columns": columns, "audit": True}}) == []


def test_every_kind_of_key_is_held_to_32_columns() -> None:
    names = [f"c{i}" for i in range(33)]
    columns = {name: {"type": "integer"} for name in names}
    parent = {"columns": columns, "primary_key": names}
    child = {
        "columns": {"id": ID, **columns},
        "unique": {"all": names},
        "foreign_keys": {"up": {"columns": names, "references": {"table": "parent"}}},
    }
    assert problems({"parent": parent, "child": child}) == [
        "tables.parent.primary_key: the primary key has 33 columns; PostgreSQL allows at most 32",
        "tables.child.unique.all: the unique key has 33 columns; PostgreSQL allows at most 32",
        "tables.child.foreign_keys.up: the foreign key has 33 columns; PostgreSQL allows at "
        "most 32",
    ]


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ({"type": "numeric", "default": 10**5000}, "default has about 5,001 digits written out"),
        ({"type": "numeric", "default": "1e999999999"}, "default has about 1,000,000,000 digits"),
        ({"type": "numeric", "check": {"min": "1e-2000"}}, "check min has about 2,001 digits"),
        ({"type": "text", "default": 10**5000}, "got a number of about 5,000 digits"),
    ],
    ids=["huge-int", "huge-exponent", "tiny-exponent", "huge-int-on-text"],
)
def test_numbers_too_long_to_write_out_are_refused(column: dict[str, Any], message: str) -> None:
    (found,) = column_problems(column)
    assert message in found


def test_digits_written_out() -> None:
    assert [digits_written_out(v) for v in (0, 7, -123, 10**999, 2**64)] == [1, 1, 3, 1000, 20]
    assert digits_written_out(Decimal("1e3")) == 4
    assert digits_written_out(Decimal("0.001")) == 4
    assert digits_written_out(1.5) == 2


def test_a_cycle_of_not_null_foreign_keys_is_refused_once_where_it_starts() -> None:
    tables = {
        "a": {"columns": {"id": ID, "b_id": {"type": "uuid", "references": "b"}}},
        "b": {"columns": {"id": ID, "a_id": {"type": "uuid", "references": "a"}}},
    }
    assert problems(tables) == [
        "tables.a.columns.b_id.references: foreign keys with NOT NULL columns form a cycle "
        "(a.b_id -> b, b.a_id -> a): no row can ever be inserted into 'a', 'b', as each needs "
        "a row of the next first; make one of these foreign keys nullable (nullable: true) to "
        "insert in two steps"
    ]


@pytest.mark.parametrize(
    "tables",
    [
        {
            "a": {"columns": {"id": ID, "b_id": {"type": "uuid", "references": "b"}}},
            "b": {
                "columns": {"id": ID, "a_id": {"type": "uuid", "references": "a", "nullable": True}}
            },
        },
        {"a": {"columns": {"id": ID, "parent_id": {"type": "uuid", "references": "a"}}}},
        {
            "a": {
                "columns": {"x": {"type": "integer"}, "y": {"type": "integer"}},
                "primary_key": ["x", "y"],
                "foreign_keys": {"to_b": {"columns": ["x", "y"], "references": {"table": "b"}}},
            },
            "b": {
                "columns": {"x": {"type": "integer"}, "y": {"type": "integer", "nullable": True}},
                "unique": {"xy": ["x", "y"]},
                "primary_key": ["x"],
                "foreign_keys": {
                    "to_a": {"columns": ["x", "y"], "references": {"table": "a"}},
                },
            },
        },
    ],
    ids=["one-nullable-key", "self-reference", "composite-key-with-a-nullable-column"],
)
def test_cycles_a_row_can_start_are_accepted(tables: dict[str, Any]) -> None:
    assert [p for p in problems(tables) if "cycle" in p] == []


def test_suggestions_stop_at_the_budget_and_only_there() -> None:
    options = [f"name{i}" for i in range(1000)]
    assert close_match("name7x", options) == "name7"  # no budget outside a check
    with suggestion_budget():
        found = [close_match("name7x", options) for _ in range(SUGGESTION_BUDGET // 1000 + 1)]
    assert found[:-1] == ["name7"] * (SUGGESTION_BUDGET // 1000) and found[-1] is None


def test_a_python_schema_gets_the_same_limits() -> None:
    data = {"version": 1, "package": "shop", "tables": {"t": {"columns": {"id": ID}}}}
    data["tables"]["t"]["columns"]["v"] = {"type": "integer", "default": 1e3}
    with pytest.raises(SchemaError) as raised:
        read_schema(data)
    assert str(raised.value) == (
        "<python>: schema['tables']['t']['columns']['v']['default']: default 1000.0 is written "
        "as a float (a fraction or an exponent); integer holds whole numbers: write 1000"
    )
