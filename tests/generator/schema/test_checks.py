"""Semantic checks of keys: primary key, identity, unique keys, indexes and foreign keys, each
with its exact message and path (locations are tested in test_frontend and the bad-schema
golden cases, tests/golden/bad_schemas)."""

from __future__ import annotations

from typing import Any

from .problems import ID, column_problems, problems


def test_a_schema_using_every_feature_passes() -> None:
    enums = {"mood": {"values": ["happy", "sad", "legal entity"]}}
    tables = {
        "country": {
            "columns": {
                "code": {"type": "char(2)", "primary_key": True, "check": {"min_length": 2}},
                "name": {"type": "varchar(100)", "unique": True},
            }
        },
        "person": {
            "columns": {
                "id": {"type": "bigint", "primary_key": True, "identity": True},
                "country_code": {"type": "char(2)", "references": "country"},
                "country_name": {"type": "varchar(100)", "references": "country.name"},
                "parent_id": {"type": "bigint", "nullable": True, "references": "person"},
                "mood": {"type": "mood", "default": "sad"},
                "score": {"type": "numeric(5,2)", "default": "1.5", "check": {"min": 0}},
                "born": {"type": "date", "default": "2000-01-31"},
                "created": {"type": "timestamptz", "server_default": "now()"},
                "class": {"type": "text", "default": "x"},
                "tags": {"type": "text[]", "nullable": True},
            },
            "unique": {"by_mood_score": ["mood", "score"]},
            "indexes": {"person_by_born": ["born"], "person_by_tags": ["tags"]},
            "foreign_keys": {
                "parent_again": {
                    "columns": ["parent_id"],
                    "references": {"table": "person", "columns": ["id"]},
                    "on_delete": "set_null",
                }
            },
        },
    }
    assert problems(tables, enums) == []


def test_primary_key_rules() -> None:
    tables = {
        "none": {"columns": {"id": {"type": "uuid"}}},
        "flags": {"columns": {"a": ID, "b": ID}},
        "listed": {
            "primary_key": ["a", "a", "b", "doc", "missing"],
            "columns": {
                "a": {"type": "uuid", "nullable": True},
                "b": {"type": "integer"},
                "doc": {"type": "jsonb"},
            },
        },
    }
    assert problems(tables) == [
        "tables.none: table 'none' would get the entity class name 'None', a Python keyword; "
        "rename it",
        "tables.none: table 'none' has no primary key; add primary_key: true to a column or "
        "primary_key: [columns] to the table",
        "tables.flags.columns.b.primary_key: columns 'a', 'b' all say primary_key: true; a "
        "table has one primary key: for a composite key write primary_key: [a, b] on the table",
        "tables.listed.columns.a.nullable: primary key column 'a' cannot be nullable; remove "
        "nullable: true",
        "tables.listed.primary_key[1]: column 'a' appears twice in the primary key",
        "tables.listed.primary_key[3]: primary key column 'doc' is jsonb; arrays and jsonb "
        "cannot be key columns",
        "tables.listed.primary_key[4]: primary key column 'missing' is not a column of table "
        "'listed'",
    ]


def test_identity_rules() -> None:
    tables = {
        "thing": {
            "columns": {
                "id": {"type": "integer", "primary_key": True, "identity": True, "default": 1},
                "n": {"type": "bigint", "identity": True},
                "ns": {"type": "bigint[]", "nullable": True, "identity": True},
            }
        }
    }
    assert problems(tables) == [
        "tables.thing.columns.id.identity: an identity column takes no default or server_default: "
        "the database draws its values",
        "tables.thing.columns.n.identity: identity applies to the primary key column only",
        "tables.thing.columns.ns.identity: identity needs a smallint, integer or bigint column, "
        "not "
        "bigint[]",
    ]


def test_unknown_types_are_reported_at_the_type() -> None:
    assert column_problems({"type": "varchar(0)"}) == [
        "tables.item.columns.c.type: varchar(0): length must be between 1 and 10485760; use text "
        "for longer values"
    ]


PARENTS: dict[str, Any] = {
    "parent": {
        "primary_key": ["a", "b"],
        "columns": {
            "a": {"type": "integer"},
            "b": {"type": "varchar(10)"},
            "label": {"type": "text", "unique": True},
            "note": {"type": "text"},
        },
    },
    "keyless": {"columns": {"id": {"type": "uuid"}}},
}


def fk_problems(foreign_keys: dict[str, Any], columns: dict[str, Any]) -> list[str]:
    tables = {**PARENTS, "child": {"columns": {"id": ID, **columns}, "foreign_keys": foreign_keys}}
    found = problems(tables)
    return [line for line in found if line.startswith("tables.child")]


