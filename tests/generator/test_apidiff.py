"""``batchrepo diff``: every rule that marks a change breaking or additive, on small sources,
then the whole command on a temporary git repository whose schema changes and is regenerated.

Each rule test asserts the exact list of (symbol, change, breaking): a wrong classification, a
missed change or a spurious one fails it."""

from __future__ import annotations

import argparse
import json
import subprocess
import textwrap
from pathlib import Path

import pytest
from batchrepo_codegen import generate
from batchrepo_codegen.apidiff.api_diff import api_of_sources, diff_apis, register
from batchrepo_codegen.apidiff.extract import SourceError
from batchrepo_codegen.apidiff.formats import render_json, render_markdown
from batchrepo_codegen.output.writer import write_tree

BREAKING, ADDITIVE = True, False


def changes(old: str, new: str) -> list[tuple[str, str, bool]]:
    """The changes between two versions of one module, ``pkg/mod.py``."""
    before = api_of_sources({"pkg/mod.py": textwrap.dedent(old)})
    after = api_of_sources({"pkg/mod.py": textwrap.dedent(new)})
    return [(c.symbol, c.what, c.breaking) for c in diff_apis(before, after).changes]


ENTITY = """
import dataclasses
import uuid

@dataclasses.dataclass(slots=True, kw_only=True)
class Person:
    id: uuid.UUID = dataclasses.field(default_factory=uuid.uuid4)
    name: str
    note: str | None = None
"""


NOTE = "note: str | None = None"
FACTORY = "tags: list[str] = dataclasses.field(default_factory=list)"
# name: (old text, new text, then the one change expected: symbol, what, breaking)
FIELD_RULES = {
    "removed": (f"    {NOTE}\n", "", "Person.note", "removed field", BREAKING),
    "new-required": (NOTE, f"{NOTE}\n    sku: str", "Person.sku", "new required field", BREAKING),
    "new-optional": (NOTE, f"{NOTE}\n    rank: int = 0",
                     "Person.rank", "new optional field", ADDITIVE),
    "new-factory": (NOTE, f"{NOTE}\n    {FACTORY}", "Person.tags", "new optional field", ADDITIVE),
    "field-without-default": (NOTE, f"{NOTE}\n    secret: str = dataclasses.field(repr=False)",
                              "Person.secret", "new required field", BREAKING),
    "changed-type": ("note: str | None", "note: int | None",
                     "Person.note", "changed type", BREAKING),
    "default-removed": (NOTE, "note: str | None",
                        "Person.note", "default removed, now required", BREAKING),
    "default-added": ("name: str", "name: str = ''",
                      "Person.name", "default added, now optional", ADDITIVE),
    "default-changed": ("= None", "= 'n/a'", "Person.note", "changed default", BREAKING),
    "declaration": ("kw_only=True)", "kw_only=True, frozen=True)",
                    "Person", "changed declaration", BREAKING),
}  # fmt: skip


@pytest.mark.parametrize("rule", FIELD_RULES.values(), ids=FIELD_RULES)
def test_field_rule(rule: tuple[str, str, str, str, bool]) -> None:
    old_text, new_text, *expected = rule
    assert old_text in ENTITY
    assert changes(ENTITY, ENTITY.replace(old_text, new_text)) == [tuple(expected)]


def test_identical_sources_have_no_changes() -> None:
    assert changes(ENTITY, ENTITY) == []


def test_formatting_and_quoting_are_no_change() -> None:
    reformatted = ENTITY.replace(NOTE, 'note: "str | None"   =   (None)')
    assert changes(ENTITY, reformatted) == []


def test_field_order_matters_only_for_positional_constructors() -> None:
    keyword_only = ENTITY.replace("    name: str\n", "").replace(
        "note: str | None = None", "note: str | None = None\n    name: str"
    )
    assert changes(ENTITY, keyword_only) == []
    positional = ENTITY.replace("(slots=True, kw_only=True)", "(slots=True)")
    moved = keyword_only.replace("(slots=True, kw_only=True)", "(slots=True)")
    assert changes(positional, moved) == [
        ("Person.name", "moved field", BREAKING),
        ("Person.note", "moved field", BREAKING),
    ]


