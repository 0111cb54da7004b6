"""``batchrepo pull`` from the command line, on real PostgreSQL databases: an exact round trip
exits 0 and writes a schema and a baseline that ``batchrepo check`` and the migration verifier
accept; what batchrepo cannot represent is left out with its reason and exits 1; nothing is
overwritten unasked.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from batchrepo_codegen import devdb
from batchrepo_codegen.cli import main
from batchrepo_codegen.migrate.command import missing_migration
from batchrepo_codegen.migrate.files import migration_files
from batchrepo_codegen.migrate.verify import current_ddl, verify_migrations
from batchrepo_codegen.pipeline import read_schema_text
from batchrepo_codegen.pull import PullRequest, pull
from batchrepo_codegen.pull.baseline import BASELINE_PREFIX
from batchrepo_codegen.pull.unmodelled import on_update_triggers, unmodelled_objects

#: Only what today's schema language says, names as batchrepo derives them, every foreign
#: key indexed: this pulls back exactly.
PLAIN = """
CREATE TYPE mood AS ENUM ('happy', 'sad');
COMMENT ON TYPE mood IS 'How a person feels.';
CREATE TABLE person (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    name varchar(50) NOT NULL,
    mood mood NOT NULL DEFAULT 'happy',
    tags text[],
    score numeric(5,2) DEFAULT 1.5,
    rank integer NOT NULL DEFAULT -3,
    motto text NOT NULL DEFAULT 'it''s fine',
    created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    parent_id uuid,
    CONSTRAINT person_pkey PRIMARY KEY (id),
    CONSTRAINT person_name_key UNIQUE (name),
    CONSTRAINT person_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES person (id)
        ON DELETE CASCADE
);
COMMENT ON TABLE person IS 'A person.';
COMMENT ON COLUMN person.name IS 'Display name.';
CREATE INDEX person_parent ON person (parent_id);
CREATE TABLE note (
    id bigint GENERATED ALWAYS AS IDENTITY,
    person_id uuid NOT NULL,
    body text NOT NULL,
    CONSTRAINT note_pkey PRIMARY KEY (id),
    CONSTRAINT note_person_id_fkey FOREIGN KEY (person_id) REFERENCES person (id)
);
CREATE INDEX note_person ON note (person_id);
"""

#: What batchrepo cannot represent, each for its own reason.
UNREPRESENTABLE = """
CREATE TABLE keyless (name text NOT NULL);
CREATE TABLE computed (id integer PRIMARY KEY, a integer NOT NULL,
    doubled integer GENERATED ALWAYS AS (a * 2) STORED);
CREATE TABLE badly_named (id integer PRIMARY KEY, _secret text);
CREATE TABLE child_of_computed (id integer PRIMARY KEY, parent integer REFERENCES computed (id));
CREATE TABLE fine (id integer PRIMARY KEY);
CREATE TABLE set_default_child (id integer PRIMARY KEY,
    parent integer DEFAULT 0 REFERENCES fine (id) ON DELETE SET DEFAULT);
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def plain_url(pg_admin_url: str) -> AsyncIterator[str]:
    async with _database(pg_admin_url, "pull_plain", PLAIN) as url:
        yield url


