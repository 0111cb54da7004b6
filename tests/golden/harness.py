"""The golden harness: one way to find, compare and regenerate golden cases of every kind.

A case is a folder ``tests/golden/<kind>/<case>/`` holding its inputs (a file named
``Kind.marker`` at least) and its expectations (the files and folders named by
``Kind.outputs``). A :class:`Kind` knows how to produce what the expectations should hold now;
the harness compares that with what is committed (changed, missing and extra files) and can write
it. Nothing here is specific to one kind: the kinds are in :mod:`tests.golden.kinds`.
"""

from __future__ import annotations

import difflib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

from batchrepo_codegen.output.writer import TreeDiff, compare_files, read_text

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"

#: What a stale expectation tells its reader to run.
FIX = "make golden"
COMMAND = "python -m tests.golden"

#: Diff lines shown per stale case (the rest is counted, not shown).
SHOWN_DIFF_LINES = 40


class GoldenError(Exception):
    """A case cannot be produced at all (say, a bad schema that is now accepted)."""


class Kind(ABC):
    """One kind of golden case."""

    #: The folder under ``tests/golden`` holding this kind's cases.
    name: str
    #: The input file whose presence makes a folder a case.
    marker: str
    #: Files or folders of a case that are expectations (everything else is input).
    outputs: tuple[str, ...]

    @property
    def root(self) -> Path:
        return GOLDEN / self.name

    def cases(self) -> list[str]:
        """Every case of this kind, sorted."""
        return sorted(p.parent.name for p in self.root.glob(f"*/{self.marker}"))

    def folder(self, case: str) -> Path:
        return self.root / case

    def relative(self, case: str) -> str:
        """The case folder as a POSIX path from the repository root: what headers and messages
        name, the same on every machine and whatever the current directory."""
        return self.folder(case).relative_to(ROOT).as_posix()

    @abstractmethod
    def produce(self, case: str) -> dict[str, str]:
        """What the expectations of ``case`` hold now, by POSIX path relative to the case folder.
        Raises :class:`GoldenError` when the case cannot be produced."""

    def committed(self, case: str) -> dict[str, Path]:
        """The expectation files of ``case`` on disk, by POSIX path relative to the case folder
        (``__pycache__`` left out: importing a generated package writes one)."""
        folder = self.folder(case)
        found: dict[str, Path] = {}
        for output in self.outputs:
            path = folder / output
            paths = sorted(path.rglob("*")) if path.is_dir() else [path]
            for each in paths:
                relative = each.relative_to(folder)
                if each.is_file() and "__pycache__" not in relative.parts:
                    found[relative.as_posix()] = each
        return found


@dataclass(frozen=True)
class Drift:
    """How the committed expectations of one case differ from what is produced now."""

    kind: str
    case: str
    tree: TreeDiff
    diff: tuple[str, ...] = field(default=(), repr=False)

    @property
    def clean(self) -> bool:
        return self.tree.clean

    @property
    def name(self) -> str:
        return f"{self.kind}/{self.case}"

    def files(self) -> list[str]:
        return self.tree.lines()


def drift(kind: Kind, case: str, produced: dict[str, str] | None = None) -> Drift:
    """Compare the committed expectations of ``case`` with what is produced now (``produced``,
    when the caller has it already)."""
    if produced is None:
        produced = kind.produce(case)
    on_disk = kind.committed(case)
    base = kind.relative(case)
    tree = compare_files(on_disk, produced)
    diff: list[str] = []
    for relative in (*tree.changed, *tree.missing, *tree.extra):
        old = read_text(on_disk[relative]) if relative in on_disk else None
        new = produced.get(relative)
        diff += difflib.unified_diff(
            (old or "").splitlines(),
            (new or "").splitlines(),
            f"{base}/{relative} (committed)" if relative in on_disk else "/dev/null",
            f"{base}/{relative} (produced now)" if new is not None else "/dev/null",
            lineterm="",
            n=1,
        )
    return Drift(kind.name, case, tree, tuple(diff))


def regenerate(kind: Kind, case: str) -> Drift:
    """Make the expectations of ``case`` what is produced now; returns what was out of date."""
    produced = kind.produce(case)
    found = drift(kind, case, produced)
    if found.clean:
        return found
    folder = kind.folder(case)
    for relative in (*found.tree.changed, *found.tree.missing):
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(produced[relative].encode("utf-8"))
    for relative in found.tree.extra:
        (folder / relative).unlink()
    for output in kind.outputs:  # folders the extra files leave empty go too
        path = folder / output
        if path.is_dir():
            for directory in sorted(path.rglob("*"), reverse=True):
                if directory.is_dir() and not any(directory.iterdir()):
                    directory.rmdir()
    return found


def stale_message(found: Drift) -> str:
    """What a stale case says: which files, the command that fixes it, and a short diff."""
    shown = list(found.diff[:SHOWN_DIFF_LINES])
    if len(found.diff) > SHOWN_DIFF_LINES:
        shown.append(f"... {len(found.diff) - SHOWN_DIFF_LINES} more diff lines")
    return "\n".join(
        [
            f"golden case {found.name} is stale: its expectations differ from what the code "
            "produces now.",
            *(f"  {line}" for line in found.files()),
            f"If the change is intended, run `{FIX}` "
            f"(or: {COMMAND} regenerate {found.kind} {found.case}) and review the diff.",
            *shown,
        ]
    )


def assert_current(kind: Kind, case: str) -> None:
    """The test of every golden case: its committed expectations are what is produced now."""
    found = drift(kind, case)
    assert found.clean, stale_message(found)
