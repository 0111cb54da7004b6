"""``batchrepo diff``: the public API changes of the generated package since a base git ref.

The generated modules at the base are read from git (``git ls-tree`` and ``git cat-file`` at
the base commit), those of the working tree from disk; both are parsed with libcst
(:mod:`.apidiff_extract`), compared (:mod:`.apidiff_compare`) and printed as markdown for a
pull-request comment or as JSON (:mod:`.apidiff_report`).

Exit status: 0 when nothing breaking changed, 1 when something did, 2 for a usage error (not a
git repository, an unknown ref, an output directory with no Python files on either side).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from .compare import diff_apis
from .extract import SourceError, api_of_sources
from .formats import render_json, render_markdown
from .surface import Api, ApiDiff, Change

__all__ = [
    "Api",
    "ApiDiff",
    "Change",
    "DiffInputError",
    "api_of_sources",
    "diff_apis",
    "register",
    "run_diff",
]

EXIT_BREAKING = 1
EXIT_USAGE = 2
DEFAULT_OUT = "generated"
MAIN_BRANCHES = ("main", "origin/main")


class DiffInputError(Exception):
    """What to compare cannot be read: the message names the ref, the path and the cause."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``diff`` to the ``batchrepo`` command line (``args.run`` is :func:`run_diff`)."""
    helptext = "print the public API changes of the generated package since a git ref"
    sub = subparsers.add_parser("diff", help=helptext, description=helptext)
    sub.add_argument(
        "--base",
        default=None,
        help="git ref to compare with (default: the merge base with main, else HEAD)",
    )
    sub.add_argument("--out", default=DEFAULT_OUT, help="output directory (%(default)s)")
    sub.add_argument(
        "--format", choices=("markdown", "json"), default="markdown", help="(%(default)s)"
    )
    sub.set_defaults(run=run_diff)


def run_diff(args: argparse.Namespace) -> int:
    try:
        base_label, diff = diff_against(args.base, args.out)
    except DiffInputError as error:
        print(f"batchrepo diff: {error}", file=sys.stderr)
        return EXIT_USAGE
    render = render_json if args.format == "json" else render_markdown
    sys.stdout.write(render(diff, base=base_label, out=Path(args.out).as_posix()))
    return EXIT_BREAKING if diff.breaking else 0


def diff_against(base: str | None, out: str | os.PathLike[str]) -> tuple[str, ApiDiff]:
    """(how the base was resolved, the changes from the base to the working tree)."""
    top = Path(_git("rev-parse", "--show-toplevel").strip())
    ref, label = _resolve_base(base)
    old_sources = sources_at(ref, _in_repository(Path(out), top), top)
    new_sources = working_sources(Path(out))
    if not old_sources and not new_sources:
        raise DiffInputError(
            f"no Python files under {Path(out).as_posix()} at {label} or in the working tree"
        )
    try:
        old = api_of_sources(old_sources)
    except SourceError as error:
        raise DiffInputError(f"at {label}: {Path(out).as_posix()}/{error}") from error
    try:
        new = api_of_sources(new_sources)
    except SourceError as error:
        raise DiffInputError(f"in the working tree: {Path(out).as_posix()}/{error}") from error
    return label, diff_apis(old, new)


def sources_at(commit: str, out: str, top: Path) -> dict[str, str]:
    """``{path under out: text}`` of the ``*.py`` files under ``out`` (relative to the top of
    the repository) at ``commit``; empty when ``out`` did not exist there."""
    listing = _git("ls-tree", "-r", "-z", "--name-only", commit, "--", out, cwd=top)
    prefix = "" if out == "." else out.rstrip("/") + "/"
    sources: dict[str, str] = {}
    for path in sorted(filter(None, listing.split("\0"))):
        if path.endswith(".py"):
            text = _git("cat-file", "blob", f"{commit}:{path}", cwd=top)
            sources[path.removeprefix(prefix)] = text
    return sources


def working_sources(out: Path) -> dict[str, str]:
    if not out.is_dir():
        return {}
    sources: dict[str, str] = {}
    for path in sorted(out.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        try:
            sources[path.relative_to(out).as_posix()] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise DiffInputError(f"{path.as_posix()}: not UTF-8: {error}") from error
    return sources


def _resolve_base(base: str | None) -> tuple[str, str]:
    """(commit id, label for the report) of the base ref, or of the default base."""
    if base is not None:
        commit = _commit_of(base)
        if commit is None:
            raise DiffInputError(f"--base {base!r} is not a commit in this repository")
        return commit, f"{base} ({commit[:12]})"
    for branch in MAIN_BRANCHES:
        if _commit_of(branch) is not None:
            try:
                commit = _git("merge-base", "HEAD", branch).strip()
            except DiffInputError:
                continue  # unrelated histories, or no HEAD yet: try the next candidate
            return commit, f"the merge base with {branch} ({commit[:12]})"
    commit = _commit_of("HEAD")
    if commit is None:
        raise DiffInputError("no commit to compare with: HEAD does not exist yet; pass --base")
    return commit, f"HEAD ({commit[:12]})"


def _commit_of(ref: str) -> str | None:
    try:
        return _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except DiffInputError:
        return None


def _in_repository(out: Path, top: Path) -> str:
    try:
        relative = out.resolve().relative_to(top.resolve())
    except ValueError:
        raise DiffInputError(
            f"--out {out.as_posix()} is outside the git repository {top}"
        ) from None
    return relative.as_posix()


def _git(*args: str, cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise DiffInputError("git is not installed or not on PATH") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
        raise DiffInputError(f"git {' '.join(args)}: {message}")
    try:
        return done.stdout.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DiffInputError(f"git {' '.join(args)}: output is not UTF-8: {error}") from error
