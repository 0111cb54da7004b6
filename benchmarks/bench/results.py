"""What one ``make bench`` run measured: every sample, the environment, and the file it goes to.

``benchmarks/results/latest.json`` keeps every sample (not only medians), so a reader can redo
the statistics or plot it differently; :func:`load` reads it back for ``--replot``.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

#: Bumped when the JSON's shape changes.
FORMAT = 1


@dataclasses.dataclass(frozen=True, slots=True)
class Sample:
    """One timed run of one contender."""

    operation: str
    contender: str
    family: str
    table: str
    rows: int
    repetition: int
    ms: float


@dataclasses.dataclass(frozen=True, slots=True)
class StreamedImport:
    """One streamed import, run alone in a child process: its time and peak memory."""

    contender: str
    rows: int
    chunk_size: int
    ms: float
    #: VmHWM of the child: the most resident memory it ever had, interpreter included.
    peak_rss_mb: float
    #: VmHWM of the same child before the import started: what the interpreter and imports cost.
    baseline_rss_mb: float


@dataclasses.dataclass(slots=True)
class Results:
    environment: dict[str, Any]
    options: dict[str, Any]
    samples: list[Sample] = dataclasses.field(default_factory=list)
    streamed: list[StreamedImport] = dataclasses.field(default_factory=list)
    #: Contender notes by name, for the report.
    notes: dict[str, str] = dataclasses.field(default_factory=dict)

    def medians(self) -> dict[tuple[str, str, str, int], float]:
        """Median milliseconds by (operation, contender, table, rows)."""
        groups: dict[tuple[str, str, str, int], list[float]] = defaultdict(list)
        for s in self.samples:
            groups[s.operation, s.contender, s.table, s.rows].append(s.ms)
        return {key: statistics.median(values) for key, values in groups.items()}

    def median(self, operation: str, contender: str, table: str, rows: int) -> float | None:
        values = [
            s.ms
            for s in self.samples
            if (s.operation, s.contender, s.table, s.rows) == (operation, contender, table, rows)
        ]
        return statistics.median(values) if values else None

    def sizes(self) -> list[int]:
        return sorted({s.rows for s in self.samples})

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "environment": self.environment,
            "options": self.options,
            "notes": self.notes,
            "samples": [dataclasses.asdict(s) for s in self.samples],
            "streamed": [dataclasses.asdict(s) for s in self.streamed],
        }


def save(results: Results, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results.to_json(), indent=1) + "\n", encoding="utf-8")


def load(path: Path) -> Results:
    """Read a results file; a ValueError names the file when it is of another format."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise ValueError(f"{path}: results format {data.get('format')!r}, expected {FORMAT}")
    return Results(
        environment=data["environment"],
        options=data["options"],
        samples=[Sample(**s) for s in data["samples"]],
        streamed=[StreamedImport(**s) for s in data["streamed"]],
        notes=data.get("notes", {}),
    )
