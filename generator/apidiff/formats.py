"""An :class:`ApiDiff` as a pull-request comment (markdown) or as JSON for other tools."""

from __future__ import annotations

import dataclasses
import json

from .surface import ApiDiff, Change

# A hidden first line, so a CI step can find and replace its own earlier comment.
COMMENT_MARKER = "<!-- batchrepo-api-diff -->"


def summary_line(diff: ApiDiff) -> str:
    return f"{len(diff.breaking)} breaking, {len(diff.additive)} additive"


def render_markdown(diff: ApiDiff, *, base: str, out: str) -> str:
    lines = [
        COMMENT_MARKER,
        f"## Public API changes in `{out}`",
        "",
        f"Working tree compared with {base}: **{summary_line(diff)}**.",
    ]
    if diff.breaking:
        lines += [
            "",
            "Breaking changes need a matching change in the code that imports the generated "
            "package, and a note in the release.",
        ]
    if not diff.changes:
        lines += ["", "No public API changes."]
    for module, changes in diff.by_module().items():
        lines += ["", f"### `{module}`", "", "| | symbol | change | detail |", "|---|---|---|---|"]
        lines += [_row(change) for change in changes]
    return "\n".join(lines) + "\n"


def _row(change: Change) -> str:
    impact = "**breaking**" if change.breaking else "additive"
    cells = (impact, f"`{change.symbol}`", change.what, change.detail)
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def _cell(text: str) -> str:
    """GitHub splits table cells on every ``|``, even inside code spans (``str | None``)."""
    return text.replace("|", "\\|").replace("\n", " ")


def render_json(diff: ApiDiff, *, base: str, out: str) -> str:
    document = {
        "base": base,
        "out": out,
        "breaking": len(diff.breaking),
        "additive": len(diff.additive),
        "changes": [dataclasses.asdict(change) for change in diff.changes],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
