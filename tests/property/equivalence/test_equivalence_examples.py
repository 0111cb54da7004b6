"""The batch path and the single-row path agree on the minimal examples the machine found: each
a bug it once caught in the runtime or the generator, kept as an explicit test.

Fixed bugs stay here as regression tests. A bug still open is marked ``xfail(strict=True)``
with the reason, and has an entry in ``known.py`` that lets the machine keep hunting past it;
when its fix lands the test passes, fails the suite as XPASS, and the marker and the entry go.
"""

from __future__ import annotations

import typing
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from batchrepo import errors, operations
from batchrepo.spec import TableSpec

from ..outcome import batch_write, single_write
from ..twin import Twin

Specs = dict[str, TableSpec[Any, Any]]


@pytest.fixture
def db(shapes_twin: Twin, shapes_specs: Specs) -> Iterator[Twin]:
    """The shapes twin, emptied before each test."""
    shapes_twin.run(shapes_twin.reset(list(shapes_specs)))
    yield shapes_twin


def _row(spec: TableSpec[Any, Any], **values: Any) -> Any:
    return spec.entity(**values)


def _uuid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


def test_duplicate_unique_key_in_identity_batch(db: Twin, shapes_specs: Specs) -> None:
    """Was: ValueError from key_of (identity None before saving) instead of the duplicate error."""
    spec = shapes_specs["identity_row"]
    rows = [_row(spec, name="same", hits=0), _row(spec, name="same", hits=1)]
    with pytest.raises(errors.DuplicateKeyInBatchError):
        db.run(operations.save_batch(db.batch, spec, rows))


@pytest.mark.parametrize("path", ["save", "save_batch"])
def test_taken_unique_key_on_identity_table(db: Twin, shapes_specs: Specs, path: str) -> None:
    """Was: ValueError from key_of while building the error of an unsaved identity row."""
    spec = shapes_specs["identity_row"]
    db.run(operations.save_one(db.batch, spec, _row(spec, name="taken", hits=0)))
    again = _row(spec, name="taken", hits=1)
    with pytest.raises(errors.UniqueViolationError):
        if path == "save":
            db.run(operations.save_one(db.batch, spec, again))
        else:
            db.run(operations.save_batch(db.batch, spec, [again]))


def test_first_failing_row_decides_the_error_class(db: Twin, shapes_specs: Specs) -> None:
    """Was: the batch raised the class PostgreSQL reported first (UniqueViolationError for row
    1: unique indexes are checked per row, foreign keys at the end of the statement), the loop
    ForeignKeyViolationError for row 0."""
    parent, child = shapes_specs["parent"], shapes_specs["child"]
    for conn in (db.batch, db.single):
        db.run(operations.save_one(conn, parent, _row(parent, id=1, title="p")))
        db.run(operations.save_one(conn, child, _row(child, id=_uuid(1), parent_id=1, position=0)))
    rows = [
        _row(child, id=_uuid(2), parent_id=999, position=0),  # no such parent
        _row(child, id=_uuid(1), parent_id=1, position=0),  # key taken
    ]
    batch = db.run(batch_write(db.batch, child, "insert", rows))
    single = db.run(single_write(db.single, child, "insert", rows))
    assert batch == single


def test_update_batch_reports_an_earlier_missing_row(db: Twin, shapes_specs: Specs) -> None:
    """Was: an update batch learned which rows were missing only when its statement succeeded,
    so a later row breaking a constraint decided the error (ForeignKeyViolationError, row 1)
    where the loop raised MissingRowsError for row 0."""
    parent, child = shapes_specs["parent"], shapes_specs["child"]
    for conn in (db.batch, db.single):
        db.run(operations.save_one(conn, parent, _row(parent, id=1, title="p")))
        db.run(operations.save_one(conn, child, _row(child, id=_uuid(1), parent_id=1, position=0)))
    rows = [
        _row(child, id=_uuid(2), position=0),  # no such row
        _row(child, id=_uuid(1), parent_id=999, position=0),  # no such parent
    ]
    batch = db.run(batch_write(db.batch, child, "update", rows))
    single = db.run(single_write(db.single, child, "update", rows))
    # the check refuses row 1 before any SQL; the trial write of row 0 finds it missing first
    assert single.error == "MissingRowsError" and single.rows == (0,)
    assert batch == single


