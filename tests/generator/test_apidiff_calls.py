"""``batchrepo diff`` on calls: overloaded functions compared as their callers see them, and
parameter and return types that widen or narrow (the table of known supertypes).

Each rule test asserts the exact list of (symbol, change, breaking), as in test_apidiff.py."""

from __future__ import annotations

import textwrap

import pytest
from batchrepo_codegen.apidiff.api_diff import api_of_sources, diff_apis
from batchrepo_codegen.apidiff.subtypes import SUPERTYPES, is_within, literal_values

BREAKING, ADDITIVE = True, False


def changes(old: str, new: str) -> list[tuple[str, str, bool]]:
    """The changes between two versions of one module, ``pkg/mod.py``."""
    before = api_of_sources({"pkg/mod.py": textwrap.dedent(old)})
    after = api_of_sources({"pkg/mod.py": textwrap.dedent(new)})
    return [(c.symbol, c.what, c.breaking) for c in diff_apis(before, after).changes]


def details(old: str, new: str) -> list[str]:
    before = api_of_sources({"pkg/mod.py": textwrap.dedent(old)})
    after = api_of_sources({"pkg/mod.py": textwrap.dedent(new)})
    return [c.detail for c in diff_apis(before, after).changes]


# Which type holds every value of another


# name: (narrow, wide, whether every value of narrow is a value of wide)
WITHIN = {
    "same": ("Sequence[Person]", "Sequence[Person]", True),
    "sequence-to-iterables": ("Sequence[P]", "Iterable[P] | AsyncIterable[P]", True),
    "iterables-to-sequence": ("Iterable[P] | AsyncIterable[P]", "Sequence[P]", False),
    "list-to-sequence": ("list[P]", "Sequence[P]", True),
    "sequence-to-list": ("Sequence[P]", "list[P]", False),
    "list-to-collection": ("typing.List[P]", "collections.abc.Collection[P]", True),
    "set-to-abstract-set": ("set[P]", "AbstractSet[P]", True),
    "dict-to-mapping": ("dict[str, int]", "Mapping[str, int]", True),
    "iterator-to-iterable": ("Iterator[P]", "Iterable[P]", True),
    "covariant-argument": ("Sequence[int]", "Sequence[int | None]", True),
    "invariant-argument": ("list[int]", "list[int | None]", False),
    "mapping-key-invariant": ("Mapping[str, int]", "Mapping[str | None, int]", False),
    "mapping-value-covariant": ("Mapping[str, int]", "Mapping[str, int | None]", True),
    "tuple-positions": ("tuple[int, str]", "tuple[int | None, str]", True),
    "union-grows": ("int | str", "int | str | None", True),
    "union-shrinks": ("int | str | None", "int | str", False),
    "optional-spelling": ("Optional[int]", "None | int", True),
    "literal-to-bool": ("Literal[True]", "bool", True),
    "bool-to-literal": ("bool", "Literal[True]", False),
    "literal-subset": ("Literal['a']", "Literal['a', 'b']", True),
    "literal-disjoint": ("Literal[False]", "Literal[True]", False),
    "numeric-promotion": ("int", "float", True),
    "object-takes-all": ("Person", "object", True),
    "unknown-classes": ("Person", "Party", False),
    "bare-wide-generic": ("Sequence[P]", "Iterable", True),
    "bare-narrow-generic": ("Sequence", "Iterable[P]", False),
    "absent-annotation": ("int", None, False),
}  # fmt: skip


@pytest.mark.parametrize("case", WITHIN.values(), ids=WITHIN)
def test_is_within(case: tuple[str, str | None, bool]) -> None:
    narrow, wide, expected = case
    assert is_within(narrow, wide) is expected


def test_every_supertype_in_the_table_holds_its_subtype() -> None:
    for name, parents in SUPERTYPES.items():
        for parent in parents:
            assert is_within(name, parent), (name, parent)
            assert not is_within(parent, name), (parent, name)


def test_literal_values() -> None:
    assert literal_values("Literal[True]") == {"True"}
    assert literal_values("Literal['a', 'b'] | None") == {"'a'", "'b'", "None"}
    assert literal_values("bool") is None
    assert literal_values("Literal[1] | int") is None


# Parameters widen, return types narrow


def one_function(params: str, returns: str) -> str:
    return f"async def load(self, {params}) -> {returns}:\n    pass\n"


