"""``batchrepo migrate`` and the migration check of ``batchrepo check``, in a temporary git
repository: the base is read from git (merge base with main, HEAD without main, a given ref, or a
file), files are numbered, "no changes" writes nothing, destructive steps need the flag, and
``check`` fails naming the fix until the migration is written."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from batchrepo_codegen import cli
from batchrepo_codegen.migrate.planner import recorded_fingerprint, schema_fingerprint
from batchrepo_codegen.schema.parse import parse_schema

SCHEMA = """\
version: 1
package: shop
tables:
  item:
    columns:
      id: {type: uuid, primary_key: true, server_default: gen_random_uuid()}
      name: {type: varchar(40)}
      note: {type: text, nullable: true}
"""
WITH_PRICE = SCHEMA + "      price: {type: 'numeric(10,2)', default: 0}\n"
WITHOUT_NOTE = SCHEMA.replace("      note: {type: text, nullable: true}\n", "")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository on branch main with one commit (a README, no schema yet), as the
    current directory, with schema.yaml in the working tree."""
    git(tmp_path, "init", "--quiet", "--initial-branch", "main")
    (tmp_path / "README").write_text("shop\n", encoding="utf-8")
    git(tmp_path, "add", "README")
    git(tmp_path, "commit", "--quiet", "-m", "start")
    (tmp_path / "schema.yaml").write_text(SCHEMA, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", message)


def migrations(repo: Path) -> list[str]:
    folder = repo / "migrations"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_initial_then_a_change_then_no_changes(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["migrate"]) == 0
    assert capsys.readouterr().out == "migrations/0001_initial.sql\n"
    initial = (repo / "migrations/0001_initial.sql").read_text(encoding="utf-8")
    assert 'CREATE TABLE "item" (' in initial
    assert recorded_fingerprint(initial) == schema_fingerprint(parse_schema(SCHEMA, "s"))
    commit_all(repo, "schema and its first migration")

    git(repo, "switch", "--quiet", "-c", "feature")
    (repo / "schema.yaml").write_text(WITH_PRICE, encoding="utf-8")
    assert cli.main(["migrate", "--name", "item_price"]) == 0
    assert capsys.readouterr().out == "migrations/0002_item_price.sql\n"
    second = (repo / "migrations/0002_item_price.sql").read_text(encoding="utf-8")
    assert "(base: main@" in second
    assert 'ALTER TABLE "item" ADD COLUMN "price" numeric(10,2) NOT NULL DEFAULT 0;' in second

    assert cli.main(["migrate"]) == 0
    assert "no changes: migrations/0002_item_price.sql already leads" in capsys.readouterr().out
    assert migrations(repo) == ["0001_initial.sql", "0002_item_price.sql"]


def test_check_fails_until_the_migration_is_written(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["migrate"]) == 0
    commit_all(repo, "schema")
    (repo / "schema.yaml").write_text(WITH_PRICE, encoding="utf-8")
    assert cli.main(["generate"]) == 0
    capsys.readouterr()
    assert cli.main(["check"]) == cli.EXIT_STALE
    err = capsys.readouterr().err
    assert "migration missing: the newest migration migrations/0001_initial.sql" in err
    assert "Fix: make migration (or: batchrepo migrate --schema schema.yaml)" in err
    assert cli.main(["migrate"]) == 0
    assert cli.main(["check"]) == 0


def test_check_ignores_a_project_without_migrations(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["generate"]) == 0
    assert cli.main(["check"]) == 0
    assert "migration" not in capsys.readouterr().err


def test_destructive_steps_need_the_flag_and_are_marked(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["migrate"]) == 0
    commit_all(repo, "schema")
    (repo / "schema.yaml").write_text(WITHOUT_NOTE, encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["migrate"]) == cli.EXIT_INPUT
    err = capsys.readouterr().err
    assert "destructive: drop column item.note: its data is lost" in err
    assert "--allow-destructive" in err
    assert migrations(repo) == ["0001_initial.sql"]
    assert cli.main(["migrate", "--allow-destructive"]) == 0
    text = (repo / "migrations/0002_schema_change.sql").read_text(encoding="utf-8")
    assert (
        '-- DESTRUCTIVE: drop column item.note: its data is lost\nALTER TABLE "item" DROP' in text
    )


def test_without_main_the_base_is_head(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(repo, "branch", "--move", "main", "trunk")
    assert cli.main(["migrate", "--dir", "db/migrations"]) == 0
    commit_all(repo, "schema and its first migration")
    (repo / "schema.yaml").write_text(WITH_PRICE, encoding="utf-8")
    assert cli.main(["migrate", "--dir", "db/migrations"]) == 0
    text = (repo / "db/migrations/0002_schema_change.sql").read_text(encoding="utf-8")
    assert "(base: HEAD@" in text and "ADD COLUMN" in text and "CREATE TABLE" not in text


def test_a_branch_that_migrated_already_is_not_migrated_twice(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["migrate"]) == 0
    commit_all(repo, "schema and its first migration")
    git(repo, "switch", "--quiet", "-c", "feature")
    (repo / "schema.yaml").write_text(WITH_PRICE, encoding="utf-8")
    assert cli.main(["migrate"]) == 0
    commit_all(repo, "price")
    (repo / "schema.yaml").write_text(WITH_PRICE.replace("varchar(40)", "varchar(60)"))
    capsys.readouterr()
    # From the merge base, the price column would be added a second time.
    assert cli.main(["migrate"]) == cli.EXIT_INPUT
    err = capsys.readouterr().err
    assert "the newest migration migrations/0002_schema_change.sql does not lead" in err
    assert cli.main(["migrate", "--base", "HEAD"]) == 0
    text = (repo / "migrations/0003_schema_change.sql").read_text(encoding="utf-8")
    assert "varchar(60)" in text and "price" not in text.split("sha256=")[1]


def test_a_moved_column_records_the_schema_without_statements(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["migrate"]) == 0
    commit_all(repo, "schema and its first migration")
    name, note = "      name: {type: varchar(40)}\n", "      note: {type: text, nullable: true}\n"
    (repo / "schema.yaml").write_text(SCHEMA.replace(name + note, note + name))
    assert cli.main(["migrate"]) == 0
    text = (repo / "migrations/0002_schema_change.sql").read_text(encoding="utf-8")
    assert "-- No statements: the DDL changed, the database does not." in text
    assert "ALTER" not in text
    assert cli.main(["generate"]) == 0
    assert cli.main(["check"]) == 0


def test_base_ref_and_base_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "old.yaml").write_text(SCHEMA, encoding="utf-8")
    (repo / "schema.yaml").write_text(WITH_PRICE, encoding="utf-8")
    assert cli.main(["migrate", "--base-file", "old.yaml"]) == 0
    text = (repo / "migrations/0001_schema_change.sql").read_text(encoding="utf-8")
    assert "(base: old.yaml)" in text and "ADD COLUMN" in text
    capsys.readouterr()
    assert cli.main(["migrate", "--base", "no-such-ref", "--dir", "other"]) == cli.EXIT_INPUT
    assert "cannot read the base 'no-such-ref'" in capsys.readouterr().err
    assert not (repo / "other").exists()


def test_a_bad_name_or_schema_writes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["migrate", "--name", "Add Price!"]) == cli.EXIT_INPUT
    assert "migration name 'Add Price!'" in capsys.readouterr().err
    (repo / "schema.yaml").write_text(SCHEMA.replace("type: uuid", "type: uuuid"), encoding="utf-8")
    assert cli.main(["migrate"]) == cli.EXIT_INPUT
    assert "'uuuid'" in capsys.readouterr().err
    assert migrations(repo) == []


def test_initial_starts_from_an_empty_database_whatever_git_holds(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_all(repo, "schema committed before any migration")
    assert cli.main(["migrate", "--initial"]) == 0
    text = (repo / "migrations/0001_initial.sql").read_text(encoding="utf-8")
    assert "(base: an empty database)" in text and 'CREATE TABLE "item"' in text
    (repo / "schema.yaml").write_text(WITH_PRICE, encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["migrate", "--initial"]) == cli.EXIT_INPUT
    assert "--initial: migrations already holds migrations" in capsys.readouterr().err
