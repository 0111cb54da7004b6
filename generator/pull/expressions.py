"""The SQL expressions pull writes (table ``checks`` and index ``where``), as PostgreSQL prints
them, but where that printed form does not read back as itself.

PostgreSQL prints ``status IN ('A', 'B')`` on a varchar column as
``(status)::text = ANY ((ARRAY['A'::character varying, 'B'::character varying])::text[])``;
fed that text again, it folds the array cast into each element and stores
``ARRAY[('A'::character varying)::text, ...]``, another constraint definition. So the printed
form of an IN list over a varchar column is written back as the IN list it came from,
``status IN ('A', 'B')``, which PostgreSQL stores exactly as the original (the self-proof
compares the two), and which reads as people write it. ``<> ALL`` is ``NOT IN`` alike.

Negative numbers print as strings: ``latitude >= -90`` as ``(latitude >=
('-90'::integer)::numeric)``, which the expression whitelist refuses (a string where a number is
expected). pull writes ``(-90)``, which PostgreSQL stores as the same ``'-90'::integer``.
"""

from __future__ import annotations

import re

from .catalog import LiveConstraint

_STRING = r"'(?:[^']|'')*'"
_IN_LIST = re.compile(
    r"\((?P<column>[a-z_][a-z0-9_]*|\"(?:[^\"]|\"\")+\")\)::text (?P<op>= ANY|<> ALL) "
    r"\(\(ARRAY\[(?P<items>" + _STRING + r"::character varying"
    r"(?:, " + _STRING + r"::character varying)*)\]\)::text\[\]\)"
)
_ITEM = re.compile(r"(?P<literal>" + _STRING + r")::character varying")
_DOUBLED = re.compile(r"\(\((?P<number>-[0-9]+(?:\.[0-9]+)?)\)\)")
_NEGATIVE = re.compile(r"'(?P<number>-[0-9]+(?:\.[0-9]+)?)'::(?:smallint|integer|bigint|numeric)")


def written_expression(printed: str) -> str:
    """``printed`` (``pg_get_constraintdef``'s CHECK body or ``pg_get_expr``'s predicate) as
    pull writes it: IN lists over varchar columns as ``IN (...)``, negative numbers as
    numbers."""
    negatives = _NEGATIVE.sub(r"(\g<number>)", _IN_LIST.sub(_as_in_list, printed))
    return _DOUBLED.sub(r"(\g<number>)", negatives)


def _as_in_list(found: re.Match[str]) -> str:
    values = ", ".join(item["literal"] for item in _ITEM.finditer(found["items"]))
    negated = "NOT " if found["op"] == "<> ALL" else ""
    return f"{found['column']} {negated}IN ({values})"


def check_expression(check: LiveConstraint, notes: list[str], table: str) -> str:
    """The expression of ``CHECK (<expression>)[ NOT VALID]`` as PostgreSQL prints it."""
    text = check.definition
    if text.endswith(" NOT VALID"):
        notes.append(f"{table}.{check.name}: NOT VALID is not kept (batchrepo validates checks)")
        text = text.removesuffix(" NOT VALID")
    if check.inherited:
        notes.append(f"{table}.{check.name}: NO INHERIT is not kept")
        text = text.removesuffix(" NO INHERIT")
    return written_expression(text.removeprefix("CHECK (").removesuffix(")"))