def test_update_batch_missing_row_without_parent_is_missing(db: Twin, shapes_specs: Specs) -> None:
    """Was: after a failed update batch the foreign-key probe also listed a row that does not
    exist (the statement never touched it), so a missing row 0 came out as a foreign-key error;
    the loop stops at row 0 with MissingRowsError. Missing rows now win ties in that probe.
    Since parents are checked before any SQL (issue 3), both paths stop earlier, at row 0's
    missing parent: the test keeps guarding that the batch names the same first row."""
    parent, child = shapes_specs["parent"], shapes_specs["child"]
    for conn in (db.batch, db.single):
        db.run(operations.save_one(conn, parent, _row(parent, id=1, title="p")))
        db.run(operations.save_one(conn, child, _row(child, id=_uuid(1), parent_id=1, position=0)))
    rows = [
        _row(child, id=_uuid(2), parent_id=999, position=0),  # no such row, no such parent
        _row(child, id=_uuid(1), parent_id=999, position=0),  # no such parent
    ]
    batch = db.run(batch_write(db.batch, child, "update", rows))
    single = db.run(single_write(db.single, child, "update", rows))
    assert single.error == "MissingParentError" and single.rows == (0,)
    assert batch == single


def test_update_batch_names_the_row_pointing_at_a_missing_row(
    db: Twin, shapes_specs: Specs
) -> None:
    """Was: errormap's foreign-key probe dropped rows pointing at a key of the batch (right for
    inserts, whose rows become parents) even when no row had that key, so the update batch's
    ForeignKeyViolationError named no row. (Now found before any SQL: MissingParentError, a
    ForeignKeyViolationError.)"""
    child = shapes_specs["child"]
    for conn in (db.batch, db.single):
        db.run(operations.save_one(conn, child, _row(child, id=_uuid(1), position=0)))
    rows = [
        _row(child, id=_uuid(1), previous_id=_uuid(2), position=1),  # points at a missing row...
        _row(child, id=_uuid(2), position=2),  # ...that this batch names, but cannot update
    ]
    batch = db.run(batch_write(db.batch, child, "update", rows))
    single = db.run(single_write(db.single, child, "update", rows))
    assert single.error == "MissingParentError" and single.rows == (0,)
    assert batch == single


def test_char_key_load_batch_finds_what_load_one_finds(db: Twin, shapes_specs: Specs) -> None:
    """Was: load_batch and exists_batch matched the padded keys PostgreSQL returns ('a ') against
    the keys asked ('a') in Python, so they missed rows load_one found."""
    spec = shapes_specs["composite"]
    saved = db.run(
        operations.save_one(db.batch, spec, _row(spec, region="a", seq=1, code="x", revision=0))
    )
    asked = spec.key_of(_row(spec, region="a", seq=1, code="x", revision=0))
    assert saved.region == "a "  # stored and returned padded
    one = db.run(operations.load_one(db.batch, spec, asked))
    assert one is not None
    assert db.run(operations.load_batch(db.batch, spec, [asked])) == [one]
    assert db.run(operations.exists_batch(db.batch, spec, [asked])) == [True]


def test_char_keys_equal_in_postgres_are_duplicates(db: Twin, shapes_specs: Specs) -> None:
    """Was: 'b' and 'b ' passed the duplicate check (two keys to Python, one to PostgreSQL) and
    the batch failed in the database with a UniqueViolationError naming no row."""
    spec = shapes_specs["composite"]
    rows = [
        _row(spec, region="b", seq=1, code="q", revision=0),
        _row(spec, region="b ", seq=1, code="r", revision=0),
    ]
    with pytest.raises(errors.DuplicateKeyInBatchError):
        db.run(operations.save_batch(db.batch, spec, rows))


def test_char_min_length_validation_agrees_with_ddl(db: Twin, shapes_specs: Specs) -> None:
    """Was: 'ab ' passed min_length 3 in validation (len counts the space) and failed the DDL
    check (char_length of a char(3) value ignores trailing spaces) with CheckViolationError."""
    spec = shapes_specs["plain"]
    mood = next(iter(typing.get_type_hints(spec.entity)["mood"]))
    row = _row(spec, label="l", amount=0, currency="ab ", mood=mood, active=True)
    report = db.run(operations.validate_batch(db.batch, spec, [row]))
    assert not report.ok
