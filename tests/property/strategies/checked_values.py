"""Values on both sides of the column checks ``in``, ``min_exclusive``/``max_exclusive`` and
``min_trimmed_length`` (:mod:`.values` calls these for columns that have them).

* ``in``: every listed value, and for ``char(n)`` each with the trailing spaces PostgreSQL
  ignores; outside: a value not listed (a leading space, another case, a near miss);
* exclusive bounds: the neighbours of the bound (one step inside, for floats the next float)
  are valid, the bound itself is not;
* ``min_trimmed_length``: texts of exactly ``n`` characters between spaces, and texts whose
  length comes from white space ``btrim`` keeps (tabs, newlines, no-break spaces); outside:
  ``n - 1`` characters between spaces, and only spaces.
"""

from __future__ import annotations

import math
import struct
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from batchrepo.spec import ColumnSpec

Strategy = st.SearchStrategy[Any]

#: White space that PostgreSQL's one-argument btrim keeps (it cuts U+0020 only).
KEPT_SPACES = "\t\n\r\x0b\x0c\u00a0\u2003\u3000"
#: The step of an exclusive bound on a numeric column without scale: any step inside works.
UNSCALED_STEP = Decimal("0.000001")


def padded(col: ColumnSpec) -> bool:
    """char(n): trailing spaces are ignored when PostgreSQL compares."""
    return col.kind == "text" and col.pg_type.lower().startswith(("char(", "character("))


def allowed_texts(col: ColumnSpec) -> list[str]:
    """The ``in`` values of a text column, and for char(n) each padded as PostgreSQL ignores."""
    assert col.allowed_values is not None
    values = sorted(str(v) for v in col.allowed_values)
    if padded(col) and col.max_length is not None:
        n = col.max_length
        values += [v + " " * pad for v in values for pad in range(1, n - len(v) + 1)]
    return values


def allowed_valid(col: ColumnSpec) -> Strategy:
    if col.kind == "text":
        return st.sampled_from(allowed_texts(col))
    assert col.allowed_values is not None
    return st.sampled_from(sorted(col.allowed_values, key=int))


def allowed_invalid(col: ColumnSpec) -> list[Any]:
    """Values that are not listed (and fit the column otherwise, so the ``in`` rule decides)."""
    assert col.allowed_values is not None
    if col.kind != "text":
        numbers = sorted(col.allowed_values, key=int)
        return [int(numbers[-1]) + 1, int(numbers[0]) - 1]
    listed = {str(v) for v in col.allowed_values}
    first = sorted(listed)[0]
    limit = col.max_length or 40
    candidates = [
        " " + first,  # a leading space counts, for char(n) too
        first.swapcase(),
        first[:-1],
        first + "\t",  # a tab is not padding
        "?",
    ]
    return [
        c
        for c in candidates
        if len(c) <= limit and c.rstrip(" " if padded(col) else "") not in listed
    ]


def trimmed_valid(col: ColumnSpec, body: Strategy) -> Strategy:
    """``body`` kept to texts long enough once spaces are cut, and edge texts."""
    least = col.min_trimmed_length or 0
    limit = min(col.max_length or 40, 40)
    kept = body.filter(lambda t: len(t.strip(" ")) >= least)
    edges = [
        " " + "a" * least + " ",
        KEPT_SPACES[:least].ljust(least, "\t"),  # white space btrim keeps counts
        " " + "\u00a0" * least,
        "b" * least,
    ]
    return st.one_of(kept, st.sampled_from([e for e in edges if len(e) <= limit]))


def trimmed_invalid(col: ColumnSpec) -> list[Any]:
    least = col.min_trimmed_length or 0
    limit = col.max_length or 40
    options = [" " + "c" * (least - 1) + " ", " " * least, " " * limit]
    return [o for o in options if len(o) <= limit and len(o.strip(" ")) < least]


def exclusive_floats(col: ColumnSpec) -> tuple[float | None, float | None]:
    """The bounds of a float column with its strict bounds moved to the neighbouring floats."""
    lo = None if col.minimum is None else float(col.minimum)
    hi = None if col.maximum is None else float(col.maximum)
    single = col.kind == "float4"
    if col.exclusive_minimum is not None:
        lo = _next_float(float(col.exclusive_minimum), up=True, single=single)
    if col.exclusive_maximum is not None:
        hi = _next_float(float(col.exclusive_maximum), up=False, single=single)
    return lo, hi


def _next_float(value: float, *, up: bool, single: bool) -> float:
    """The next float after ``value`` (single precision for ``real``, as it is stored)."""
    if not single:
        return math.nextafter(value, math.inf if up else -math.inf)
    (bits,) = struct.unpack("<i", struct.pack("<f", value))
    # single-precision floats are ordered like their bits (sign and magnitude)
    if value == 0:
        bits = 1 if up else -(2**31) + 1
    elif (value > 0) == up:
        bits += 1
    else:
        bits -= 1
    (following,) = struct.unpack("<f", struct.pack("<i", bits))
    return float(following)


def exclusive_invalid(col: ColumnSpec) -> list[Any]:
    """The strict bounds themselves, which the column refuses."""
    found: list[Any] = []
    for bound in (col.exclusive_minimum, col.exclusive_maximum):
        if bound is None:
            continue
        if col.kind in ("float4", "float8"):
            found.append(float(bound))
        elif col.kind == "numeric":
            found.append(Decimal(bound))
        else:
            found.append(int(bound))
    return found