# name: (old params, old return, new params, new return, every change expected)
VARIANCE = {
    "param-widened": ("items: Sequence[P]", "int", "items: Iterable[P] | AsyncIterable[P]", "int",
                      [("load(items)", "widened type", ADDITIVE)]),
    "param-widened-list": ("items: list[P]", "int", "items: Sequence[P]", "int",
                           [("load(items)", "widened type", ADDITIVE)]),
    "param-narrowed": ("items: Iterable[P]", "int", "items: Sequence[P]", "int",
                       [("load(items)", "changed type", BREAKING)]),
    "param-elements-widened": ("keys: Sequence[int]", "int", "keys: Sequence[int | None]", "int",
                               [("load(keys)", "widened type", ADDITIVE)]),
    "param-invariant": ("keys: list[int]", "int", "keys: list[int | None]", "int",
                        [("load(keys)", "changed type", BREAKING)]),
    "return-narrowed": ("k: int", "Sequence[P]", "k: int", "list[P]",
                        [("load()", "narrowed return type", ADDITIVE)]),
    "return-widened": ("k: int", "list[P]", "k: int", "Sequence[P]",
                       [("load()", "changed return type", BREAKING)]),
    "return-union-grows": ("k: int", "list[P]", "k: int", "list[P] | int",
                           [("load()", "changed return type", BREAKING)]),
    "return-other": ("k: int", "list[P]", "k: int", "set[P]",
                     [("load()", "changed return type", BREAKING)]),
}  # fmt: skip


@pytest.mark.parametrize("case", VARIANCE.values(), ids=VARIANCE)
def test_parameters_widen_and_return_types_narrow(
    case: tuple[str, str, str, str, list[tuple[str, str, bool]]],
) -> None:
    old_params, old_returns, new_params, new_returns, expected = case
    old = one_function(old_params, old_returns)
    assert changes(old, one_function(new_params, new_returns)) == expected


def test_a_field_type_never_widens() -> None:
    """A field is read and written: widening it breaks the readers."""
    old = "class Row(NamedTuple):\n    keys: Sequence[int]\n"
    assert changes(old, old.replace("Sequence[int]", "Iterable[int]")) == [
        ("Row.keys", "changed type", BREAKING)
    ]


# Overloads: a function is its overloads; the implementation is not callable surface


PLAIN = """
class Repo:
    async def save_batch(self, items: Sequence[P]) -> list[P]:
        return []
"""
OVERLOADED = """
class Repo:
    @overload
    async def save_batch(
        self, items: Sequence[P], *, returning: Literal[True] = True
    ) -> list[P]: ...

    @overload
    async def save_batch(self, items: Sequence[P], *, returning: Literal[False]) -> int: ...

    async def save_batch(self, items: Sequence[P], *, returning: bool = True) -> list[P] | int:
        return []
"""
TRUE_SHAPE = "(self, items: Sequence[P], *, returning: Literal[True] = True)"
FALSE_SHAPE = "(self, items: Sequence[P], *, returning: Literal[False])"


def test_overloads_added_over_the_old_signature_are_additive() -> None:
    assert changes(PLAIN, OVERLOADED) == [
        ("Repo.save_batch()", "new overload", ADDITIVE),
        ("Repo.save_batch(returning)", "new optional parameter", ADDITIVE),
    ]
    assert details(PLAIN, OVERLOADED) == [
        f"`async def save_batch{FALSE_SHAPE} -> int`",
        "`returning: Literal[True] = True`",
    ]


def test_an_overload_whose_return_type_changed_is_breaking() -> None:
    moved_on = OVERLOADED.replace("Literal[False]) -> int", "Literal[False]) -> list[int]")
    assert changes(OVERLOADED, moved_on) == [("Repo.save_batch()", "changed return type", BREAKING)]
    assert details(OVERLOADED, moved_on) == [f"calls `{FALSE_SHAPE}`: `int` → `list[int]`"]


def test_an_overload_whose_return_type_narrowed_is_additive() -> None:
    narrowed = OVERLOADED.replace("-> list[P]: ...", "-> list[P] | None: ...")
    assert changes(narrowed, OVERLOADED) == [
        ("Repo.save_batch()", "narrowed return type", ADDITIVE)
    ]


def test_the_implementation_is_not_callable_surface() -> None:
    other_implementation = OVERLOADED.replace(
        "returning: bool = True) -> list[P] | int:", "returning: object = True) -> object:"
    )
    assert changes(OVERLOADED, other_implementation) == []
    assert changes(OVERLOADED, OVERLOADED) == []


