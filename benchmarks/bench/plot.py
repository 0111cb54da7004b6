"""The PNG of one run: rows per second against batch size, one panel per operation.

One line per contender and table (median of the repetitions; audited tables dashed), on log
scales, coloured by family so batchrepo, raw asyncpg, SQLAlchemy and the row-by-row loops read
apart at a glance. matplotlib draws off-screen (the Agg backend): no display needed.
"""

from __future__ import annotations

from pathlib import Path

from .registry import AUDITED, FAMILIES, OPERATIONS
from .results import Results

#: A colour map per family: its lines take shades of it.
_FAMILY_COLOURS = {
    "batchrepo": "Blues",
    "single-row": "Greys",
    "asyncpg": "Greens",
    "SQLAlchemy": "Reds",
}


def plot(results: Results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    medians = results.medians()
    operations = [op for op in OPERATIONS if any(s.operation == op for s in results.samples)]
    columns = 3
    rows = (len(operations) + columns - 1) // columns
    figure, axes = plt.subplots(rows, columns, figsize=(6.4 * columns, 8.0 * rows), squeeze=False)
    delay = results.options.get("proxy_delay_ms") or 0
    where = f", {delay:g} ms added per direction" if delay else ""
    figure.suptitle(
        f"batchrepo benchmark {results.environment.get('date', '')}: rows/s by batch size{where}"
    )
    for index, operation in enumerate(operations):
        axis = axes[index // columns][index % columns]
        lines = sorted(
            {(s.family, s.contender, s.table) for s in results.samples if s.operation == operation},
            key=lambda k: (FAMILIES.index(k[0]), k[1], k[2]),
        )
        by_family: dict[str, int] = {}
        for family, _, _ in lines:
            by_family[family] = by_family.get(family, 0) + 1
        drawn: dict[str, int] = {}
        for family, contender, table in lines:
            points = sorted(
                (rows, rows / value * 1000.0)
                for (op, name, tab, rows), value in medians.items()
                if (op, name, tab) == (operation, contender, table) and value > 0
            )
            if not points:
                continue
            shade = drawn.get(family, 0)
            drawn[family] = shade + 1
            colour = plt.get_cmap(_FAMILY_COLOURS[family])(
                0.45 + 0.5 * shade / max(1, by_family[family])
            )
            axis.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                marker="o",
                markersize=3,
                linestyle="--" if table == AUDITED else "-",
                color=colour,
                label=f"{contender} ({table})",
            )
        axis.set_title(operation)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("rows per batch")
        axis.set_ylabel("rows/s")
        axis.grid(True, which="major", alpha=0.3)
        # below the panel: the insert panel alone has some twenty lines
        axis.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    for index in range(len(operations), rows * columns):
        axes[index // columns][index % columns].set_visible(False)
    figure.tight_layout(rect=(0, 0, 1, 0.97))  # room for the title
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
