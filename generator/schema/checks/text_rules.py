"""The column checks that list values or count trimmed characters: ``in`` and
``min_trimmed_length`` (``values`` checks the bounds and ``min_length``).

``in: [A, B]`` becomes ``CHECK (col IN ('A', 'B'))`` and the same rule in ``validate_batch``, so
each value must be one the column can hold and the database compares as written:

* text columns take strings, integer columns whole numbers in the type's range; enum columns
  are refused (the enum lists the values already) and so are the other types and arrays;
* ``varchar(n)`` and ``char(n)`` values fit ``n`` characters. ``char(n)`` ignores trailing
  spaces when it compares (``'A '::char(2) = 'A'``), so a value ending in a space is refused: it
  would read as another value than it is;
* no NUL (PostgreSQL text cannot hold it), no value twice (for ``char(n)``: twice once the
  trailing spaces are cut), at most :data:`MAX_VALUES` values;
* a literal default must be one of them.

``min_trimmed_length: n`` is ``length(btrim(col)) >= n``. ``btrim`` with one argument cuts
spaces (U+0020) only, not tabs, newlines or other white space (field notes), and the runtime
counts the same way.
"""

from __future__ import annotations

from ..document import ColumnDef
from ..issues import Path, Problem, describe, listed
from ..types import ParsedType
from .limits import MAX_LITERAL_CHARS
from .texts import unstorable
from .values import INTEGER_KINDS, default_problem, number_problem

#: Most values one ``in`` check may list.
MAX_VALUES = 1000


def text_rule_problems(path: Path, column: ColumnDef, parsed: ParsedType) -> list[Problem]:
    """Problems of ``in`` and ``min_trimmed_length`` of one column (``path``: the column)."""
    check = column.check
    if check is None:
        return []
    # the default's own problems are reported by values; here only a fitting one is compared
    default_fits = (
        column.default is not None and default_problem(column.default, parsed, None) is None
    )
    problems = []
    if check.min_trimmed_length is not None:
        problems += trimmed_length_problems((*path, "check"), column, parsed, default_fits)
    if check.in_ is not None:
        problems += allowed_value_problems((*path, "check"), column, parsed, default_fits)
    return problems


def trimmed_length_problems(
    path: Path, column: ColumnDef, parsed: ParsedType, default_fits: bool
) -> list[Problem]:
    """Problems of ``check.min_trimmed_length``."""
    assert column.check is not None and column.check.min_trimmed_length is not None
    least = column.check.min_trimmed_length
    where = (*path, "min_trimmed_length")
    if parsed.kind != "text" or parsed.is_array:
        return [
            Problem(where, f"check min_trimmed_length applies to text columns, not {parsed.ddl}")
        ]
    if parsed.length is not None and least > parsed.length:
        return [
            Problem(where, f"check min_trimmed_length {least} is more than {parsed.ddl} can hold")
        ]
    default = column.default
    if default_fits and isinstance(default, str) and len(default.strip(" ")) < least:
        message = (
            f"default {default!r} is shorter than min_trimmed_length {least} once its leading "
            "and trailing spaces are cut"
        )
        return [Problem((*path[:-1], "default"), message)]
    return []


def allowed_value_problems(
    path: Path, column: ColumnDef, parsed: ParsedType, default_fits: bool
) -> list[Problem]:
    """Problems of ``check.in``."""
    assert column.check is not None and column.check.in_ is not None
    values = column.check.in_
    where = (*path, "in")
    if parsed.kind == "enum" and not parsed.is_array:
        message = (
            f"check in does not apply to enum columns: enum {parsed.enum!r} lists the allowed "
            "values already"
        )
        return [Problem(where, message)]
    if parsed.is_array or (parsed.kind != "text" and parsed.kind not in INTEGER_KINDS):
        message = (
            f"check in applies to text, varchar, char(n) and integer columns, not {parsed.ddl}"
        )
        return [Problem(where, message)]
    if len(values) > MAX_VALUES:
        return [Problem(where, f"check in lists {len(values):,} values; at most {MAX_VALUES:,}")]
    problems = []
    seen: dict[object, int] = {}
    for i, value in enumerate(values):
        unfit = _value_problem(value, parsed)
        if unfit is not None:
            problems.append(Problem((*where, i), unfit))
            continue
        compared = value.rstrip(" ") if isinstance(value, str) else value
        if compared in seen:
            twice = f"{value!r} is listed twice (first at index {seen[compared]})"
            problems.append(Problem((*where, i), twice))
        seen.setdefault(compared, i)
    default = column.default
    if not problems and default_fits and default is not None and default not in values:
        shown = listed([repr(v) for v in values])
        message = f"default {default!r} is not one of check in: {shown}"
        problems.append(Problem((*path[:-1], "default"), message))
    return problems


def _value_problem(value: int | str, parsed: ParsedType) -> str | None:
    """Why ``value`` cannot be listed in ``in`` for a column of type ``parsed``."""
    if parsed.kind in INTEGER_KINDS:
        if not isinstance(value, int):
            return f"expected a whole number for a {parsed.ddl} column, got {describe(value)}"
        return number_problem("value", value, parsed)
    if not isinstance(value, str):
        return f"expected a string for a {parsed.ddl} column, got {describe(value)}"
    unfit = unstorable(value)
    if unfit is not None:
        return f"the value {unfit}"
    limit = parsed.length if parsed.length is not None else MAX_LITERAL_CHARS
    if len(value) > limit:
        shown = repr(value[:40]) + ("..." if len(value) > 40 else "")
        return f"{shown} is {len(value):,} characters long; {parsed.ddl} holds at most {limit:,}"
    if parsed.fixed_length and value.endswith(" "):
        return (
            f"{value!r} ends with a space, which {parsed.ddl} ignores when it compares: write "
            f"{value.rstrip(' ')!r}"
        )
    return None