def test_overloads_in_another_order_change_nothing_when_no_call_moves() -> None:
    true_first = OVERLOADED.index("    @overload")
    false_first = OVERLOADED.index("    @overload", true_first + 1)
    implementation = OVERLOADED.index(
        "    async def save_batch(self, items: Sequence[P], *, returning: bool"
    )
    swapped = (
        OVERLOADED[:true_first]
        + OVERLOADED[false_first:implementation]
        + OVERLOADED[true_first:false_first]
        + OVERLOADED[implementation:]
    )
    assert changes(OVERLOADED, swapped) == []


def test_overloads_folded_into_one_signature_widen_the_return_type() -> None:
    """Calls that passed ``returning=True`` got ``list[P]``; now they get ``list[P] | int``."""
    folded = PLAIN.replace(
        "items: Sequence[P]) -> list[P]:",
        "items: Sequence[P], *, returning: bool = True) -> list[P] | int:",
    )
    assert changes(OVERLOADED, folded) == [
        ("Repo.save_batch()", "changed return type", BREAKING),
        ("Repo.save_batch()", "changed return type", BREAKING),
        ("Repo.save_batch(returning)", "default added, now optional", ADDITIVE),
        ("Repo.save_batch(returning)", "widened type", ADDITIVE),
        ("Repo.save_batch(returning)", "widened type", ADDITIVE),
    ]
    assert details(OVERLOADED, folded)[:2] == [
        f"calls `{FALSE_SHAPE}`: `int` → `list[P] | int`",
        f"calls `{TRUE_SHAPE}`: `list[P]` → `list[P] | int`",
    ]


def test_a_removed_overload_leaves_its_calls_behind() -> None:
    keys = OVERLOADED.replace(
        "returning: Literal[False]) -> int", "returning: Literal['keys']) -> list[K]"
    )
    assert changes(OVERLOADED, keys) == [
        ("Repo.save_batch()", "calls no longer accepted", BREAKING),
        ("Repo.save_batch()", "new overload", ADDITIVE),
    ]
    assert details(OVERLOADED, keys)[0] == (
        f"`async def save_batch{FALSE_SHAPE} -> int`: no overload takes them"
    )


IMPLEMENTATION = "def find(x: int | str) -> int | str:\n    return 0\n"
INT = "@overload\ndef find(x: int) -> int: ...\n"
STR = "@overload\ndef find(x: str) -> str: ...\n"
WIDE = "@overload\ndef find(x: int | str) -> int: ...\n"


def test_a_new_overload_before_the_one_old_calls_reach_may_take_them() -> None:
    """``find(1)`` returned ``int``; a type checker now matches it to the first overload."""
    old = "def find(x: int | str) -> int:\n    return 0\n"
    new = INT.replace("-> int", "-> str") + WIDE + IMPLEMENTATION
    assert changes(old, new) == [("find()", "new overload", BREAKING)]
    assert details(old, new) == [
        "`def find(x: int) -> str`, before the overload that took calls `(x: int | str)`"
    ]


def test_a_new_overload_after_the_one_old_calls_reach_is_additive() -> None:
    old = "def find(x: int) -> int:\n    return 0\n"
    assert changes(old, INT + STR + IMPLEMENTATION) == [("find()", "new overload", ADDITIVE)]


def test_typing_overload_and_stubs_without_implementation() -> None:
    spelled = (INT + STR).replace("@overload", "@typing.overload")
    assert changes(INT + STR, spelled) == []
    assert changes(INT + STR, spelled + IMPLEMENTATION) == []


def test_an_overload_no_call_can_reach_promises_nothing() -> None:
    """``find(1)`` always matched ``WIDE``: dropping the ``INT`` overload behind it is no change."""
    assert changes(WIDE + INT + IMPLEMENTATION, WIDE + IMPLEMENTATION) == []


def test_a_new_overloaded_method_shows_every_overload() -> None:
    empty = "class Repo:\n    pass\n"
    assert details(empty, OVERLOADED) == [
        f"`async def save_batch{TRUE_SHAPE} -> list[P]`; `async def save_batch{FALSE_SHAPE} -> int`"
    ]


# The real case: issue 9's generated API against the one before it (6b39043)


