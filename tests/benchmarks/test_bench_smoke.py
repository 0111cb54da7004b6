"""``make bench`` end to end on tiny sizes: every registered contender produces samples, and the
JSON, markdown and plot come out in their shape. No timing is asserted: speed is what the
benchmark reports, not what a test can judge on a shared machine.

It runs through the delay proxy, so the proxy is proven to carry every kind of traffic the
benchmark sends (statements, COPY, SQLAlchemy's connection). Without the ``bench`` extra (as in
CI) the SQLAlchemy contenders are skipped by the benchmark itself and the PNG is not drawn.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.bench.__main__ import main
from benchmarks.bench.cold_start import FIRST, WARM
from benchmarks.bench.registry import OPERATIONS, REGISTRY
from benchmarks.bench.streamed import STREAMED

ROWS = 4
STREAM_ROWS = 30
try:
    import matplotlib  # noqa: F401  (the plot's library: in the bench extra only)
except ImportError:
    HAS_PLOT = False
else:
    HAS_PLOT = True


@pytest.fixture(scope="module")
def run(pg_admin_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", pg_admin_url)  # the session's server, not a new one
        argv = [
            "--sizes", str(ROWS),
            "--repeat", "1",
            "--cold-repeat", "1",
            "--warm-up-rows", "0",
            "--stream-sizes", str(STREAM_ROWS),
            "--stream-chunk", "7",
            "--proxy-delay-ms", "0.5",
            "--out", str(out),
            "--name", "smoke",
        ]  # fmt: skip
        assert main(argv if HAS_PLOT else [*argv, "--no-plot"]) == 0
    return out


def test_every_registered_contender_is_measured_on_each_of_its_tables(run: Path) -> None:
    data = json.loads((run / "smoke.json").read_text(encoding="utf-8"))
    measured = {(s["operation"], s["contender"], s["table"], s["rows"]) for s in data["samples"]}
    expected = {(c.operation, c.name, table, ROWS) for c in REGISTRY for table in c.tables}
    assert expected - measured == set()
    assert all(s["ms"] > 0 for s in data["samples"])


def test_the_json_keeps_the_run_s_options_environment_cold_start_and_streamed_imports(
    run: Path,
) -> None:
    data = json.loads((run / "smoke.json").read_text(encoding="utf-8"))
    assert data["format"] == 1
    assert data["options"]["sizes"] == [ROWS]
    assert data["options"]["proxy_delay_ms"] == 0.5
    assert data["environment"]["round_trip_ms"] > 0
    cold = {s["contender"] for s in data["samples"] if s["operation"] == "cold start"}
    assert {FIRST, WARM} <= cold
    streamed = {(s["contender"], s["rows"]) for s in data["streamed"]}
    assert streamed == {(name, STREAM_ROWS) for name in STREAMED}
    assert all(s["peak_rss_mb"] >= s["baseline_rss_mb"] > 0 for s in data["streamed"])


def test_the_markdown_has_the_targets_and_a_table_per_operation(run: Path) -> None:
    report = (run / "smoke.md").read_text(encoding="utf-8")
    headings = [line for line in report.splitlines() if line.startswith("## ")]
    assert headings[0] == "## Targets"
    assert [f"## {op}" for op in OPERATIONS] == headings[1 : 1 + len(OPERATIONS)]
    assert "## Streamed import (a child process each)" in headings
    insert_header = report.split("## insert", 1)[1].strip().splitlines()[0]
    assert [cell.strip() for cell in insert_header.split("|")[1:-1]] == [
        "contender",
        "table",
        f"{ROWS} rows",
    ]
    # the targets name sizes this run did not reach: said so rather than passed
    targets = report.split("## Targets", 1)[1].split("## ", 1)[0]
    copy_rows = [
        line for line in targets.splitlines() if line.startswith("| save_batch / raw COPY ")
    ]
    assert len(copy_rows) == 1 and copy_rows[0].rstrip(" |").endswith("not measured")
    for contender in REGISTRY:
        assert f"| {contender.name} " in report


@pytest.mark.skipif(not HAS_PLOT, reason="matplotlib is in the bench extra, not in dev")
def test_the_plot_is_a_png(run: Path) -> None:
    assert (run / "smoke.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
