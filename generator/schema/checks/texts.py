"""Free texts: descriptions and string defaults, which reach SQL and Python as literals.

Names are refused when they hold anything invisible (:mod:`..names`); free texts may hold any
character, because the generated files show every character that would not show as itself as
an escape (:mod:`..characters`): a bidi override in a description is ``\\u202e`` in a docstring
and ``E'\\u202E'`` in ``COMMENT ON``. Two characters have no escape that survives the trip:

* NUL (U+0000): PostgreSQL text cannot hold it, so the DDL would fail to apply (``invalid
  message format``), and the runtime refuses it in values for the same reason;
* a lone surrogate (U+D800 to U+DFFF): not a character, so no UTF-8 file or PostgreSQL text can
  hold it. YAML refuses its escape, and pydantic any string holding one, so it never gets here
  (:mod:`..shape` words pydantic's refusal).

A string default is also bounded in length (:data:`limits.MAX_LITERAL_CHARS`; a description's
bound, 4,000 characters, is part of the shape).
"""

from __future__ import annotations

from ..document import SchemaDef
from ..issues import Path, Problem
from .limits import MAX_LITERAL_CHARS


def text_problems(schema: SchemaDef) -> list[Problem]:
    """Descriptions and string defaults holding what no generated file can hold."""
    texts: list[tuple[Path, str, str]] = []
    if schema.description is not None:
        texts.append((("description",), "description", schema.description))
    for enum_name, enum in schema.enums.items():
        if enum.description is not None:
            texts.append((("enums", enum_name, "description"), "description", enum.description))
    for table_name, table in schema.tables.items():
        base: Path = ("tables", table_name)
        if table.description is not None:
            texts.append(((*base, "description"), "description", table.description))
        for column_name, column in table.columns.items():
            path: Path = (*base, "columns", column_name)
            if column.description is not None:
                texts.append(((*path, "description"), "description", column.description))
            if isinstance(column.default, str):
                texts.append(((*path, "default"), "default", column.default))
    problems = []
    for path, what, text in texts:
        message = unstorable(text)
        if message is not None:
            problems.append(Problem(path, f"the {what} {message}"))
        elif what == "default" and len(text) > MAX_LITERAL_CHARS:
            problems.append(
                Problem(
                    path,
                    f"the default is {len(text):,} characters long; at most "
                    f"{MAX_LITERAL_CHARS:,} are allowed",
                )
            )
    return problems


def unstorable(text: str) -> str | None:
    """Why ``text`` cannot reach a generated file or PostgreSQL; None when it can."""
    if "\x00" in text:
        return (
            "contains U+0000 (NUL), which PostgreSQL text cannot hold; remove it "
            f"(position {text.index(chr(0)) + 1})"
        )
    return None
