"""The bad schema corpus: each ``tests/bad_schemas/<case>.yaml`` is rejected with exactly the
text of ``<case>.expected`` (``str(SchemaError)``, the file named by its base name).

After a deliberate change of messages, regenerate the expectations and review the diff::

    .venv/bin/python -m tests.generator.test_bad_schemas
"""

from __future__ import annotations

from pathlib import Path

import pytest
from batchrepo_codegen.pipeline import read_schema_text as parse_schema
from batchrepo_codegen.schema.issues import SchemaError

CORPUS = Path(__file__).resolve().parent.parent / "bad_schemas"
CASES = sorted(path.stem for path in CORPUS.glob("*.yaml"))


def rejection(case: str) -> str:
    """What the front end says about one case."""
    source = CORPUS / f"{case}.yaml"
    try:
        parse_schema(source.read_text(encoding="utf-8"), source.name)
    except SchemaError as error:
        return str(error) + "\n"
    raise AssertionError(f"{source.name} was accepted")


def test_the_corpus_covers_enough_situations() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES)
def test_bad_schema_is_rejected_with_the_expected_messages(case: str) -> None:
    expected = (CORPUS / f"{case}.expected").read_text(encoding="utf-8")
    assert rejection(case) == expected


@pytest.mark.parametrize("case", CASES)
def test_every_message_names_its_file_and_line(case: str) -> None:
    for line in rejection(case).splitlines():
        assert line.startswith(f"{case}.yaml:")


def regenerate() -> None:
    for case in CASES:
        (CORPUS / f"{case}.expected").write_text(rejection(case), encoding="utf-8")
    print(f"wrote {len(CASES)} expectations under {CORPUS}")


if __name__ == "__main__":
    regenerate()
