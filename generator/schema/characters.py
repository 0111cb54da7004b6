"""Characters that must never appear raw in a generated file, and how texts are checked for them.

Schema texts are untrusted and land in reviewed files: Python modules (docstrings, string
literals), ``schema.sql`` and migrations (``COMMENT ON``, literal defaults, enum labels). A
character that renders as nothing or reorders what is around it (a bidi override such as U+202E,
a zero-width space, a Hangul filler) makes a reviewer read something other than what runs: the
"Trojan Source" attack. So every generated file shows such a character only as an escape
(``\\u202e`` in Python, ``E'\\u202E'`` in SQL), and names, which cannot be escaped, refuse them.

A character *shows as itself* when Python counts it printable (no control, format, separator
other than the space, surrogate, private-use or unassigned character) and it is not one of
Unicode's default-ignorable code points, letters and marks that render as nothing although
Python counts them printable (``U+3164 HANGUL FILLER``, variation selectors). The newline is the
one exception texts keep: descriptions have lines.
"""

from __future__ import annotations

import re

#: Default-ignorable code points (Unicode's DerivedCoreProperties, Default_Ignorable_Code_Point)
#: that Python's ``str.isprintable()`` accepts; the rest of that property is format (Cf) or
#: unassigned (Cn) and not printable anyway.
_IGNORABLE_RANGES = (
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x115F, 0x1160),  # Hangul choseong and jungseong fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian free variation selectors
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0xE0000, 0xE0FFF),  # tags and variation selectors supplement
)

#: The same ranges as one character class, to look for any of them in a whole text at C speed.
_IGNORABLE = re.compile(
    "[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in _IGNORABLE_RANGES) + "]"
)


def is_ignorable(ch: str) -> bool:
    """Whether ``ch`` is a default-ignorable code point that Python counts printable."""
    code = ord(ch)
    return any(low <= code <= high for low, high in _IGNORABLE_RANGES)


def shows_as_itself(ch: str) -> bool:
    """Whether ``ch`` may appear raw in a generated file (the newline aside, which callers
    decide): printable and not default-ignorable."""
    return ch.isprintable() and not is_ignorable(ch)


def hidden_characters(text: str) -> list[str]:
    """The distinct characters of ``text`` that do not show as themselves, in order of
    appearance; the plain space shows, the newline does not."""
    if text.isprintable() and not _IGNORABLE.search(text):
        return []  # the common case, decided without a Python-level loop
    return [ch for ch in dict.fromkeys(text) if ch != " " and not shows_as_itself(ch)]


def code_points(characters: list[str]) -> str:
    """``U+202E, U+0000``: characters as a message names them."""
    return ", ".join(f"U+{ord(ch):04X}" for ch in characters)
