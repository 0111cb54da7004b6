"""Table CHECK constraints: the runtime's mirror and PostgreSQL agree on every row.

The ``checked`` table of the ``shapes`` golden case has four table checks (ordering of dates,
arithmetic with a nullable operand, state-dependent presence on an enum, a format check with
``btrim``/``lower``/``length``). Random rows, NULLs and non-ASCII text included, are judged by
both sides: the mirror (``validate_batch``'s field problems, before any SQL) and the database
(each row inserted alone in a transaction that rolls back). Where the mirror decides, it
decides as the database does; where it leaves the row to the database (``lower`` of non-ASCII
text), the database's 23514 of a batch names the refused rows, found by the failure probe.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import asyncpg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from batchrepo import CheckViolationError, ValidationError
from batchrepo.operations import save_batch, update_batch
from batchrepo.spec import TableSpec
from batchrepo.validate.fields import field_problems
from batchrepo.validate.table_checks import UNDECIDED, compiled

from .profiles import property_settings
from .twin import Twin

_DAY = datetime.date(2024, 2, 27)


def _rows(entity: type, mood: Any) -> st.SearchStrategy[list[Any]]:
    row = st.builds(
        entity,
        id=st.just(0),
        mood=st.sampled_from(list(mood)),
        low=st.integers(0, 9),
        high=st.none() | st.integers(-3, 16),
        opens_on=st.integers(0, 3).map(lambda d: _DAY + datetime.timedelta(days=d)),
        closes_on=st.none() | st.integers(-1, 4).map(lambda d: _DAY + datetime.timedelta(days=d)),
        code=st.none() | st.text(alphabet="aAB é\u00c9", max_size=4),
    )
    return st.lists(row, min_size=1, max_size=6)


def _numbered(items: list[Any]) -> list[Any]:
    for number, item in enumerate(items):
        item.id = number
    return items


async def _refused_alone(conn: asyncpg.Connection, spec: TableSpec[Any, Any], item: Any) -> str:
    """The check constraint the database refuses the row with, or '' when it takes it."""
    columns = spec.to_columns([item])
    names = ", ".join(f'"{c.name}"' for c in spec.columns)
    marks = ", ".join(f"${i + 1}" for i in range(len(spec.columns)))
    values = [column[0] for column in columns]
    transaction = conn.transaction()
    await transaction.start()
    try:
        await conn.execute(f'INSERT INTO "{spec.table}" ({names}) VALUES ({marks})', *values)
    except asyncpg.CheckViolationError as error:
        return str(error.constraint_name)
    finally:
        await transaction.rollback()
    return ""


def _mirror(
    spec: TableSpec[Any, Any], items: list[Any]
) -> tuple[dict[int, set[str]], set[tuple[int, str]]]:
    """Per row the checks the mirror refuses it with, and the (row, check) pairs it leaves to
    the database."""
    columns = spec.to_columns(items)
    refused: dict[int, set[str]] = {}
    for problem in field_problems(spec, columns, "insert"):
        assert problem.code == "check", problem.message  # the strategy keeps the field rules
        constraint = problem.message.split("breaks check ")[1].split(" ")[0]
        refused.setdefault(problem.row, set()).add(constraint)
    undecided = {
        (row, check.constraint)
        for check in spec.checks
        for row in range(len(items))
        if compiled(check, spec.columns, "insert", None)(columns, row) is UNDECIDED
    }
    return refused, undecided


@pytest.fixture(scope="module")
def checked(shapes_specs: dict[str, TableSpec[Any, Any]]) -> TableSpec[Any, Any]:
    return shapes_specs["checked"]


def test_the_mirror_and_the_database_agree_on_every_row(
    shapes_twin: Twin, checked: TableSpec[Any, Any], shapes_package: Any
) -> None:
    mood = shapes_package.Mood
    seen = {"refused": 0, "accepted": 0, "undecided": 0}

    @given(_rows(checked.entity, mood).map(_numbered))
    @property_settings(2.0)
    def agree(items: list[Any]) -> None:
        refused, undecided = _mirror(checked, items)
        for row, item in enumerate(items):
            by_database = shapes_twin.run(_refused_alone(shapes_twin.batch, checked, item))
            left = {name for at, name in undecided if at == row}
            if row in refused:
                seen["refused"] += 1
                # PostgreSQL names the first check it finds false: one the mirror names, or
                # one it left to the database
                assert by_database in refused[row] | left, (item, refused[row], by_database)
            elif left:
                seen["undecided"] += 1
                assert by_database == "" or by_database in left, (item, left, by_database)
            else:
                seen["accepted"] += 1
                assert by_database == "", (row, item, by_database)

    agree()
    print(f"\nchecked rows: {seen}")
    assert all(seen.values()), seen  # the strategy reaches every verdict


def test_a_batch_the_database_refuses_names_its_rows(
    shapes_twin: Twin, checked: TableSpec[Any, Any], shapes_package: Any
) -> None:
    mood = shapes_package.Mood

    def row(number: int, code: str | None) -> Any:
        return checked.entity(
            id=number, mood=mood("calm"), low=1, high=1, opens_on=_DAY, closes_on=None, code=code
        )

    # not ASCII: lower() is the server's, so the mirror leaves rows 1 and 3 to it (they are
    # not lower case in any locale)
    items = [row(0, "ab"), row(1, "Aé"), row(2, "ab"), row(3, "bÉ")]
    with pytest.raises(CheckViolationError) as raised:
        shapes_twin.run(save_batch(shapes_twin.batch, checked, items))
    assert raised.value.constraint == "checked_code"
    assert raised.value.rows == [1, 3]
    assert raised.value.keys == [1, 3]
    # the mirror decides what it can, before any SQL
    items[2] = row(2, "Ab")
    with pytest.raises(ValidationError) as invalid:
        shapes_twin.run(save_batch(shapes_twin.batch, checked, items))
    assert invalid.value.rows == [2]


def test_a_check_on_a_value_the_update_keeps_is_the_databases_to_refuse(
    shapes_twin: Twin, checked: TableSpec[Any, Any], shapes_package: Any
) -> None:
    """A partial update leaves ``high`` as stored, so the mirror cannot add it to ``low``: the
    database refuses the row, and the update's probe, reading ``high`` as stored, names it."""
    mood = shapes_package.Mood
    stored = checked.entity(
        id=100, mood=mood("calm"), low=1, high=10, opens_on=_DAY, closes_on=None, code=None
    )

    async def scenario() -> CheckViolationError:
        conn = shapes_twin.batch
        transaction = conn.transaction()
        await transaction.start()
        try:
            await save_batch(conn, checked, [stored])
            moved = dataclasses.replace(stored, low=9, high=None)
            fine = dataclasses.replace(stored, id=101, low=2)
            await save_batch(conn, checked, [fine])
            with pytest.raises(CheckViolationError) as raised:
                await update_batch(conn, checked, [fine, moved], columns=["low"])
            return raised.value
        finally:
            await transaction.rollback()

    error = shapes_twin.run(scenario())
    assert error.constraint == "checked_sum"
    assert error.columns == ("low", "high")
    assert error.rows == [1] and error.keys == [100]
    assert "checked_sum" in str(error) and error.sqlstate == "23514"
