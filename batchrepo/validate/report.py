"""What validation found: :class:`Problem` (one broken rule, located by row and field) and
:class:`ValidationReport` (every problem of one batch), returned by ``validate_batch`` and
carried by :class:`~batchrepo.errors.ValidationError`. Plain data; it imports nothing of the
runtime, so the errors can name it without a circle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

#: How many problems ``str(report)`` lists before summarising the rest.
SHOWN_PROBLEMS = 20

_ROW_NUMBER = re.compile(r"\brow (\d+)")


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken rule: 0-based row in the batch, entity attribute, rule code, readable text."""

    row: int
    field: str
    code: str
    message: str


@dataclass(slots=True)
class ValidationReport:
    """Every problem found in one batch, rows ascending."""

    table: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def rows(self) -> list[int]:
        """Indexes of the rows with at least one problem, ascending."""
        return sorted({p.row for p in self.problems})

    def with_row_offset(self, offset: int) -> ValidationReport:
        """The report as seen from a larger input whose row 0 is this batch's row ``-offset``."""
        shifted = [
            replace(p, row=p.row + offset, message=_renumber(p.message, offset))
            for p in self.problems
        ]
        return ValidationReport(self.table, shifted)

    def __str__(self) -> str:
        if self.ok:
            return f"{self.table}: no problems"
        lines = [p.message for p in self.problems[:SHOWN_PROBLEMS]]
        hidden = len(self.problems) - SHOWN_PROBLEMS
        if hidden > 0:
            lines.append(f"... and {hidden} more")
        return f"{len(self.problems)} problem(s) in {self.table}:\n  " + "\n  ".join(lines)


def _renumber(message: str, offset: int) -> str:
    # Row numbers only appear before the first ": " (see _where and the duplicate message);
    # the rule text after it may quote schema strings, which must stay as they are.
    head, sep, text = message.partition(": ")
    head = _ROW_NUMBER.sub(lambda m: f"row {int(m.group(1)) + offset}", head)
    return head + sep + text
