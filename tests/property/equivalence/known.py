"""Differences between the paths that the machine found and that are reported, not yet fixed.

Each entry recognises one family of differences from the two outcomes, so the machine counts it
(as a Hypothesis ``event``) and goes on hunting other bugs instead of failing on the same one in
every run. The databases must still agree after such a step. Each entry has a minimal
reproduction in ``test_equivalence_examples.py``, marked ``xfail(strict=True)``: when a fix
lands, that test passes, fails as XPASS, and the entry here goes.
``BATCHREPO_PROPERTY_STRICT=1`` tolerates none.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..outcome import Outcome

STRICT = os.environ.get("BATCHREPO_PROPERTY_STRICT", "0") == "1"


@dataclass(frozen=True)
class KnownBug:
    name: str
    reason: str
    matches: Callable[[Outcome, Outcome], bool]
    operation: str | None = None
    """The machine's operations it is about, by prefix (``update`` takes ``update, counting``
    too); None: any."""


#: An entry is ``KnownBug(name, reason, matches)``, ``matches(batch, single)`` telling the
#: outcomes it explains. Fixed ones leave (test_equivalence_examples.py keeps them as
#: regression tests).
KNOWN_BUGS: tuple[KnownBug, ...] = ()


def known_bug(
    batch: Outcome, single: Outcome, operation: str = "", more: Sequence[KnownBug] = ()
) -> KnownBug | None:
    """The known bug explaining why the outcomes of ``operation`` differ, if any (none when
    strict); ``more``: known bugs of one run only (a server the plain suite does not use)."""
    if STRICT:
        return None
    return next(
        (
            bug
            for bug in (*KNOWN_BUGS, *more)
            if operation.startswith(bug.operation or "") and bug.matches(batch, single)
        ),
        None,
    )