BEFORE_ISSUE_9 = """
class CountryRepository:
    async def save_batch(self, items: Sequence[Country]) -> list[Country]:
        return await _rt.save_batch(self._session, COUNTRY_TABLE, items)

    async def upsert_batch(self, items: Sequence[Country]) -> list[Country]:
        return await _rt.upsert_batch(self._session, COUNTRY_TABLE, items)

    async def save_batch_chunked(
        self, items: Sequence[Country], *, chunk_size: int = 1000, atomic: bool = True
    ) -> _rt.BatchResult[Country]:
        return await _rt.save_batch_chunked(
            self._session, COUNTRY_TABLE, items, chunk_size=chunk_size, atomic=atomic
        )

    async def delete_batch_chunked(
        self, keys: Sequence[CountryKey], *, chunk_size: int = 1000, atomic: bool = True
    ) -> _rt.BatchResult[CountryKey]:
        return await _rt.delete_batch_chunked(
            self._session, COUNTRY_TABLE, keys, chunk_size=chunk_size, atomic=atomic
        )
"""
AFTER_ISSUE_9 = """
class CountryRepository:
    @overload
    async def save_batch(
        self, items: Sequence[Country], *, returning: Literal[True] = True
    ) -> list[Country]: ...

    @overload
    async def save_batch(self, items: Sequence[Country], *, returning: Literal[False]) -> int: ...

    async def save_batch(
        self, items: Sequence[Country], *, returning: bool = True
    ) -> list[Country] | int:
        return await _rt.save_batch(self._session, COUNTRY_TABLE, items, returning=returning)

    @overload
    async def upsert_batch(
        self, items: Sequence[Country], *, returning: Literal[True] = True
    ) -> list[Country]: ...

    @overload
    async def upsert_batch(self, items: Sequence[Country], *, returning: Literal[False]) -> int: ...

    async def upsert_batch(
        self, items: Sequence[Country], *, returning: bool = True
    ) -> list[Country] | int:
        return await _rt.upsert_batch(self._session, COUNTRY_TABLE, items, returning=returning)

    async def save_batch_chunked(
        self,
        items: Iterable[Country] | AsyncIterable[Country],
        *,
        chunk_size: int = 1000,
        atomic: bool = True,
        returning: bool = True,
        concurrency: int = 1,
    ) -> _rt.BatchResult[Country]:
        return await _rt.save_batch_chunked(self._session, COUNTRY_TABLE, items)

    async def delete_batch_chunked(
        self,
        keys: Iterable[CountryKey] | AsyncIterable[CountryKey],
        *,
        chunk_size: int = 1000,
        atomic: bool = True,
        returning: bool = True,
        concurrency: int = 1,
    ) -> _rt.BatchResult[CountryKey]:
        return await _rt.delete_batch_chunked(self._session, COUNTRY_TABLE, keys)
"""


def test_issue_9_changed_no_call_that_worked() -> None:
    """The signatures as generated at 6b39043 and after issue 9 (``generated/ledger/country.py``):
    overloads for ``returning=`` and chunked writes over any iterable break no caller."""
    found = changes(BEFORE_ISSUE_9, AFTER_ISSUE_9)
    assert [change for change in found if change[2] is BREAKING] == []
    assert [(symbol.removeprefix("CountryRepository."), what) for symbol, what, _ in found] == [
        ("delete_batch_chunked(concurrency)", "new optional parameter"),
        ("delete_batch_chunked(keys)", "widened type"),
        ("delete_batch_chunked(returning)", "new optional parameter"),
        ("save_batch()", "new overload"),
        ("save_batch(returning)", "new optional parameter"),
        ("save_batch_chunked(concurrency)", "new optional parameter"),
        ("save_batch_chunked(items)", "widened type"),
        ("save_batch_chunked(returning)", "new optional parameter"),
        ("upsert_batch()", "new overload"),
        ("upsert_batch(returning)", "new optional parameter"),
    ]


def test_undoing_issue_9_breaks_callers() -> None:
    """The same change backwards: calls passing ``returning=`` or a generator break."""
    found = changes(AFTER_ISSUE_9, BEFORE_ISSUE_9)
    assert [
        (symbol.removeprefix("CountryRepository."), what) for symbol, what, b in found if b
    ] == [
        ("delete_batch_chunked(concurrency)", "removed parameter"),
        ("delete_batch_chunked(keys)", "changed type"),
        ("delete_batch_chunked(returning)", "removed parameter"),
        ("save_batch()", "changed return type"),  # for the calls that passed returning=False
        ("save_batch(returning)", "removed parameter"),  # returning: Literal[False]
        ("save_batch(returning)", "removed parameter"),  # returning: Literal[True] = True
        ("save_batch_chunked(concurrency)", "removed parameter"),
        ("save_batch_chunked(items)", "changed type"),
        ("save_batch_chunked(returning)", "removed parameter"),
        ("upsert_batch()", "changed return type"),
        ("upsert_batch(returning)", "removed parameter"),
        ("upsert_batch(returning)", "removed parameter"),
    ]
