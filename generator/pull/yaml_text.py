"""A schema document as YAML text people read and edit: block mappings, lists of names and
short mappings (a column of a type and a flag or two) on one line, as the hand-written
``schema.yaml`` has them, scalars quoted by PyYAML only where YAML needs it.
"""

from __future__ import annotations

from typing import Any

import yaml

#: Longest line a mapping is folded onto (as ``{type: uuid, primary_key: true}``).
FLOW_WIDTH = 100


def scalar(value: Any) -> str:
    """One scalar or flat list as YAML flow text."""
    text = yaml.safe_dump(
        value, default_flow_style=True, width=float("inf"), allow_unicode=True, sort_keys=False
    )
    return text.removesuffix("\n").removesuffix("\n...").removesuffix("...").rstrip("\n")


def _flat(value: Any) -> bool:
    if isinstance(value, list):
        return all(not isinstance(v, dict | list) for v in value)
    return not isinstance(value, dict)


def _flow(mapping: dict[str, Any]) -> str | None:
    """``mapping`` on one line, when every value is flat and it is short."""
    if not all(_flat(v) for v in mapping.values()):
        return None
    text = scalar(mapping)  # PyYAML quotes what a flow context needs quoted (``numeric(15,2)``)
    return text if "\n" not in text else None


def dump(document: dict[str, Any], header: str = "") -> str:
    """The document as YAML, ``header`` lines first as comments."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    if lines:
        lines.append("")
    _mapping(lines, document, 0)
    return "\n".join(lines) + "\n"


def _mapping(lines: list[str], mapping: dict[str, Any], depth: int) -> None:
    indent = "  " * depth
    for key, value in mapping.items():
        head = f"{indent}{scalar(key)}:"
        if depth == 0 and isinstance(value, dict):
            lines.append("")
        if isinstance(value, dict) and not value:
            lines.append(f"{head} {{}}")
        elif isinstance(value, dict):
            folded = _flow(value) if depth >= 3 else None
            if folded is not None and len(head) + 1 + len(folded) <= FLOW_WIDTH:
                lines.append(f"{head} {folded}")
            else:
                lines.append(head)
                _mapping(lines, value, depth + 1)
        elif isinstance(value, list) and not _flat(value):
            lines.append(head)
            for item in value:
                lines.append(f"{indent}  - {scalar(item)}")
        else:
            text = scalar(value)
            block: list[str] | None = None
            if len(head) + 1 + len(text) > FLOW_WIDTH and isinstance(value, str):
                block = _folded(value, indent + "  ")
            if block is not None:
                lines.append(f"{head} >-")
                lines += block
            else:
                lines.append(f"{head} {text}")
        if depth == 1:
            lines.append("")
    if depth == 1 and lines and lines[-1] == "":
        lines.pop()


def _folded(text: str, indent: str) -> list[str] | None:
    """A long string as the lines of a folded block (``>-``); None when folding would not read
    it back unchanged (double spaces, line breaks, leading or trailing blanks)."""
    words = text.split(" ")
    if "" in words or "\n" in text or "\t" in text or not text.isprintable():
        return None
    lines: list[str] = []
    line = ""
    for word in words:
        if line and len(indent) + len(line) + 1 + len(word) > FLOW_WIDTH:
            lines.append(indent + line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(indent + line)
    return lines
