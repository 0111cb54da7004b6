"""Naming checks: names valid where they land, and no two landing on the same spot."""

from __future__ import annotations

import pytest
from batchrepo_codegen.schema.names import UNIT_OF_WORK_MEMBERS

from batchrepo.unit_of_work import UnitOfWork

from .problems import ID, problems


@pytest.mark.parametrize(
    ("package", "message"),
    [
        (
            "my-shop",
            "package name 'my-shop' contains characters that do not belong in an identifier "
            "(letters, digits, _)",
        ),
        ("_shop", "package name '_shop' starts with '_', which is reserved for generated helpers"),
        ("class", "package name 'class' is a Python keyword; it cannot be imported"),
        (
            "json",
            "package name 'json' would shadow the module 'json' that Python or batchrepo imports; "
            "choose another name",
        ),
        (
            "\ufb01nance",
            "package name 'ﬁnance' changes under NFKC normalisation, so Python would import it "
            "as 'finance'; write 'finance'",
        ),
    ],
    ids=["hyphen", "underscore", "keyword", "shadows-json", "nfkc-ligature"],
)
def test_package_names(package: str, message: str) -> None:
    assert problems({"thing": {"columns": {"id": ID}}}, package=package) == [f"package: {message}"]


def test_names_of_every_kind_are_checked() -> None:
    tables = {
        "per son": {"columns": {"id": ID}},
        "thing": {
            "columns": {"id": ID, "x" * 64: {"type": "text"}},
            "unique": {"u\u200b": ["id"]},
            "foreign_keys": {"_fk": {"columns": ["id"], "references": {"table": "thing"}}},
            "indexes": {"1idx": ["id"]},
        },
    }
    assert problems(tables) == [
        "tables['per son']: table name 'per son' contains characters that do not belong in an "
        "identifier (letters, digits, _)",
        f"tables.thing.columns.{'x' * 64}: column name '{'x' * 64}' is 64 bytes long; PostgreSQL "
        "truncates identifiers to 63 bytes, so two long names could silently become one",
        "tables.thing.unique['u\\u200b']: unique key name 'u\\u200b' contains invisible or control "
        "characters (U+200B)",
        "tables.thing.foreign_keys._fk: foreign key name '_fk' starts with '_', which is reserved "
        "for generated helpers",
        "tables.thing.indexes['1idx']: index name '1idx' contains characters that do not belong in "
        "an "
        "identifier (letters, digits, _)",
    ]


def test_enum_names_and_values() -> None:
    enums = {
        "text": {"values": ["a"]},
        "mood": {
            "values": [
                " ",
                "happy",
                "happy",
                "Happy!",
                "non\u00a0breaking",
                "é" * 32,
                "fine\u200d",
            ]
        },
    }
    assert problems({"thing": {"columns": {"id": ID}}}, enums) == [
        "enums.text: enum name 'text' is a built-in type name; rename the enum",
        "enums.mood.values[0]: enum value ' ' is blank",
        "enums.mood.values[2]: duplicate enum value 'happy' (also at position 2)",
        "enums.mood.values[3]: enum values 'happy' and 'Happy!' both become the Python member "
        "mood.HAPPY; rename one of them",
        "enums.mood.values[4]: enum value 'non\\xa0breaking' contains invisible or control "
        "characters (U+00A0)",
        f"enums.mood.values[5]: enum value '{'é' * 32}' is 64 bytes long; PostgreSQL allows at "
        "most 63 bytes in an enum label",
        "enums.mood.values[6]: enum value 'fine\\u200d' contains invisible or control characters "
        "(U+200D)",
    ]


def test_python_name_collisions_per_scope() -> None:
    enums = {"ﬂow": {"values": ["a"]}, "flow": {"values": ["b"]}}
    tables = {"class": {"columns": {"id": ID}}, "class_": {"columns": {"id": ID}}}
    assert problems(tables, enums) == [
        "tables.class_: table 'class_' becomes the Python name 'class_', as table 'class' does "
        "(a Python keyword gets a trailing '_'); rename one of them",
        "enums.flow: enum 'flow' becomes the Python name 'flow', as enum 'ﬂow' does (Python reads "
        "identifiers NFKC-normalised); rename one of them",
        "enums.flow: enum 'flow' needs the enum class name 'Flow', which is already the enum "
        "class of enum 'ﬂow'; rename one of them",
        "tables.class_: table 'class_' needs the entity class name 'Class', which is already the "
        "entity class of table 'class'; rename one of them",
    ]


def test_names_that_differ_only_in_case_meet_in_module_and_constant_names() -> None:
    enums = {"aB": {"values": ["x"]}, "ab": {"values": ["y"]}}
    tables = {"PERSON": {"columns": {"id": ID}}, "person": {"columns": {"id": ID}}}
    assert problems(tables, enums) == [
        "tables.person: table 'person' would be written to person.py, which differs only in case "
        "from PERSON.py (table 'PERSON'); case-insensitive file systems would merge them, so "
        "rename one of them",
        "enums.ab: enum 'ab' needs the value-to-member mapping name 'AB_BY_VALUE', which is "
        "already the value-to-member mapping of enum 'aB'; rename one of them",
        "tables.person: table 'person' needs the TableSpec constant name 'PERSON_TABLE', which "
        "is already the TableSpec constant of table 'PERSON'; rename one of them",
    ]


def test_key_names_of_a_table() -> None:
    tables = {
        "thing": {
            "columns": {
                "id": ID,
                "email": {"type": "text", "unique": True},
                "parent_id": {"type": "uuid", "references": "thing"},
            },
            "unique": {"email": ["email"], "primary_key": ["email"]},
            "foreign_keys": {
                "parent_id": {"columns": ["parent_id"], "references": {"table": "thing"}}
            },
        }
    }
    assert problems(tables) == [
        "tables.thing.unique.email: unique key name 'email' is already used by the unique key "
        "declared at tables.thing.columns.email.unique; rename one of them",
        "tables.thing.unique.primary_key: unique key name 'primary_key' is reserved for the "
        "primary "
        "key; rename it",
        "tables.thing.foreign_keys.parent_id: foreign key name 'parent_id' is already used by the "
        "foreign key declared at tables.thing.columns.parent_id.references; rename one of them",
    ]


def test_index_names_share_one_namespace_with_tables() -> None:
    tables = {
        "alpha": {"columns": {"id": ID}, "indexes": {"beta": ["id"], "by_id": ["id"]}},
        "beta": {"columns": {"id": ID}, "indexes": {"by_id": ["id"]}},
    }
    assert problems(tables) == [
        "tables.alpha.indexes.beta: index name 'beta' is also a table name; rename the index",
        "tables.beta.indexes.by_id: index name 'by_id' is also an index of table 'alpha'; index "
        "names "
        "must be unique across the schema",
    ]


def test_unit_of_work_members_cover_the_runtime_base_class() -> None:
    """A table's property on the generated UnitOfWork must never hide a member of the runtime's
    base class: the reserved names include every public one it has."""
    public = {name for name in dir(UnitOfWork) if not name.startswith("_")}
    assert public <= UNIT_OF_WORK_MEMBERS
