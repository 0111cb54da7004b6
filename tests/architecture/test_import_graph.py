"""The house's rooms hold: no import circles, the generator's stages import only earlier
stages, and no folder of hand-written code grows past about a dozen modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.architecture.imports import ROOT, circles, graph

#: The generator's stages in pipeline order; a module may import its own stage and earlier ones.
STAGES = (
    "devdb",
    "devcluster",  # a Citus cluster for tests (after devdb, whose names it reuses)
    "schema",
    "model",
    "emit",
    "output",
    "pipeline",
    "migrate",
    "apidiff",
    "pull",  # batchrepo pull: reads a database, writes a schema, proves it with migrate's reader
    "cli",
    "",  # batchrepo_codegen/__init__.py: generate(), the one entry point
)

#: Folders of hand-written Python, and the most modules (``__init__.py`` aside) each may hold.
MOST_MODULES = 12
HAND_WRITTEN = ("batchrepo", "generator", "templates", "tests", "benchmarks")


def _stage(module: str) -> int:
    part = module.removeprefix("batchrepo_codegen").removeprefix(".").split(".")[0]
    return STAGES.index(part)


def test_no_module_imports_itself_back_through_others() -> None:
    assert circles(graph()) == []


def test_circles_are_found_when_there_are_some() -> None:
    # The finder itself must not be blind: a -> b -> c -> a is one circle, d stands alone.
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert circles(edges) == [["a", "b", "c"]]


def test_generator_stages_import_only_earlier_stages() -> None:
    upward = [
        f"{module} -> {target}"
        for module, targets in sorted(graph().items())
        if module.startswith("batchrepo_codegen")
        for target in sorted(targets)
        if target.startswith("batchrepo_codegen") and _stage(target) > _stage(module)
    ]
    assert upward == []


def test_the_runtime_does_not_import_the_generator() -> None:
    reaching = [
        f"{module} -> {target}"
        for module, targets in sorted(graph().items())
        if module.startswith("batchrepo.") or module == "batchrepo"
        for target in sorted(targets)
        if target.startswith("batchrepo_codegen")
    ]
    assert reaching == []


def _folders() -> list[Path]:
    folders = []
    for top in HAND_WRITTEN:
        for folder in sorted({p.parent for p in (ROOT / top).rglob("*.py")}):
            relative = folder.relative_to(ROOT).parts
            if relative[:2] == ("tests", "golden") and "expected" in relative:
                continue  # the expected output of golden cases is generated, not written
            if "__pycache__" in relative:
                continue
            folders.append(folder)
    return folders


@pytest.mark.parametrize("folder", _folders(), ids=lambda f: str(f.relative_to(ROOT)))
def test_no_folder_holds_more_than_about_a_dozen_modules(folder: Path) -> None:
    held = sorted(p.name for p in folder.glob("*.py") if p.name != "__init__.py")
    assert len(held) <= MOST_MODULES, f"{folder.relative_to(ROOT)}: {len(held)} modules {held}"
