"""The schema a migration starts from: a file, or the schema file as a git revision holds it.

By default the base is the merge base of ``HEAD`` with ``main`` (``HEAD`` when there is no
``main``), so a branch's migration covers everything the branch changed in the schema. A base
in which the schema file does not exist yet gives the initial migration (``None``).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..pipeline import read_schema_text
from ..schema.document import SchemaDef

DEFAULT_BRANCH = "main"


class BaseError(Exception):
    """The base revision or file cannot be read."""


@dataclass(frozen=True, slots=True)
class Base:
    schema: SchemaDef | None
    """None: the schema does not exist at the base (the initial migration)."""
    label: str
    """What the base is, for the file header and messages: ``main@1a2b3c4d``, a file name."""


def read_base_file(path: str) -> Base:
    text = Path(path).read_text(encoding="utf-8")
    return Base(read_schema_text(text, path), path)


def read_base_revision(schema_path: str, revision: str | None) -> Base:
    """The schema file at ``revision`` (default: the merge base with main, or HEAD)."""
    folder = Path(schema_path).resolve().parent
    if revision is None:
        merge_base = _git(folder, "merge-base", "HEAD", DEFAULT_BRANCH)
        label = DEFAULT_BRANCH if merge_base is not None else "HEAD"
        revision = merge_base or "HEAD"
    else:
        label = revision
    commit = _git(folder, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    if commit is None:
        raise BaseError(
            f"cannot read the base {label!r}: not a commit of the git repository at {folder} "
            "(use --base REF, or --base-file PATH for a schema file)"
        )
    label = f"{label}@{commit[:12]}"
    shown = f"{revision}:./{Path(schema_path).name}"
    text = _git(folder, "show", shown)
    if text is None:
        # The schema file does not exist at the base: this is the first migration.
        return Base(None, label)
    return Base(read_schema_text(text, f"{label}:{Path(schema_path).name}"), label)


def _git(folder: Path, *args: str) -> str | None:
    """Output of a read-only git command, None when it fails."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=False,
        )
    except FileNotFoundError:
        raise BaseError("git is not installed; pass --base-file PATH instead") from None
    if done.returncode != 0:
        return None
    return done.stdout.strip() if args[0] != "show" else done.stdout
