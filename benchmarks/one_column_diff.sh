#!/usr/bin/env bash
# The review cost of a schema change: append one nullable column to the audited table `person`,
# regenerate, and count what changes in generated/ (lines and hunks), then put everything back.
# Issue 8 measured with it: before the SQL layout work +94 -68 (162 lines, 55 hunks), after
# +67 -48 (115 lines, 39 hunks). The diff itself is left in /tmp/one_column.diff.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! git diff --quiet -- schema.yaml generated; then
  echo "one_column_diff: schema.yaml or generated/ has uncommitted changes; commit or stash them" >&2
  exit 2
fi
trap 'git checkout -q -- schema.yaml generated' EXIT
.venv/bin/python - <<'PY'
import re
text = open("schema.yaml", encoding="utf-8").read()
start = text.index("\n  person:\n")
following = re.compile(r"\n  [a-z_]+:\n").search(text, start + 5)
end = following.start() if following else len(text)
column = (
    "\n      nickname:\n        type: varchar(40)\n        nullable: true\n"
    "        description: What colleagues call the person.\n"
)
rest = "\n" + text[end:].lstrip("\n") if following else ""
open("schema.yaml", "w", encoding="utf-8").write(text[:start] + text[start:end].rstrip("\n") + column + rest)
PY
.venv/bin/batchrepo generate --schema schema.yaml --out generated >/dev/null 2>&1
git diff -- generated > /tmp/one_column.diff
git diff --numstat -- generated | awk '{a += $1; d += $2} END {printf "lines: +%d -%d (%d)\n", a, d, a + d}'
echo "hunks (-U0): $(git diff -U0 -- generated | grep -c '^@@')"
