"""What a generated module may import of the runtime: one contract version, as ``_rt``, and
only the names that version lists (:mod:`batchrepo.contract`)."""

from __future__ import annotations

import ast
import importlib

from batchrepo.contract import SUPPORTED

ALIAS = "_rt"


def contract_names(version: int) -> frozenset[str]:
    return frozenset(importlib.import_module(f"batchrepo.contract.v{version}").__all__)


def contract_violations(source: str) -> list[str]:
    """Every way ``source`` (a generated module) reaches past the runtime contract."""
    tree = ast.parse(source)
    problems = []
    versions = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            problems += [
                f"line {node.lineno}: import {alias.name}"
                for alias in node.names
                if alias.name.split(".")[0] == "batchrepo"
            ]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if node.module.split(".")[0] != "batchrepo":
                continue
            for alias in node.names:
                shown = f"line {node.lineno}: from {node.module} import {alias.name}"
                version = alias.name[1:]
                if node.module != "batchrepo.contract" or not version.isdigit():
                    problems.append(f"{shown} (not a contract version)")
                elif int(version) not in SUPPORTED:
                    problems.append(f"{shown} (this runtime provides {SUPPORTED})")
                elif alias.asname != ALIAS:
                    problems.append(f"{shown} (imported as {alias.asname}, not {ALIAS})")
                else:
                    versions.append(int(version))
    if len(set(versions)) > 1:
        problems.append(f"several contract versions: {sorted(set(versions))}")
    provided = contract_names(versions[0]) if versions else frozenset()
    problems += [
        f"line {node.lineno}: {ALIAS}.{node.attr} is not in contract v{versions[0]}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == ALIAS
        and node.attr not in provided
    ]
    return problems
