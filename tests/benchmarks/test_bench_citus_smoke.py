"""``make bench-citus`` end to end on tiny sizes: every contender is measured on every target
and shape, the audit placement variant really distributes ``audit_log``, and the JSON and
markdown come out in their shape. No timing is asserted.

It starts its own six servers (a plain node, a coordinator with one worker and one with two),
so like tests/citus it runs only with ``BATCHREPO_CITUS=1`` (``make test-citus``) and is skipped
with the reason where Citus cannot be had. The placement rewrite is checked without a cluster.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from benchmarks.citus.__main__ import main
from benchmarks.citus.contenders import CONTENDERS
from benchmarks.citus.targets import AUDIT_DISTRIBUTED, TARGETS, TWO_WORKERS, distributed_audit_log
from benchmarks.citus.workload import SHAPES

ROWS = 4
UNIT_ROWS = (1, 3)
#: The generated citus.sql of the golden case the benchmark runs.
CITUS_SQL = Path(__file__).resolve().parents[1] / "golden" / "codegen" / "distributed"
CITUS_SQL = CITUS_SQL / "expected" / "sharded" / "citus.sql"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if os.environ.get("BATCHREPO_CITUS") != "1":
        pytest.skip(
            "the cluster benchmark runs with `make test-citus` (BATCHREPO_CITUS=1); "
            "`make test` starts no cluster"
        )
    out = tmp_path_factory.mktemp("bench-citus")
    argv = [
        "--sizes", str(ROWS),
        "--repeat", "1",
        "--loop-max", str(ROWS),
        "--units", "2",
        "--unit-rows", ",".join(map(str, UNIT_ROWS)),
        "--out", str(out),
        "--name", "smoke",
    ]  # fmt: skip
    status = main(argv)
    if status == 2:
        pytest.skip("Citus is not available here (bench-citus said why on stderr)")
    assert status == 0
    data: dict[str, Any] = json.loads((out / "smoke.json").read_text(encoding="utf-8"))
    data["markdown"] = (out / "smoke.md").read_text(encoding="utf-8")
    return data


def test_every_contender_is_measured_on_every_target_and_shape(run: dict[str, Any]) -> None:
    measured = {(s["contender"], s["table"], s["shape"], s["target"]) for s in run["samples"]}
    expected = {
        (c.name, c.table, shape, t) for c in CONTENDERS for shape in SHAPES for t in TARGETS
    }
    assert measured == expected
    roles = {"client", "coordinator", "workers"}
    assert all(s["ms"] > 0 and set(s["cpu"]) == roles for s in run["samples"])


def test_the_audit_units_run_on_both_placements(run: dict[str, Any]) -> None:
    units = {(s["target"], s["rows"]) for s in run["audit"]}
    assert units == {(t, n) for t in ("plain", TWO_WORKERS, AUDIT_DISTRIBUTED) for n in UNIT_ROWS}
    placement = run["environment"]["placement"]
    assert placement[TWO_WORKERS]["audit_log"] == "reference"
    assert placement[AUDIT_DISTRIBUTED]["audit_log"] == "distributed by id"
    assert placement[AUDIT_DISTRIBUTED]["account_history"] == "distributed by owner_id"
    assert placement["plain"] == {}


def test_the_markdown_has_a_table_per_size_and_the_audit_section(run: dict[str, Any]) -> None:
    headings = [line for line in run["markdown"].splitlines() if line.startswith("## ")]
    assert headings == [
        f"## {ROWS:,} rows",
        f"## One owner against many owners ({ROWS:,} rows)",
        f"## CPU by role, every job of {ROWS:,} rows summed",
        f"## CPU per row by role, many owners, {ROWS:,} rows",
        "## audit_log placement: cost per unit of work (save_batch of one owner)",
    ]


def test_the_audit_variant_distributes_audit_log_and_drops_only_its_foreign_key() -> None:
    citus_sql = CITUS_SQL.read_text(encoding="utf-8")
    statements = distributed_audit_log(citus_sql)
    distributed = "SELECT create_distributed_table('\"audit_log\"', 'id', colocate_with => 'none');"
    assert distributed in statements
    assert not any("create_reference_table('\"audit_log\"')" in s for s in statements)
    assert not any('REFERENCES "audit_log"' in s for s in statements)
    kept = [s for s in citus_sql.splitlines() if s and not s.startswith("--")]
    assert len(statements) == len(kept) - 1  # the foreign key's ADD CONSTRAINT, nothing else


def test_the_audit_variant_refuses_a_citus_sql_it_does_not_recognise() -> None:
    with pytest.raises(RuntimeError, match="no longer places audit_log"):
        distributed_audit_log("SELECT create_reference_table('\"country\"');")
