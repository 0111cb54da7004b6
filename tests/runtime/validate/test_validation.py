"""Field rules checked before any SQL: each rule names the row, the field and the rule broken."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import math
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest

from batchrepo import operations as ops
from batchrepo.spec import TableSpec, WriteMode
from batchrepo.validate.column_rules import ValueRule
from batchrepo.validate.fields import WALK_AT_MOST, validate_columns
from batchrepo.validate.report import Problem, ValidationReport
from tests.runtime.builders import account, entry, people, person
from tests.runtime.conftest import CountingConnection
from tests.runtime.tables import ACCOUNT, CURRENCY, LEDGER_ENTRY, PERSON, Currency


def _filler(spec: TableSpec[Any, Any], mode: WriteMode, number: int) -> Any:
    """A valid row that clashes with nothing, to pad a batch past WALK_AT_MOST."""
    if spec is PERSON:
        return person(created_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    if spec is ACCOUNT:
        return account(uuid.uuid4(), 10**9 + number)
    if spec is CURRENCY:
        return Currency(code=f"Z{number:02d}", name="filler")
    return entry(id=None if mode == "insert" else 10**9 + number)


def report_of(
    spec: TableSpec[Any, Any], items: Sequence[Any], mode: WriteMode = "insert"
) -> ValidationReport:
    """The report, after checking that the per-value walk (tiny batches) and the whole-column
    path (larger ones, here the same rows padded with valid ones) find the same problems."""
    report = validate_columns(spec, spec.to_columns(items), mode)
    padded = [*items, *(_filler(spec, mode, n) for n in range(WALK_AT_MOST + 1))]
    padded_report = validate_columns(spec, spec.to_columns(padded), mode)
    assert padded_report.problems == report.problems
    return report


def problems_of(
    spec: TableSpec[Any, Any], items: Sequence[Any], mode: WriteMode = "insert"
) -> list[tuple[int, str, str]]:
    return [(p.row, p.field, p.code) for p in report_of(spec, items, mode).problems]


def only_problem(
    spec: TableSpec[Any, Any], items: Sequence[Any], mode: WriteMode = "insert"
) -> Problem:
    report = report_of(spec, items, mode)
    assert len(report.problems) == 1, str(report)
    return report.problems[0]


def test_a_valid_batch_has_no_problems() -> None:
    report = validate_columns(PERSON, PERSON.to_columns(people(100)), "insert")
    assert report.ok and report.problems == [] and str(report) == "person: no problems"


def test_required_column_names_row_and_rule() -> None:
    batch = people(3)
    batch[1].display_name = None  # type: ignore[assignment]
    problem = only_problem(PERSON, batch)
    assert (problem.row, problem.field, problem.code) == (1, "display_name", "required")
    assert problem.message == "person.display_name row 1: is required but is None"


def test_server_default_may_be_none_on_insert_upsert_and_update() -> None:
    # created_at None: the server default applies on insert, the stored value stays on update
    batch = people(2)
    for mode in ("insert", "upsert", "update"):
        assert problems_of(PERSON, batch, mode) == []


def test_a_key_column_with_a_server_default_is_required_on_update() -> None:
    # the key finds the row to update, so there None is not "keep the stored value"
    key = dataclasses.replace(PERSON.columns[0], server_default=True, none_on_insert=True)
    keyed = dataclasses.replace(PERSON, columns=(key, *PERSON.columns[1:]))
    batch = people(WALK_AT_MOST + 2)
    for size in (1, len(batch)):  # the per-value walk and the whole-column check
        batch[0].id = None  # type: ignore[assignment]
        columns = keyed.to_columns(batch[:size])
        assert validate_columns(keyed, columns, "insert").ok
        update = validate_columns(keyed, columns, "update").problems
        assert [(p.row, p.field, p.code) for p in update] == [(0, "id", "required")]


@pytest.mark.parametrize(
    ("flags", "required_in"),
    [
        ({}, {"insert", "upsert", "update"}),
        ({"none_on_insert": True}, {"update"}),
        ({"none_on_update": True}, {"insert", "upsert"}),
        ({"none_on_insert": True, "none_on_update": True}, set()),
        # what the generator decides from is not read here: without a flag, None is required
        ({"nullable": True, "server_default": True}, {"insert", "upsert", "update"}),
    ],
    ids=["no flag", "insert", "update", "both", "nullable and server default"],
)
def test_the_none_flags_alone_decide_where_none_passes(
    flags: dict[str, Any], required_in: set[str]
) -> None:
    name = dataclasses.replace(PERSON.columns[2], **flags)  # display_name, NOT NULL
    spec = dataclasses.replace(PERSON, columns=(*PERSON.columns[:2], name, *PERSON.columns[3:]))
    batch = people(WALK_AT_MOST + 2)
    batch[1].display_name = None  # type: ignore[assignment]
    modes: tuple[WriteMode, ...] = ("insert", "upsert", "update")
    for size in (2, len(batch)):  # the per-value walk and the whole-column check
        for mode in modes:
            found = validate_columns(spec, spec.to_columns(batch[:size]), mode).problems
            expected = [(1, "display_name", "required")] if mode in required_in else []
            assert [(p.row, p.field, p.code) for p in found] == expected, (mode, size)


def test_identity_must_be_none_on_insert_and_given_on_update() -> None:
    batch = [entry(), entry(id=41)]
    problem = only_problem(LEDGER_ENTRY, batch)
    assert (problem.row, problem.field, problem.code) == (1, "id", "identity_set")
    assert "generated by the database" in problem.message
    assert problems_of(LEDGER_ENTRY, batch, "update") == [(0, "id", "required")]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("balance", 1.5, "expected Decimal or int, got float"),
        ("balance", True, "expected Decimal or int, got bool"),
        ("id", str(uuid.uuid4()), "expected uuid.UUID, got str"),
        ("display_name", b"bytes", "expected str, got bytes"),
        ("created_at", datetime.date(2024, 1, 1), "expected datetime.datetime, got date"),
    ],
    ids=[
        "float-for-numeric",
        "bool-for-numeric",
        "str-for-uuid",
        "bytes-for-text",
        "date-for-timestamptz",
    ],
)
def test_wrong_python_types(field: str, value: object, expected: str) -> None:
    batch = people(3)
    setattr(batch[2], field, value)
    problem = only_problem(PERSON, batch)
    assert (problem.row, problem.field, problem.code) == (2, field, "type")
    assert problem.message == f"person.{field} row 2: {expected}"


def test_a_date_column_refuses_a_datetime() -> None:
    batch = [account(uuid.uuid4(), opened_on=datetime.datetime(2024, 1, 1))]
    problem = only_problem(ACCOUNT, batch)
    assert (problem.field, problem.code) == ("opened_on", "type")
    assert problem.message.endswith("expected datetime.date (not datetime), got datetime")


def test_integer_ranges() -> None:
    batch = [account(uuid.uuid4(), n) for n in (2**63 - 1, 2**63, -(2**63), -(2**63) - 1)]
    assert problems_of(ACCOUNT, batch) == [
        (1, "account_number", "out_of_range"),
        (3, "account_number", "out_of_range"),
    ]
    codes = [entry(codes=[0, 2**31 - 1]), entry(codes=[1, 2**31])]
    problem = only_problem(LEDGER_ENTRY, codes)
    assert (problem.row, problem.field, problem.code) == (1, "codes", "out_of_range")
    assert problem.message == (
        "ledger_entry.codes row 1 element 1: outside the int4 range [-2147483648, 2147483647]"
    )


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (Decimal("1.005"), "numeric_scale"),
        (Decimal("0.001"), "numeric_scale"),
        (Decimal("10000000000000"), "numeric_precision"),  # 14 integer digits > 15 - 2
        (Decimal("NaN"), "not_finite"),
        (Decimal("-Infinity"), "not_finite"),
        (Decimal("sNaN"), "not_finite"),
        (10**13, "numeric_precision"),
        (Decimal("-1000000.01"), "minimum"),
    ],
    ids=[
        "scale-one-too-many",
        "scale-tiny",
        "precision",
        "nan",
        "negative-infinity",
        "signalling-nan",
        "int-precision",
        "below-minimum",
    ],
)
def test_numeric_precision_scale_and_bounds(value: object, code: str) -> None:
    batch = people(4)
    batch[3].balance = value  # type: ignore[assignment]
    problem = only_problem(PERSON, batch)
    assert (problem.row, problem.field, problem.code) == (3, "balance", code)
    assert str(value) not in problem.message


@pytest.mark.parametrize(
    "value",
    [
        Decimal("9999999999999.99"),
        Decimal("-999999.99"),
        Decimal("1.500"),  # trailing zeros carry no decimals: nothing is rounded
        Decimal("1E+5"),
        Decimal("0.00"),
        12,
    ],
    ids=["largest", "lowest", "trailing-zeros", "exponent", "zero", "int"],
)
def test_numeric_values_that_fit(value: object) -> None:
    batch = people(2)
    batch[1].balance = value  # type: ignore[assignment]
    assert problems_of(PERSON, batch) == []


def test_scale_message_says_why_money_is_not_rounded() -> None:
    batch = [person(balance=Decimal("1.005"))]
    assert only_problem(PERSON, batch).message == (
        "person.balance row 0: has more than 2 decimal places (numeric(15,2)); "
        "round it before saving, the database would round silently"
    )


def test_lengths_count_characters() -> None:
    batch = people(4)
    batch[0].display_name = "é" * 100  # 200 bytes, 100 characters: fits varchar(100)
    batch[1].display_name = "x" * 101
    batch[2].display_name = ""
    assert problems_of(PERSON, batch) == [
        (1, "display_name", "too_long"),
        (2, "display_name", "too_short"),
    ]
    report = report_of(PERSON, batch)
    assert report.problems[0].message == (
        "person.display_name row 1: longer than 100 characters (varchar(100))"
    )


def test_text_may_not_hold_nul() -> None:
    batch = people(2)
    batch[1].external_identifier = "abc\x00def"
    problem = only_problem(PERSON, batch)
    assert (problem.row, problem.field, problem.code) == (1, "external_identifier", "nul_character")


class Robot(enum.StrEnum):
    BENDER = "bender"


def test_enum_membership_for_strings_and_foreign_enums() -> None:
    batch = people(4)
    batch[1].person_type = "legal"  # type: ignore[assignment]
    batch[2].person_type = "alien"  # type: ignore[assignment]
    batch[3].person_type = Robot.BENDER  # type: ignore[assignment]
    assert problems_of(PERSON, batch) == [(2, "person_type", "enum"), (3, "person_type", "enum")]
    problem = report_of(PERSON, batch).problems[0]
    assert (
        problem.message == "person.person_type row 2: not a value of person_type (legal, natural)"
    )


def test_timestamp_kinds_want_matching_timezone_awareness() -> None:
    batch = people(2, created_at=datetime.datetime(2024, 1, 1))
    assert problems_of(PERSON, batch) == [
        (0, "created_at", "timezone"),
        (1, "created_at", "timezone"),
    ]
    aware = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    problem = only_problem(LEDGER_ENTRY, [entry(), entry(booked_at=aware)])
    assert (problem.row, problem.code) == (1, "timezone")
    assert problem.message.endswith("timestamp needs a naive (no tzinfo) datetime")


@pytest.mark.parametrize(
    ("payload", "text"),
    [
        ({"a": {1, 2}}, "is not JSON-serialisable"),
        ([1.0, math.nan], "holds NaN or infinity, which JSON cannot represent"),
        ({"k": "a\x00b"}, "holds a NUL character, which jsonb cannot store"),
    ],
    ids=["set", "nan", "nul"],
)
def test_json_values_jsonb_would_refuse(payload: object, text: str) -> None:
    batch = [entry(payload={"fine": [1, "\\u0000 is just text"]}), entry(payload=payload)]
    problem = only_problem(LEDGER_ENTRY, batch)
    assert (problem.row, problem.field, problem.code) == (1, "payload", "json")
    assert problem.message == f"ledger_entry.payload row 1: {text}"


def test_array_rows_and_elements() -> None:
    batch = [
        entry(tags=None, codes=[]),
        entry(tags="not a list", codes=[1]),
        entry(tags=["ok", None, "x" * 21], codes=[1]),
        entry(codes=[1, None, 3]),
        entry(codes=[1, "2"]),
        entry(codes=[-1]),
    ]
    report = report_of(LEDGER_ENTRY, batch)
    assert [(p.row, p.field, p.code) for p in report.problems] == [
        (1, "tags", "type"),
        (2, "tags", "too_long"),
        (3, "codes", "element_null"),
        (4, "codes", "type"),
        (5, "codes", "minimum"),
    ]
    messages = [p.message for p in report.problems]
    assert messages[0] == "ledger_entry.tags row 1: expected a list, got str"
    assert messages[1] == "ledger_entry.tags row 2 element 2: longer than 20 characters (text[])"
    assert messages[2] == "ledger_entry.codes row 3 element 1: may not be None"


def test_problems_come_in_row_order_with_columns_in_table_order() -> None:
    batch = people(3)
    batch[2].display_name = None  # type: ignore[assignment]
    batch[0].balance = Decimal("0.001")
    batch[2].person_type = "x"  # type: ignore[assignment]
    assert problems_of(PERSON, batch) == [
        (0, "balance", "numeric_scale"),
        (2, "person_type", "enum"),
        (2, "display_name", "required"),
    ]


def test_messages_never_quote_row_values() -> None:
    secret = "SECRET-" + "z" * 100
    batch = [
        person(display_name=secret, external_identifier=secret, balance=Decimal("123.456")),
    ]
    report = report_of(PERSON, batch)
    assert {p.field for p in report.problems} == {"display_name", "external_identifier", "balance"}
    assert "SECRET" not in str(report) and "123.456" not in str(report)


def test_duplicate_keys_are_problems_of_the_later_rows() -> None:
    batch = people(5)
    batch[3].id = batch[1].id
    batch[4].id = batch[1].id
    batch[0].external_identifier = batch[2].external_identifier = "same"
    report = report_of(PERSON, batch)
    assert [(p.row, p.field, p.code) for p in report.problems] == [
        (2, "external_identifier", "duplicate_key"),
        (3, "id", "duplicate_key"),
        (4, "id", "duplicate_key"),
    ]
    assert report.rows == [2, 3, 4]


def test_report_text_and_row_offset() -> None:
    batch = people(30)
    for item in batch:
        item.balance = Decimal("0.001")
    report = report_of(PERSON, batch)
    text = str(report)
    assert text.startswith("30 problem(s) in person:\n  person.balance row 0: has more than 2")
    assert text.endswith("... and 10 more")
    shifted = report.with_row_offset(1000)
    assert shifted.problems[5].row == 1005
    assert shifted.problems[5].message.startswith("person.balance row 1005: has more than 2")
    duplicate = ValidationReport(
        "t", [Problem(3, "id", "duplicate_key", "t row 3 (repeats row 1): same primary_key (id)")]
    )
    assert duplicate.with_row_offset(10).problems[0].message == (
        "t row 13 (repeats row 11): same primary_key (id)"
    )


def test_a_valid_batch_never_walks_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    assert WALK_AT_MOST < 15

    def walked(self: ValueRule, value: object) -> None:
        raise AssertionError("the whole-column check should have been enough")

    monkeypatch.setattr(ValueRule, "problem", walked)
    batch = [
        entry(tags=["a", None], codes=[1, 2], payload={"k": [1]}),
        entry(tags=[], codes=[]),
        entry(tags=None, codes=[7]),
    ] * 5  # above WALK_AT_MOST, where single rows and tiny batches are walked directly
    assert problems_of(LEDGER_ENTRY, batch) == []
    assert problems_of(PERSON, people(1000)) == []


async def test_validate_batch_reports_with_one_probe_per_key(
    counting: CountingConnection,
) -> None:
    batch = people(3)
    batch[1].balance = Decimal("1.001")
    batch[2].id = batch[0].id
    report = await ops.validate_batch(counting, PERSON, batch)
    assert [(p.row, p.code) for p in report.problems] == [
        (1, "numeric_scale"),
        (2, "duplicate_key"),
    ]
    batch[0].display_name = None  # type: ignore[assignment]
    update_report = await ops.validate_batch(counting, PERSON, batch, "update")
    assert [(p.row, p.code) for p in update_report.problems] == [
        (0, "required"),
        (1, "numeric_scale"),
        (2, "duplicate_key"),
    ]
    # the insert asks whether its primary keys are stored (rows with field problems are not
    # asked); the update addresses its rows by key and person has no unique key: nothing
    assert counting.statements == [PERSON.uniques[0].probe_sql]
