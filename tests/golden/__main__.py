"""The golden runner's command line (``make golden`` runs ``regenerate`` with no arguments)::

python -m tests.golden check [kind] [case ...]        # exit 1 naming stale cases, with diffs
python -m tests.golden regenerate [kind] [case ...]   # rewrite stale expectations
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tests.golden.harness import FIX, GoldenError, drift, regenerate, stale_message
from tests.golden.kinds import KINDS


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.golden")
    parser.add_argument("command", choices=("check", "regenerate"))
    parser.add_argument("kind", nargs="?", choices=list(KINDS), help="kind of case (default: all)")
    parser.add_argument("cases", nargs="*", help="cases of that kind (default: all)")
    args = parser.parse_args(argv)
    kinds = [KINDS[args.kind]] if args.kind else list(KINDS.values())
    if args.cases and (unknown := sorted(set(args.cases) - set(kinds[0].cases()))):
        parser.error(f"no {args.kind} case {unknown}; known: {kinds[0].cases()}")
    total, touched, broken = 0, 0, 0
    for kind in kinds:
        for case in args.cases or kind.cases():
            total += 1
            run = regenerate if args.command == "regenerate" else drift
            try:
                found = run(kind, case)
            except GoldenError as error:
                broken += 1
                print(f"{kind.name}/{case}: cannot be produced: {error}")
                continue
            if found.clean:
                continue
            touched += 1
            if args.command == "regenerate":
                print(f"{found.name}: rewrote")
                print("\n".join(f"  {line}" for line in found.files()))
            else:
                print(stale_message(found), end="\n\n")
    if args.command == "regenerate":
        print(f"{total} golden cases: {touched or 'nothing'} rewritten")
    elif touched:
        print(f"{touched} of {total} golden cases stale; fix: {FIX}")
    else:
        print(f"{total} golden cases, all current")
    return 1 if broken or (touched and args.command == "check") else 0


if __name__ == "__main__":
    sys.exit(main())
