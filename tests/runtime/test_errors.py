"""The error hierarchy: machine-readable attributes, readable messages, copies and pickles."""

from __future__ import annotations

import copy
import pickle

import pytest

import batchrepo
from batchrepo import errors
from batchrepo.validate.report import Problem, ValidationReport


def test_every_error_is_a_batchrepo_error_and_exported() -> None:
    for cls in (
        errors.ValidationError,
        errors.DuplicateKeyInBatchError,
        errors.UniqueViolationError,
        errors.ForeignKeyViolationError,
        errors.MissingRowsError,
        errors.CheckViolationError,
        errors.NotNullViolationError,
        errors.DataError,
        errors.DatabaseError,
    ):
        assert issubclass(cls, errors.BatchRepoError)
        assert getattr(batchrepo, cls.__name__) is cls
    # a duplicate key in a batch is found by validation, before any SQL
    assert issubclass(errors.DuplicateKeyInBatchError, errors.ValidationError)


def test_message_names_table_constraint_columns_rows_and_keys() -> None:
    err = errors.UniqueViolationError(
        "person",
        constraint="person_pkey",
        columns=["id"],
        rows=[3, 7],
        keys=["k3", "k7"],
        sqlstate="23505",
        reason="a row with this primary key already exists",
    )
    assert str(err) == (
        "person: key already exists; constraint person_pkey on (id); rows [3, 7]; "
        "keys ['k3', 'k7']; a row with this primary key already exists; sqlstate 23505"
    )


def test_long_row_lists_are_summarised() -> None:
    err = errors.MissingRowsError("t", rows=range(25), keys=range(100, 125))
    assert "rows [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ... 15 more]" in str(err)
    assert err.rows == list(range(25))  # the attribute keeps them all


def test_row_offset_shifts_rows_everywhere_and_leaves_the_original() -> None:
    err = errors.UniqueViolationError(
        "t", rows=[1, 4], keys=["a", "b"], rows_by_constraint={"t_pkey": [1], "t_u": [4]}
    )
    shifted = err.with_row_offset(100)
    assert type(shifted) is errors.UniqueViolationError
    assert (shifted.rows, shifted.keys) == ([101, 104], ["a", "b"])
    assert shifted.rows_by_constraint == {"t_pkey": [101], "t_u": [104]}
    assert "rows [101, 104]" in str(shifted)
    assert err.rows == [1, 4] and err.rows_by_constraint["t_pkey"] == [1]


def test_validation_errors_shift_their_report() -> None:
    report = ValidationReport(
        "t", [Problem(2, "name", "too_long", "t.name row 2: longer than 5 characters")]
    )
    err = errors.DuplicateKeyInBatchError(report, constraint="t_pkey", columns=["id"], keys=[9])
    shifted = err.with_row_offset(10)
    assert type(shifted) is errors.DuplicateKeyInBatchError
    assert shifted.rows == [12] and shifted.report.problems[0].row == 12
    assert "t.name row 12: longer than 5 characters" in str(shifted)
    assert (shifted.constraint, shifted.columns, shifted.keys) == ("t_pkey", ("id",), [9])


@pytest.mark.parametrize(
    "clone",
    [copy.copy, copy.deepcopy, lambda e: pickle.loads(pickle.dumps(e))],
    ids=["copy", "deepcopy", "pickle"],
)
def test_errors_survive_copy_and_pickle(clone: object) -> None:
    err = errors.ForeignKeyViolationError("child", constraint="fk", rows=[0], keys=[1])
    again = clone(err)  # type: ignore[operator]
    assert type(again) is errors.ForeignKeyViolationError
    assert (again.table, again.constraint, again.rows, again.keys) == ("child", "fk", [0], [1])
    assert str(again) == str(err)