# Classes, keys, aliases, constants, enums, __all__, modules


ALIAS = "PersonKey = uuid.UUID\n"
KEY = "from typing import NamedTuple\nclass K(NamedTuple):\n    a: str\n    b: int\n"
TABLE = "PERSON_TABLE: TableSpec[Person, PersonKey] = TableSpec(table='person')\n"
ENUM = "import enum\nclass State(enum.StrEnum):\n    OPEN = 'open'\n    CLOSED = 'closed'\n"
TAG = ENTITY + "class Tag:\n    label: str\n"
HELPER = "def _to_columns(items):\n    return []\n_CACHE = {}\n"
# name: (old source, new source, every change expected as (symbol, what, breaking))
MODULE_RULES = {
    "new-class": (ENTITY, TAG, [("Tag", "new class", ADDITIVE)]),
    "removed-class": (TAG, ENTITY, [("Tag", "removed class", BREAKING)]),
    "renamed-class": (ENTITY, ENTITY.replace("class Person:", "class Party:"),
                      [("Party", "new dataclass", ADDITIVE),
                       ("Person", "removed dataclass", BREAKING)]),
    "alias-unchanged": (ALIAS, ALIAS, []),
    "alias-target": (ALIAS, "PersonKey = int\n", [("PersonKey", "changed type", BREAKING)]),
    "key-becomes-composite": (ALIAS, KEY.replace("class K", "class PersonKey"),
                              [("PersonKey", "changed kind", BREAKING)]),
    "key-new-field": (KEY, KEY + "    c: int\n", [("K.c", "new required field", BREAKING)]),
    "key-fields-moved": (KEY, KEY.replace("a: str\n    b: int", "b: int\n    a: str"),
                         [("K.a", "moved field", BREAKING), ("K.b", "moved field", BREAKING)]),
    "constant-value-is-data": (TABLE, TABLE.replace("'person'", "'people'"), []),
    "constant-type": (TABLE, TABLE.replace("PersonKey]", "PersonId]"),
                      [("PERSON_TABLE", "changed type", BREAKING)]),
    "constant-removed": (TABLE, "", [("PERSON_TABLE", "removed constant", BREAKING)]),
    "private-names": (HELPER, HELPER.replace("(items)", "(items, extra)"), []),
    "enum-new-member": (ENUM, ENUM + "    HELD = 'held'\n",
                        [("State.HELD", "new enum member", ADDITIVE)]),
    "enum-removed-member": (ENUM, ENUM.replace("    CLOSED = 'closed'\n", ""),
                            [("State.CLOSED", "removed enum member", BREAKING)]),
    "enum-changed-value": (ENUM, ENUM.replace("= 'closed'", "= 'shut'"),
                           [("State.CLOSED", "changed value", BREAKING)]),
    "all": ("__all__ = ['Person', 'PersonKey']\n", "__all__ = ['Person', 'Tag']\n",
            [("__all__", "new export", ADDITIVE), ("__all__", "removed export", BREAKING)]),
}  # fmt: skip


@pytest.mark.parametrize("rule", MODULE_RULES.values(), ids=MODULE_RULES)
def test_module_rule(rule: tuple[str, str, list[tuple[str, str, bool]]]) -> None:
    old, new, expected = rule
    assert changes(old, new) == expected


def test_new_module_is_additive_and_removed_module_is_breaking() -> None:
    one = api_of_sources({"pkg/__init__.py": "", "pkg/person.py": ENTITY})
    two = api_of_sources({"pkg/__init__.py": "", "pkg/person.py": ENTITY, "pkg/tag.py": "X = 1\n"})
    assert [(c.module, c.what, c.breaking) for c in diff_apis(one, two).changes] == [
        ("pkg.tag", "new module", ADDITIVE)
    ]
    assert [(c.module, c.what, c.breaking) for c in diff_apis(two, one).changes] == [
        ("pkg.tag", "removed module", BREAKING)
    ]


