"""Value checks: literal defaults, server defaults and declarative checks fit the column."""

from __future__ import annotations

from typing import Any

import pytest

from .problems import column_problems


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ({"type": "boolean", "default": 1}, "default: expected true or false, got the number 1"),
        (
            {"type": "integer", "default": 1.5},
            "default: default 1.5 is not a whole number, as integer requires",
        ),
        (
            {"type": "bigint", "default": 2**63},
            "default: default 9223372036854775808 is out of range for bigint "
            "(-9223372036854775808 to 9223372036854775807)",
        ),
        (
            {"type": "integer", "default": "12"},
            "default: default must be a number for a integer column, got the string '12'",
        ),
        (
            {"type": "numeric(4,2)", "default": 123},
            "default: default 123 does not fit numeric(4,2): at most 2 digits before the "
            "decimal point",
        ),
        (
            {"type": "numeric", "default": "abc"},
            "default: default must be a number for a numeric column, got the string 'abc'",
        ),
        ({"type": "real", "default": 1e39}, "default: default 1e+39 is out of range for real "
         "(at most about 3.4e38)"),
        (
            {"type": "text", "default": 5},
            "default: expected a string for a text column, got the number 5",
        ),
        (
            {"type": "mood", "default": "angry"},
            "default: 'angry' is not a value of enum 'mood'; values: 'happy', 'sad'",
        ),
        (
            {"type": "timestamptz", "default": "2024-01-31 09:30:00"},
            "default: a timestamptz default is a quoted ISO 8601 string such as "
            "'2024-01-31T09:30:00+00:00', or use server_default: now()",
        ),
        (
            {"type": "date", "default": "2024-02-30"},
            "default: default '2024-02-30' is not a valid date: day is out of range for month",
        ),
        ({"type": "jsonb", "default": "{}"}, "default: a literal default is not supported for "
         "jsonb columns"),
        ({"type": "bytea", "default": "x"}, "default: a literal default is not supported for "
         "bytea columns"),
        ({"type": "interval", "default": "1 day"}, "default: a literal default is not supported "
         "for interval columns"),
        ({"type": "integer[]", "default": 1}, "default: a literal default is not supported for "
         "integer[] columns"),
        (
            {"type": "integer", "default": 0, "check": {"min": 1}},
            "default: default 0 is below check min 1",
        ),
        (
            {"type": "varchar(9)", "default": "ab", "check": {"min_length": 3}},
            "default: default 'ab' is shorter than min_length 3",
        ),
    ],
    ids=[
        "boolean-gets-number", "integer-gets-fraction", "bigint-out-of-range",
        "integer-gets-string", "numeric-too-many-digits", "numeric-gets-string",
        "real-out-of-range", "text-gets-number", "enum-unknown-value", "timestamptz-not-iso",
        "date-invalid", "jsonb", "bytea", "interval", "array", "below-check-min",
        "shorter-than-min-length",
    ],
)  # fmt: skip
def test_literal_defaults_fit_the_column(column: dict[str, Any], message: str) -> None:
    mood = {"mood": {"values": ["happy", "sad"]}}
    assert column_problems(column, mood) == [f"tables.item.columns.c.{message}"]


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (
            {"type": "timestamptz", "server_default": "current_date"},
            "server_default current_date does not fit a timestamptz column (it gives date); "
            "use now() or current_timestamp or clock_timestamp()",
        ),
        (
            {"type": "uuid[]", "server_default": "gen_random_uuid()"},
            "server_default gen_random_uuid() does not fit a uuid[] column (it gives uuid); "
            "no server default fits it",
        ),
        (
            {"type": "date", "default": "2024-01-01", "server_default": "current_date"},
            "a column takes default or server_default, not both",
        ),
    ],
    ids=["timestamptz-gets-date", "uuid-array", "both-defaults"],
)
def test_server_defaults_fit_the_column(column: dict[str, Any], message: str) -> None:
    assert column_problems(column) == [f"tables.item.columns.c.server_default: {message}"]


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ({"type": "text", "check": {"max": 5}}, "max: check max applies to number columns, "
         "not text"),
        ({"type": "integer", "check": {"min": 1.5}}, "min: check min 1.5 is not a whole number, "
         "as integer requires"),
        ({"type": "smallint", "check": {"max": 99999}}, "max: check max 99999 is out of range "
         "for smallint (-32768 to 32767)"),
        ({"type": "numeric(6,2)", "check": {"min": "0.001"}}, "min: check min '0.001' has 3 "
         "digits after the decimal point; numeric(6,2) keeps 2"),
        ({"type": "numeric", "check": {"max": "0x1F"}}, "max: check max must be a number for a "
         "numeric column, got the string '0x1F'"),
        ({"type": "float8", "check": {"min": 2, "max": 1}}, "min: check min 2 is greater than "
         "max 1"),
        ({"type": "integer", "check": {"min_length": 1}}, "min_length: check min_length applies "
         "to text columns, not integer"),
        ({"type": "varchar(3)", "check": {"min_length": 4}}, "min_length: check min_length 4 is "
         "more than varchar(3) can hold"),
    ],
    ids=[
        "max-on-text", "fractional-min-on-integer", "max-out-of-smallint", "min-too-many-decimals",
        "max-not-a-number", "min-above-max", "min-length-on-integer", "min-length-above-varchar",
    ],
)  # fmt: skip
def test_declarative_checks_fit_the_column(column: dict[str, Any], message: str) -> None:
    assert column_problems(column) == [f"tables.item.columns.c.check.{message}"]