def test_foreign_keys_to_a_composite_key() -> None:
    columns = {"a": {"type": "integer"}, "b": {"type": "varchar(20)"}}
    fks = {
        "ok_arity": {"columns": ["a", "b"], "references": {"table": "parent"}},
        "short": {"columns": ["a"], "references": {"table": "parent"}},
        "twice": {"columns": ["a", "a"], "references": {"table": "parent"}},
        "reordered": {
            "columns": ["b", "a"],
            "references": {"table": "parent", "columns": ["b", "a"]},
        },
    }
    assert fk_problems(fks, columns) == [
        "tables.child.foreign_keys.ok_arity.columns[1]: column 'b' is varchar(20) but the "
        "referenced column parent.b is varchar(10); use the same type on both sides",
        "tables.child.foreign_keys.short.columns: foreign key has 1 column (a) but references "
        "2 columns (a, b) of table 'parent'; give as many on both sides",
        "tables.child.foreign_keys.twice.columns[1]: column 'a' appears twice in the foreign key",
        "tables.child.foreign_keys.reordered.columns[0]: column 'b' is varchar(20) but the "
        "referenced column parent.b is varchar(10); use the same type on both sides",
    ]


def test_foreign_keys_must_reference_a_key() -> None:
    columns = {
        "label": {"type": "text", "references": "parent.label"},
        "note": {"type": "text", "references": "parent.note"},
        "other": {"type": "text", "references": "parent.nope"},
        "k": {"type": "uuid", "references": "keyless"},
        "tags": {"type": "text[]"},
    }
    fks = {
        "to_labels": {
            "columns": ["tags"],
            "references": {"table": "parent", "columns": ["label", "label"]},
        },
        "loose": {
            "columns": ["missing"],
            "references": {"table": "parnt"},
            "on_delete": "set_null",
        },
    }
    assert fk_problems(fks, columns) == [
        "tables.child.columns.note.references: the referenced columns (note) are neither the "
        "primary key nor a unique key of table 'parent'; PostgreSQL requires one: reference its "
        "primary key or declare a unique key on them",
        "tables.child.columns.other.references: table 'parent' has no column 'nope'; did you "
        "mean 'note'?",
        "tables.child.foreign_keys.to_labels.columns[0]: foreign key column 'tags' is text[]; "
        "arrays and jsonb cannot be key columns",
        "tables.child.foreign_keys.to_labels.references.columns[1]: column 'label' appears "
        "twice in the referenced columns",
        "tables.child.foreign_keys.loose.columns[0]: foreign key column 'missing' is not a "
        "column of table 'child'",
        "tables.child.foreign_keys.loose.references.table: foreign key to unknown table "
        "'parnt'; did you mean 'parent'?",
    ]


def test_set_null_needs_nullable_columns_and_enum_types_must_match() -> None:
    enums = {"mood": {"values": ["a"]}, "tone": {"values": ["a"]}}
    tables = {
        "parent": {"columns": {"m": {"type": "mood", "primary_key": True}}},
        "child": {
            "columns": {
                "id": ID,
                "m": {"type": "tone", "references": "parent", "on_delete": "set_null"},
            }
        },
    }
    assert problems(tables, enums) == [
        "tables.child.columns.m.on_delete: on_delete: set_null needs nullable columns; 'm' is not "
        "nullable",
        "tables.child.columns.m.references: column 'm' is \"tone\" but the referenced column "
        "parent.m is "
        '"mood"; use the same type on both sides',
    ]


def test_an_identity_key_needs_another_column_to_insert() -> None:
    tables = {
        "counter": {"columns": {"id": {"type": "bigint", "primary_key": True, "identity": True}}}
    }
    assert problems(tables) == [
        "tables.counter.columns.id.identity: the identity column is the table's only column, so "
        "an insert would send nothing; add a column or remove identity"
    ]


def test_derived_sql_names_must_not_collide() -> None:
    tables = {
        "order_line": {"columns": {"id": ID, "sku": {"type": "text"}}, "unique": {"sku": ["sku"]}},
        "order": {"columns": {"id": ID, "line_sku": {"type": "text", "unique": True}}},
        "order_pkey": {"columns": {"id": ID}},
    }
    assert problems(tables) == [
        "tables.order: the primary key of table 'order' gets the SQL name 'order_pkey', which "
        "table 'order_pkey' already has; PostgreSQL needs them distinct, so rename one of them",
        "tables.order.columns.line_sku.unique: unique key 'line_sku' of table 'order' gets the "
        "SQL name 'order_line_sku_key', which unique key 'sku' of table 'order_line' already "
        "has; PostgreSQL needs them distinct, so rename one of them",
    ]


def test_audit_names_are_reserved_only_when_a_table_is_audited() -> None:
    tables: dict[str, Any] = {
        "audit_log": {"columns": {"id": ID, "version": {"type": "integer"}}},
        "person_history": {"columns": {"id": ID}},
        "person": {"columns": {"id": ID}},
    }
    assert problems(tables, {"audit_operation": {"values": ["a"]}}) == []
    tables["person"]["audit"] = True
    assert problems(tables) == [
        "tables.audit_log: table name 'audit_log' is taken by the audit log table, which the "
        "schema gets because it audits tables; rename the table",
        "tables.person_history: table name 'person_history' is taken by the history table of "
        "'person', which the schema gets because it audits tables; rename the table",
    ]


def test_an_audited_table_may_be_renamed() -> None:
    """``renamed_from`` (for migrations) is no concern of the audit checks."""
    tables = {
        "person": {
            "audit": True,
            "renamed_from": "people",
            "columns": {"id": ID, "full_name": {"type": "text", "renamed_from": "name"}},
        }
    }
    assert problems(tables) == []