def test_private_modules_are_no_part_of_the_api() -> None:
    """``pkg/_person_table.py`` holds the columns, keys and statements of ``person``: renaming or
    dropping one is no change to the API."""
    one = api_of_sources({"pkg/person.py": ENTITY, "pkg/_person_table.py": "SELECT_ONE = ''\n"})
    two = api_of_sources({"pkg/person.py": ENTITY, "pkg/_person_table.py": "SELECT_KEYS = ''\n"})
    assert set(one.modules) == {"pkg.person"}
    assert diff_apis(one, two).changes == ()
    assert set(api_of_sources({"pkg/_inner/mod.py": "X = 1\n"}).modules) == set()


# Repository methods


REPOSITORY = """
class PersonRepository:
    def __init__(self, executor: Executor) -> None:
        self._executor = executor

    async def load_batch(self, keys: Sequence[PersonKey]) -> list[Person | None]:
        return []

    async def save_batch_chunked(
        self, items: Sequence[Person], *, chunk_size: int = 1000
    ) -> BatchResult[Person]:
        return BatchResult()
"""


def method_changes(old_text: str, new_text: str) -> list[tuple[str, str, bool]]:
    """Changes after replacing ``old_text`` in the repository, symbols without the class name."""
    assert old_text in REPOSITORY
    found = changes(REPOSITORY, REPOSITORY.replace(old_text, new_text))
    return [(symbol.removeprefix("PersonRepository."), what, b) for symbol, what, b in found]


LOAD = "keys: Sequence[PersonKey])"
CHUNK = "chunk_size: int = 1000"
EXISTS = "return []\n\n    async def exists(self, key: PersonKey) -> bool:\n        return 1\n"
# name: (old text, new text, then the one change expected: symbol without the class, what, breaking)
METHOD_RULES = {
    "new-method": ("return []\n", EXISTS,
                   "exists()", "new method", ADDITIVE),
    "removed-method": ("async def load_batch(self, keys", "def _load(k",
                       "load_batch()", "removed method", BREAKING),
    "new-required": (LOAD, "keys: Sequence[PersonKey], lock: bool)",
                     "load_batch(lock)", "new required parameter", BREAKING),
    "new-optional": (CHUNK, f"{CHUNK}, atomic: bool = True",
                     "save_batch_chunked(atomic)", "new optional parameter", ADDITIVE),
    "removed-param": (f", *, {CHUNK}", "",
                      "save_batch_chunked(chunk_size)", "removed parameter", BREAKING),
    "param-type": (LOAD, "keys: Sequence[int])",
                   "load_batch(keys)", "changed type", BREAKING),
    "return-type": ("-> list[Person | None]:", "-> list[Person]:",
                    "load_batch()", "changed return type", BREAKING),
    "widened-kind": ("*, chunk_size", "chunk_size",
                     "save_batch_chunked(chunk_size)", "changed parameter kind", ADDITIVE),
    "narrowed-kind": ("(self, keys:", "(self, *, keys:",
                      "load_batch(keys)", "changed parameter kind", BREAKING),
    "default-removed": (CHUNK, "chunk_size: int",
                        "save_batch_chunked(chunk_size)", "default removed, now required",
                        BREAKING),
    "default-changed": (CHUNK, "chunk_size: int = 500",
                        "save_batch_chunked(chunk_size)", "changed default", BREAKING),
    "widened-param-type": ("executor: Executor)", "executor: Executor | Session)",
                           "__init__(executor)", "widened type", ADDITIVE),
    "widened-return-type": ("-> list[Person | None]:", "-> list[Person | None] | None:",
                            "load_batch()", "changed return type", BREAKING),
    "no-longer-async": ("async def load_batch", "def load_batch",
                        "load_batch()", "changed kind", BREAKING),
    "constructor": ("executor: Executor)", "executor: Executor, cache: Cache)",
                    "__init__(cache)", "new required parameter", BREAKING),
}  # fmt: skip