def test_number_checks_apply_per_element_of_number_arrays() -> None:
    assert column_problems({"type": "integer[]", "check": {"min": 0, "max": 10}}) == []


@pytest.mark.parametrize(
    "column",
    [
        {"type": "varchar(8)", "check": {"in": ["Pending", "Released"]}},
        {"type": "char(2)", "check": {"in": ["A", "BB", ""]}},
        {"type": "text", "default": "b", "check": {"in": ["a", "b"]}},
        {"type": "integer", "default": 2, "check": {"in": [1, 2, -2147483648]}},
        {"type": "numeric(15,2)", "check": {"min_exclusive": 0, "max_exclusive": 1000000}},
        {"type": "integer", "check": {"min_exclusive": 0, "max_exclusive": 2}},
        {"type": "numeric(4,2)", "check": {"min_exclusive": "0.01", "max": "0.02"}},
        {"type": "real", "check": {"min_exclusive": 0, "max": 1}},
        {"type": "integer[]", "check": {"min_exclusive": 0}},
        {"type": "char(3)", "default": " a ", "check": {"min_trimmed_length": 1}},
    ],
    ids=[
        "in-varchar", "in-char-empty", "in-text-default", "in-integer-edge",
        "exclusive-numeric", "exclusive-integer-one-value", "exclusive-numeric-one-step",
        "exclusive-real", "exclusive-per-element", "trimmed-char-default",
    ],
)  # fmt: skip
def test_column_checks_that_fit_are_accepted(column: dict[str, Any]) -> None:
    assert column_problems(column) == []


def test_the_in_key_is_suggested_for_its_python_spelling() -> None:
    from batchrepo_codegen.schema.issues import SchemaError
    from batchrepo_codegen.schema.parse import parse_schema

    text = (
        "version: 1\npackage: shop\ntables:\n  item:\n    columns:\n"
        "      id: {type: uuid, primary_key: true}\n"
        "      c: {type: text, check: {in_: [a]}}\n"
    )
    with pytest.raises(SchemaError) as raised:
        parse_schema(text, "schema.yaml")
    assert str(raised.value).splitlines()[0] == (
        "schema.yaml:7:31: tables.item.columns.c.check.in_: unknown key 'in_'; did you mean 'in'?"
    )
