"""Bad schema golden cases (``tests/golden/bad_schemas``): each ``<case>/schema.yaml`` is rejected
with exactly the text of ``<case>/expected_error.txt`` (``str(SchemaError)``), every message
naming the file and a line.

After a deliberate change of messages, regenerate the expectations and review the diff::

    make golden   # or: python -m tests.golden regenerate bad_schemas
"""

from __future__ import annotations

import pytest

from tests.golden.harness import assert_current
from tests.golden.kinds import BAD_SCHEMAS

CASES = BAD_SCHEMAS.cases()


def test_the_corpus_covers_enough_situations() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES)
def test_bad_schema_is_rejected_with_the_expected_messages(case: str) -> None:
    assert_current(BAD_SCHEMAS, case)


@pytest.mark.parametrize("case", CASES)
def test_every_message_names_its_file_and_line(case: str) -> None:
    for line in BAD_SCHEMAS.rejection(case).splitlines():
        assert line.startswith(f"{BAD_SCHEMAS.shown_name(case)}:")
