"""The CI workflow, the pre-commit files and the schema-change walkthrough stay runnable: each
parses as YAML, and every ``make`` target and ``batchrepo`` command they name exists, with
arguments the real command line accepts. A renamed target or option fails here, not in a
user's CI."""

from __future__ import annotations

import argparse
import re
import shlex
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from batchrepo_codegen import cli

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "batchrepo-schema.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
CONFIG = ROOT / ".pre-commit-config.yaml"
WALKTHROUGH = ROOT / "docs" / "schema-changes.md"
HOOK_IDS = ["batchrepo-generate-check", "batchrepo-migration-check", "batchrepo-api-diff"]

# A command starts a line or follows a shell separator or a path (.venv/bin/batchrepo).
_COMMAND = re.compile(r"(?:^|[\s;&|(/`])(make|batchrepo)\s+([^\n;&|>#`]*)", re.MULTILINE)
_TARGET = re.compile(r"^([A-Za-z0-9_.-]+(?:\s+[A-Za-z0-9_.-]+)*)\s*:(?!=)", re.MULTILINE)


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return {name for match in _TARGET.finditer(makefile) for name in match.group(1).split()}


def commands_in(text: str) -> Iterator[tuple[str, list[str]]]:
    """(``make`` or ``batchrepo``, its words) for every command named in ``text``."""
    for match in _COMMAND.finditer(text):
        yield match.group(1), shlex.split(match.group(2))


def unknown_commands(text: str, targets: set[str], parser: argparse.ArgumentParser) -> list[str]:
    """The commands of ``text`` that ``make`` or the ``batchrepo`` parser would reject."""
    unknown: list[str] = []
    for program, words in commands_in(text):
        if program == "make":
            missing = [w for w in words if "=" not in w and w not in targets]
            unknown += [f"make {target}: no such Makefile target" for target in missing]
            continue
        try:
            parser.parse_args(words)
        except SystemExit:
            unknown.append(f"batchrepo {shlex.join(words)}: rejected by the command line")
    return unknown


def workflow_commands() -> str:
    steps = load(WORKFLOW)["jobs"]["schema"]["steps"]
    return "\n".join(step["run"] for step in steps if "run" in step)


def hook_commands(path: Path) -> str:
    document = load(path)
    hooks = document if isinstance(document, list) else document["repos"][0]["hooks"]
    return "\n".join(shlex.join([*shlex.split(h["entry"]), *h.get("args", [])]) for h in hooks)


def walkthrough_commands() -> str:
    """Commands in code blocks and inline code of the walkthrough (not its prose)."""
    text = WALKTHROUGH.read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:sh)\n(.*?)```", text, flags=re.DOTALL)
    spans = re.findall(r"`((?:make|batchrepo) [^`]+)`", text.replace("\n", " "))
    return "\n".join(blocks + spans)


@pytest.mark.parametrize(
    "source",
    [
        workflow_commands,
        lambda: hook_commands(HOOKS),
        lambda: hook_commands(CONFIG),
        walkthrough_commands,
    ],
    ids=["workflow", "pre-commit-hooks", "pre-commit-config", "walkthrough"],
)
def test_every_command_exists(source: Any) -> None:
    text = source()
    assert list(commands_in(text)), "no command found: the extraction itself broke"
    assert unknown_commands(text, make_targets(), cli._parser()) == []


def test_the_check_catches_a_renamed_target_or_option() -> None:
    parser = cli._parser()
    text = "make generate\nmake no-such-target\n.venv/bin/batchrepo check --no-such-option\n"
    assert unknown_commands(text, make_targets(), parser) == [
        "make no-such-target: no such Makefile target",
        "batchrepo check --no-such-option: rejected by the command line",
    ]


def test_workflow_runs_on_pull_requests_with_full_history() -> None:
    workflow = load(WORKFLOW)
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "labeled" in triggers["pull_request"]["types"]  # the label re-runs the gate
    steps = workflow["jobs"]["schema"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    assert any(s.get("uses", "").startswith("actions/setup-python@") for s in steps)
    assert workflow["permissions"]["pull-requests"] == "write"


def test_workflow_posts_the_diff_and_gates_breaking_changes_on_the_label() -> None:
    steps = load(WORKFLOW)["jobs"]["schema"]["steps"]
    step_ids = {step["id"] for step in steps if "id" in step}
    for step in steps:  # every `steps.<id>.outputs` reference names a step of this job
        for referenced in re.findall(r"steps\.([\w-]+)\.", str(step.get("if", ""))):
            assert referenced in step_ids
    diff_step = next(s for s in steps if "batchrepo diff" in s.get("run", ""))
    assert "--base" in diff_step["run"] and "> api-diff.md" in diff_step["run"]
    assert "${{" not in diff_step["run"]  # expressions go through env, never into the script
    comment = next(s for s in steps if "sticky-pull-request-comment" in s.get("uses", ""))
    assert comment["with"]["path"] == "api-diff.md"
    gate = next(s for s in steps if "breaking-change" in str(s.get("if", "")))
    assert "exit 1" in gate["run"]


def test_hooks_offered_and_used_are_the_same_three() -> None:
    offered = load(HOOKS)
    used = load(CONFIG)["repos"]
    assert [hook["id"] for hook in offered] == HOOK_IDS
    assert [(repo["repo"], [hook["id"] for hook in repo["hooks"]]) for repo in used] == [
        ("local", HOOK_IDS)
    ]
    for hook in offered + used[0]["hooks"]:
        assert hook["pass_filenames"] is False  # each command checks the whole project
        assert {"id", "name", "entry", "language"} <= hook.keys()


def test_offered_hooks_install_the_codegen_extra() -> None:
    """pre-commit installs this repository without extras: the hooks list them instead."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    codegen = pyproject["project"]["optional-dependencies"]["codegen"]
    for hook in load(HOOKS):
        assert hook["language"] == "python"
        assert hook["additional_dependencies"] == codegen