@pytest.mark.parametrize("rule", METHOD_RULES.values(), ids=METHOD_RULES)
def test_method_rule(rule: tuple[str, str, str, str, bool]) -> None:
    old_text, new_text, *expected = rule
    assert method_changes(old_text, new_text) == [tuple(expected)]


def test_union_variance_narrowed_parameter_breaks_and_narrowed_return_does_not() -> None:
    wide = "def load(key: int | str | None) -> Optional[Person]:\n    pass\n"
    narrow = "def load(key: int | str) -> Person:\n    pass\n"
    assert changes(wide, narrow) == [
        ("load()", "narrowed return type", ADDITIVE),
        ("load(key)", "changed type", BREAKING),
    ]
    assert changes(narrow, wide) == [
        ("load()", "changed return type", BREAKING),
        ("load(key)", "widened type", ADDITIVE),
    ]


def test_moved_positional_parameter_is_breaking() -> None:
    two = "keys: Sequence[PersonKey], lock: bool = False)"
    swapped = "lock: bool = False, keys: Sequence[PersonKey] = ())"
    before = REPOSITORY.replace(LOAD, two)
    after = REPOSITORY.replace(LOAD, swapped)
    assert changes(before, after) == [
        ("PersonRepository.load_batch(keys)", "default added, now optional", ADDITIVE),
        ("PersonRepository.load_batch(keys)", "moved parameter", BREAKING),
        ("PersonRepository.load_batch(lock)", "moved parameter", BREAKING),
    ]


# Reports


def test_markdown_groups_by_module_escapes_pipes_and_counts() -> None:
    old = api_of_sources({"pkg/a.py": ENTITY, "pkg/b.py": ENUM})
    new = api_of_sources(
        {
            "pkg/a.py": ENTITY.replace(NOTE, "rank: int | None = None"),
            "pkg/b.py": ENUM + "    X = 'x'\n",
        }
    )
    text = render_markdown(diff_apis(old, new), base="main (abc)", out="generated")
    assert text.splitlines()[:4] == [
        "<!-- batchrepo-api-diff -->",
        "## Public API changes in `generated`",
        "",
        "Working tree compared with main (abc): **1 breaking, 2 additive**.",
    ]
    assert text.index("### `pkg.a`") < text.index("### `pkg.b`")
    assert "| **breaking** | `Person.note` | removed field | `note: str \\| None = None` |" in text
    assert "| additive | `Person.rank` | new optional field | `rank: int \\| None = None` |" in text
    assert "| additive | `State.X` | new enum member | `'x'` |" in text
    assert text == render_markdown(diff_apis(old, new), base="main (abc)", out="generated")


def test_markdown_without_changes_says_so() -> None:
    api = api_of_sources({"pkg/a.py": ENTITY})
    text = render_markdown(diff_apis(api, api), base="HEAD (abc)", out="generated")
    assert "**0 breaking, 0 additive**" in text
    assert "No public API changes." in text
    assert "###" not in text


def test_json_report_counts_and_lists_changes() -> None:
    old = api_of_sources({"pkg/a.py": ENTITY})
    new = api_of_sources({"pkg/a.py": ENTITY.replace(NOTE, "")})
    document = json.loads(render_json(diff_apis(old, new), base="HEAD (abc)", out="generated"))
    assert (document["breaking"], document["additive"]) == (1, 0)
    assert document["changes"] == [
        {
            "module": "pkg.a",
            "symbol": "Person.note",
            "what": "removed field",
            "detail": "`note: str | None = None`",
            "breaking": True,
        }
    ]


def test_invalid_python_names_the_file_and_line() -> None:
    with pytest.raises(SourceError, match=r"^pkg/broken\.py: line 2: not valid Python"):
        api_of_sources({"pkg/ok.py": "X = 1\n", "pkg/broken.py": "X = 1\ndef (:\n"})


# The command on a git repository


SHOP_SCHEMA = """\
version: 1
package: shop
tables:
  item:
    columns:
      id: {type: uuid, primary_key: true, server_default: gen_random_uuid()}
      name: {type: varchar(40)}
      colour: {type: varchar(20)}
"""


