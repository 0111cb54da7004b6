"""The pieces of ``batchrepo pull`` that need no database: the YAML it writes reads back as the
document (a property test over names and texts a catalog may hold), defaults as PostgreSQL
prints them, class names of plural tables, and the constraint names batchrepo derives.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from batchrepo_codegen.pull.columns import literal_default
from batchrepo_codegen.pull.expressions import written_expression
from batchrepo_codegen.pull.translate import _key_name, singular_class_name
from batchrepo_codegen.pull.yaml_text import dump
from hypothesis import given, settings
from hypothesis import strategies as st

#: Texts a catalog may hold: names, comments, CHECK expressions (quotes, colons, brackets,
#: commas, '#', leading blanks, double spaces, long runs of words).
_characters = st.sampled_from(list("abc XYZ_019'\":,#{}[]()-*&!|>%@`?é\\"))
#: Long texts are written as folded blocks: words of those characters, some empty (two
#: blanks in a row), long enough to pass the line width.
_long_texts = st.lists(st.text(_characters, max_size=9), min_size=12, max_size=40).map(" ".join)
_texts = (
    st.text(_characters, max_size=40)
    | _long_texts
    | st.sampled_from(["true", "null", "~", "yes", "0", "1.5", "", " a", "a  b", "- x", "'q'"])
)
_scalars = _texts | st.integers(-(2**63), 2**63) | st.booleans() | st.floats(allow_nan=False)
_leaf: st.SearchStrategy[Any] = _scalars | st.lists(_scalars, max_size=4)
_columns = st.dictionaries(_texts, st.dictionaries(_texts, _leaf, max_size=4), max_size=3)
_tables = st.dictionaries(
    _texts,
    st.fixed_dictionaries(
        {
            "description": _texts,
            "columns": _columns,
            "checks": st.dictionaries(_texts, _texts, max_size=3),
        }
    ),
    max_size=3,
)


@settings(max_examples=150, deadline=None)
@given(_tables)
def test_the_yaml_reads_back_as_the_document(tables: dict[str, Any]) -> None:
    document = {"version": 1, "package": "p", "tables": tables}
    assert yaml.safe_load(dump(document, "a header\nof two lines")) == document


@pytest.mark.parametrize(
    ("printed", "column_type", "expected"),
    [
        ("0", "integer", (0,)),
        ("'-3'::integer", "integer", (-3,)),
        ("1.5", "numeric(5,2)", (1.5,)),
        ("0.10", "numeric(5,2)", None),  # 0.1 would print as 0.1: not the same default
        ("true", "boolean", (True,)),
        ("'it''s'::text", "text", ("it's",)),
        ("'Pending'::character varying", "varchar(20)", ("Pending",)),
        ("'happy'::mood", "mood", ("happy",)),
        ("'{\"a\": 1}'::jsonb", "jsonb", ({"a": 1},)),
        ("(now() + '1 day'::interval)", "timestamptz", None),
        ("nextval('t_id_seq'::regclass)", "bigint", None),
    ],
    ids=[
        "zero",
        "negative",
        "decimal",
        "trailing-zero",
        "boolean",
        "quote",
        "varchar",
        "enum",
        "jsonb",
        "expression",
        "serial",
    ],
)
def test_literal_defaults(printed: str, column_type: str, expected: tuple[Any] | None) -> None:
    assert literal_default(printed, column_type, column_type == "mood") == expected


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("customer_addresses", "CustomerAddress"),
        ("countries", "Country"),
        ("branches", "Branch"),
        ("boxes", "Box"),
        ("persons", "Person"),
        ("status", "Status"),
        ("address", "Address"),
        ("loan", "Loan"),
        ("bus", "Bus"),
    ],
)
def test_class_names_of_plural_tables(table: str, expected: str) -> None:
    assert singular_class_name(table) == expected


@pytest.mark.parametrize(
    ("constraint", "suffix", "expected"),
    [
        ("loan_owner_id_fkey", "fkey", "owner_id"),
        ("fk_loan_owner", "fkey", None),
        ("loan_code_key", "key", "code"),
        ("loan__key", "key", None),
        ("uq_loan_code", "key", None),
    ],
    ids=["derived-fkey", "own-fkey", "derived-key", "empty-middle", "own-key"],
)
def test_key_names_batchrepo_derives_again(
    constraint: str, suffix: str, expected: str | None
) -> None:
    assert _key_name("loan", constraint, suffix) == expected


@pytest.mark.parametrize(
    ("printed", "written"),
    [
        (
            "((s)::text = ANY ((ARRAY['a'::character varying, "
            "'b''c'::character varying])::text[]))",
            "(s IN ('a', 'b''c'))",
        ),
        (
            "((s)::text <> ALL ((ARRAY['a'::character varying])::text[]))",
            "(s NOT IN ('a'))",
        ),
        (
            "(s = ANY (ARRAY['ab'::bpchar, 'cd'::bpchar]))",
            "(s = ANY (ARRAY['ab'::bpchar, 'cd'::bpchar]))",
        ),
        (
            "((s)::text = ANY (ARRAY['a'::text, 'b'::text]))",
            "((s)::text = ANY (ARRAY['a'::text, 'b'::text]))",
        ),
        (
            "(((s)::text = 'a'::text) AND (length((s)::text) > 0))",
            "(((s)::text = 'a'::text) AND (length((s)::text) > 0))",
        ),
    ],
    ids=["in-varchar", "not-in-varchar", "in-char-kept", "text-kept", "no-list"],
)
def test_in_lists_over_varchar_are_written_as_in(printed: str, written: str) -> None:
    """PostgreSQL stores each written form as it stored the printed one (checked in bank.sql's
    self-proof and by hand: the printed varchar form read again is another definition)."""
    assert written_expression(printed) == written


@pytest.mark.parametrize(
    ("printed", "written"),
    [
        ("(latitude >= ('-90'::integer)::numeric)", "(latitude >= (-90)::numeric)"),
        ("(x >= '-90.5'::numeric)", "(x >= (-90.5))"),
        ("(x > '-1'::integer)", "(x > (-1))"),
        ("(code <> '-1'::text)", "(code <> '-1'::text)"),
    ],
    ids=["integer-cast-to-numeric", "numeric", "integer", "text-kept"],
)
def test_negative_numbers_are_written_as_numbers(printed: str, written: str) -> None:
    """PostgreSQL prints -90 as '-90'::integer, which the expression whitelist refuses as a
    string where a number is expected; (-90) is stored as the same '-90'::integer."""
    assert written_expression(printed) == written