def test_an_exact_round_trip_exits_0(
    plain_url: str, pg_admin_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema, folder = tmp_path / "schema.yaml", tmp_path / "migrations"
    status = main(
        [
            "pull",
            "--dsn",
            plain_url,
            "--out",
            str(schema),
            "--migrations",
            str(folder),
            "--package",
            "people",
            "--scratch",
            pg_admin_url,
        ]
    )
    shown = capsys.readouterr().out
    assert status == 0, shown
    assert "round trip: 2 of 2 tables exact (100%); EXACT" in shown
    assert "DIFFERENCES" not in shown and "LEFT OUT" not in shown
    (baseline,) = migration_files(folder)
    assert baseline.name == "0001_baseline.sql"
    assert BASELINE_PREFIX in baseline.read_text(encoding="utf-8")
    # batchrepo check: the newest migration leads to the pulled schema
    assert missing_migration(str(schema), str(folder)) is None
    # the baseline, replayed on an empty database, gives the catalog of the schema's DDL
    assert asyncio.run(verify_migrations(pg_admin_url, [baseline], current_ddl(schema))) == []


async def test_the_schema_of_the_plain_database(plain_url: str, pg_admin_url: str) -> None:
    result = await pull(PullRequest(dsn=plain_url, package="people", scratch=pg_admin_url))
    tables = result.translation.document["tables"]
    person = tables["person"]["columns"]
    assert person["tags"] == {"type": "text[]", "nullable": True, "nullable_elements": True}
    assert person["score"] == {"type": "numeric(5,2)", "nullable": True, "default": 1.5}
    assert person["rank"] == {"type": "integer", "default": -3}
    assert person["motto"] == {"type": "text", "default": "it's fine"}
    assert person["created_at"]["server_default"] == "current_timestamp"
    assert tables["person"]["unique"] == {"name": ["name"]}
    assert tables["note"]["columns"]["id"] == {
        "type": "bigint",
        "identity": True,
        "primary_key": True,
    }
    assert result.translation.document["enums"] == {
        "mood": {"values": ["happy", "sad"], "description": "How a person feels."}
    }
    assert result.exact
    # the YAML text, not only the document, passes batchrepo's front end
    assert read_schema_text(result.text, "schema.yaml").tables.keys() == {"person", "note"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def unrepresentable_url(pg_admin_url: str) -> AsyncIterator[str]:
    async with _database(pg_admin_url, "pull_unrepresentable", UNREPRESENTABLE) as url:
        yield url


def test_what_cannot_be_represented_is_left_out_with_its_reason(
    unrepresentable_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = unrepresentable_url
    status = main(["pull", "--dsn", url, "--out", str(tmp_path / "s.yaml"), "--no-proof"])
    shown = capsys.readouterr().out
    assert status == 1
    assert "batchrepo pull: 1 of 6 tables written" in shown
    assert "  table keyless: the table has no primary key, which batchrepo needs" in shown
    assert "  table computed: column 'doubled' is a generated column" in shown
    assert (
        "  table child_of_computed: foreign key 'child_of_computed_parent_fkey' refers to table "
        "'computed', which is left out" in shown
    )
    assert (
        "  table set_default_child: foreign key 'set_default_child_parent_fkey' uses SET DEFAULT"
        in shown
    )
    assert "  table badly_named: batchrepo refuses tables.badly_named.columns._secret" in shown
    text = (tmp_path / "s.yaml").read_text(encoding="utf-8")
    assert "#   keyless: the table has no primary key, which batchrepo needs" in text
    assert "  fine:" in text


def test_nothing_is_overwritten_unasked(
    plain_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = tmp_path / "schema.yaml"
    schema.write_text("mine\n", encoding="utf-8")
    assert main(["pull", "--dsn", plain_url, "--out", str(schema), "--no-proof"]) == 2
    assert "schema.yaml exists; pass --force to replace it" in capsys.readouterr().err
    assert schema.read_text(encoding="utf-8") == "mine\n"
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_initial.sql").write_text("-- theirs\n", encoding="utf-8")
    status = main(
        [
            "pull",
            "--dsn",
            plain_url,
            "--out",
            str(schema),
            "--force",
            "--no-proof",
            "--migrations",
            str(folder),
        ]
    )
    assert status == 2
    assert "already holds 0001_initial.sql" in capsys.readouterr().err
    assert [p.name for p in migration_files(folder)] == ["0001_initial.sql"]
    assert schema.read_text(encoding="utf-8") == "mine\n"


class _database:
    """A new database on the test server holding ``sql``, dropped afterwards."""

    def __init__(self, admin_url: str, prefix: str, sql: str) -> None:
        self.admin_url, self.name, self.sql = admin_url, devdb.unique_database_name(prefix), sql

    async def __aenter__(self) -> str:
        url = await devdb.create_database(self.admin_url, self.name)
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(self.sql)
        finally:
            await conn.close()
        return url

    async def __aexit__(self, *exc: object) -> None:
        await devdb.drop_database(self.admin_url, self.name)


#: uuid-ossp is not on the embedded server: a stand-in of the same name makes PostgreSQL print
#: the default as it prints uuid-ossp's.
UUID_OSSP = """
CREATE FUNCTION uuid_generate_v4() RETURNS uuid LANGUAGE sql AS 'SELECT gen_random_uuid()';
CREATE TABLE token (
    id uuid NOT NULL DEFAULT uuid_generate_v4(),
    CONSTRAINT token_pkey PRIMARY KEY (id)
);
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def uuid_ossp_url(pg_admin_url: str) -> AsyncIterator[str]:
    async with _database(pg_admin_url, "pull_uuid_ossp", UUID_OSSP) as url:
        yield url


async def test_uuid_generate_v4_is_written_and_its_mapping_shown(
    uuid_ossp_url: str, pg_admin_url: str
) -> None:
    result = await pull(PullRequest(dsn=uuid_ossp_url, package="tokens", scratch=pg_admin_url))
    column = result.translation.document["tables"]["token"]["columns"]["id"]
    assert column["server_default"] == "uuid_generate_v4()"
    assert result.translation.notes == [
        "token.id: server_default uuid_generate_v4() is created as gen_random_uuid() (core "
        "since PostgreSQL 13, no uuid-ossp)"
    ]
    assert result.proof is not None
    assert list(result.proof.differences) == [
        "table token: column id: default 'uuid_generate_v4()' in live, 'gen_random_uuid()' in "
        "generated"
    ]
    assert [str(u) for u in result.unmodelled] == ["function uuid_generate_v4(): returns uuid"]


TRIGGERS = """
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
begin
  new.changed_at = CURRENT_TIMESTAMP;
  return new;
end $$;
CREATE FUNCTION touch_and_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.changed_at := now();
    NEW.edits := NEW.edits + 1;
    RETURN NEW;
END $$;
CREATE TABLE kept (id integer PRIMARY KEY, changed_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE on_insert_too (id integer PRIMARY KEY, changed_at timestamptz);
CREATE TABLE counting (id integer PRIMARY KEY, changed_at timestamptz, edits integer);
CREATE TRIGGER kept_touch BEFORE UPDATE ON kept FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TRIGGER on_insert_too_touch BEFORE INSERT OR UPDATE ON on_insert_too
    FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TRIGGER counting_touch BEFORE UPDATE ON counting
    FOR EACH ROW EXECUTE FUNCTION touch_and_count();
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def triggers_url(pg_admin_url: str) -> AsyncIterator[str]:
    async with _database(pg_admin_url, "pull_triggers", TRIGGERS) as url:
        yield url


async def test_only_pure_updated_at_triggers_become_on_update(triggers_url: str) -> None:
    conn = await asyncpg.connect(triggers_url)
    try:
        found = await on_update_triggers(conn, "public")
        assert [(t.table, t.column, t.expression, t.trigger) for t in found] == [
            ("kept", "changed_at", "current_timestamp", "kept_touch")
        ]
        listed = await unmodelled_objects(conn, "public", [], found)
    finally:
        await conn.close()
    # touch() still serves on_insert_too's trigger, so it is listed with it
    assert sorted((u.kind, u.name) for u in listed) == [
        ("function", "touch()"),
        ("function", "touch_and_count()"),
        ("trigger", "counting_touch"),
        ("trigger", "on_insert_too_touch"),
    ]


OTHER_SCHEMA = """
CREATE SCHEMA core;
CREATE TYPE core.level AS ENUM ('low', 'high');
CREATE TABLE core.setting (
    name varchar(40) NOT NULL,
    level core.level NOT NULL DEFAULT 'low',
    CONSTRAINT setting_pkey PRIMARY KEY (name)
);
CREATE TABLE public.elsewhere (id integer PRIMARY KEY);
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def other_schema_url(pg_admin_url: str) -> AsyncIterator[str]:
    async with _database(pg_admin_url, "pull_other_schema", OTHER_SCHEMA) as url:
        yield url


async def test_a_schema_other_than_public(other_schema_url: str, pg_admin_url: str) -> None:
    request = PullRequest(
        dsn=other_schema_url, schema_name="core", package="core", scratch=pg_admin_url
    )
    result = await pull(request)
    assert result.translation.document["tables"] == {
        "setting": {
            "columns": {
                "name": {"type": "varchar(40)", "primary_key": True},
                "level": {"type": "level", "default": "low"},
            }
        }
    }
    assert result.proof is not None and result.proof.differences == ()
    assert result.exact
