"""A migration being planned: its steps by phase, and the changes no step can make."""

from __future__ import annotations

from dataclasses import dataclass, field

#: The phases of a migration, in the order its steps run (see :mod:`migration_diff`).
PHASES = (
    "enum",
    "drop foreign key",
    "drop constraint",
    "rename",
    "create table",
    "column",
    "constraint",
    "foreign key",
    "index",
    "comment",
    "drop",
)


@dataclass(frozen=True, slots=True)
class Step:
    """One statement of a migration."""

    sql: str
    kind: str
    """The phase (one of :data:`PHASES`, or ``initial``)."""
    destructive: bool
    """May lose data or fail on existing rows; marked ``-- DESTRUCTIVE:`` in the file."""
    description: str
    """What the step does, naming the table and column."""


@dataclass(slots=True)
class Plan:
    phases: dict[str, list[Step]] = field(default_factory=lambda: {k: [] for k in PHASES})
    problems: list[str] = field(default_factory=list)
    new_enum_values: set[tuple[str, str]] = field(default_factory=set)
    """Values added to existing enums: PostgreSQL refuses to use them before the commit."""

    def add(self, kind: str, sql: str, description: str, *, destructive: bool = False) -> None:
        self.phases[kind].append(Step(sql, kind, destructive, description))

    def steps(self) -> tuple[Step, ...]:
        return tuple(step for kind in PHASES for step in self.phases[kind])