def git(repo: Path, *args: str) -> str:
    identity = ("-c", "user.name=batchrepo tests", "-c", "user.email=tests@example.invalid")
    done = subprocess.run(
        ["git", *identity, *args], cwd=repo, capture_output=True, text=True, check=True
    )
    return done.stdout


def regenerate(repo: Path, schema: str) -> None:
    (repo / "schema.yaml").write_text(schema, encoding="utf-8")
    write_tree(repo / "generated", generate(repo / "schema.yaml", "generated"))


def run_diff_command(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="batchrepo")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["diff", *argv])
    return int(args.run(args))


@pytest.fixture
def shop_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository on branch main with a committed schema and its generated package."""
    git(tmp_path, "init", "-q", "-b", "main")
    regenerate(tmp_path, SHOP_SCHEMA)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "shop schema")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_schema_changes_end_to_end(shop_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_diff_command() == 0
    assert "**0 breaking, 0 additive**" in capsys.readouterr().out

    nullable = SHOP_SCHEMA + "      note: {type: text, nullable: true}\n"
    regenerate(shop_repo, nullable)
    assert run_diff_command() == 0
    text = capsys.readouterr().out
    assert "merge base with main" in text
    assert "**0 breaking, 2 additive**" in text
    assert "| additive | `Item.note` | new optional field | `note: str \\| None = None` |" in text
    # the Literal of the columns update(..., columns=) may name: a new column widens it
    assert (
        "| additive | `ItemColumn` | widened parameter type | "
        "`Literal['name', 'colour']` → `Literal['name', 'colour', 'note']` |"
    ) in text

    git(shop_repo, "checkout", "-q", "-b", "feature")
    git(shop_repo, "commit", "-q", "-am", "note")
    edited = nullable.replace("      colour: {type: varchar(20)}\n", "")
    regenerate(shop_repo, edited + "      sku: {type: varchar(20)}\n")
    assert run_diff_command("--format", "markdown") == 1
    text = capsys.readouterr().out
    # the merge base with main has no note yet; dropping colour narrows ItemColumn
    assert "**3 breaking, 1 additive**" in text
    assert (
        "| **breaking** | `ItemColumn` | changed type | "
        "`Literal['name', 'colour']` → `Literal['name', 'note', 'sku']` |"
    ) in text
    assert "| **breaking** | `Item.colour` | removed field | `colour: str` |" in text
    assert "| **breaking** | `Item.sku` | new required field | `sku: str` |" in text

    assert run_diff_command("--base", "feature", "--format", "json") == 1
    document = json.loads(capsys.readouterr().out)
    assert [(c["symbol"], c["what"]) for c in document["changes"]] == [
        ("Item.colour", "removed field"),
        ("Item.sku", "new required field"),
        ("ItemColumn", "changed type"),
    ]


def test_bad_ref_and_empty_output_are_usage_errors(
    shop_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_diff_command("--base", "no-such-branch") == 2
    assert "--base 'no-such-branch' is not a commit" in capsys.readouterr().err
    assert run_diff_command("--out", "nowhere") == 2
    assert "no Python files under nowhere" in capsys.readouterr().err


def test_outside_a_git_repository_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert run_diff_command() == 2
    assert "batchrepo diff: git rev-parse --show-toplevel" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "from batchrepo.contract import v1 as _rt\n",
            "from batchrepo.contract import v2 as _rt\n",
            [("(runtime)", "changed runtime contract", BREAKING)],
        ),
        (
            "from batchrepo import operations as _ops\n",
            "from batchrepo.contract import v1 as _rt\n",
            [("(runtime)", "changed runtime contract", BREAKING)],
        ),
        (
            "from batchrepo.contract import v1 as _rt\n",
            "from batchrepo.contract import v1 as _rt\n",
            [],
        ),
    ],
    ids=["newer version", "first contract", "same version"],
)
def test_a_new_runtime_contract_is_a_breaking_change(
    old: str, new: str, expected: list[tuple[str, str, bool]]
) -> None:
    # Code generated for another contract imports only on a runtime that provides it.
    assert changes(old, new) == expected
