"""Which annotation holds every value of another: the one question behind widened parameters
and narrowed return types.

A caller passes values of the old parameter type; the new parameter still takes them when the
old type is *within* the new one (``Sequence[Person]`` within ``Iterable[Person] |
AsyncIterable[Person]``). A caller receives values of the new return type; its code still
holds when the new type is within the old one. Everything else about a type change breaks
someone, so this module answers only "within or not", and answers "not" whenever it is unsure:
a false alarm costs a reviewer a look, a missed break costs a caller a crash.

The rules, all of them (annotations are canonical source text, see :mod:`.extract`):

* A union (``A | B``, ``Union[A, B]``, ``Optional[A]``, ``Literal['a', 'b']``) is within
  another type when each of its members is.
* A member is within a union when it is within one of the union's members.
* Equal text is within; every type is within ``object``.
* ``Literal[v]`` is within the type of ``v`` (``bool``, ``int``, ``str``, ``bytes``).
* ``A[x]`` is within ``B[y]`` when ``B`` is ``A`` or one of :data:`SUPERTYPES` of ``A``, and
  the arguments fit ``B``'s :data:`VARIANCE`: covariant arguments may be within, others must be
  equal. A bare ``B`` (arguments left out, so ``Any``) takes any ``A[...]``; a bare ``A`` is
  within ``B[y]`` only when ``B`` is bare too.
* Names are compared without their module (``typing.Sequence``, ``collections.abc.Sequence``
  and ``Sequence`` are one name), and ``typing``'s capitalised aliases of builtins read as the
  builtins (``List`` is ``list``). Unknown names (the package's own classes, ``Any``, callables)
  are within only what they equal: the diff knows no class hierarchy but this table's.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator

# Direct supertypes, each taking its subtype's type arguments one to one (so ``Mapping`` ->
# ``Collection``, which keeps only the key, and ``tuple[X, ...]`` -> ``Sequence[X]`` are left
# out). ``int`` -> ``float`` -> ``complex`` is the numeric promotion type checkers apply.
SUPERTYPES: dict[str, tuple[str, ...]] = {
    "list": ("MutableSequence",),
    "deque": ("MutableSequence",),
    "MutableSequence": ("Sequence",),
    "Sequence": ("Collection", "Reversible"),
    "set": ("MutableSet",),
    "MutableSet": ("Set",),
    "frozenset": ("Set",),
    "Set": ("Collection",),
    "Collection": ("Iterable", "Container", "Sized"),
    "dict": ("MutableMapping",),
    "MutableMapping": ("Mapping",),
    "Iterator": ("Iterable",),
    "AsyncIterator": ("AsyncIterable",),
    "bool": ("int",),
    "int": ("float",),
    "float": ("complex",),
}

# How the type arguments of a (wider) generic compare: "+" covariant (read-only containers:
# a Sequence[int] is a Sequence[int | None]), "=" invariant (mutable ones: a list[int] is not a
# list[int | None], someone may append None to it). Generics not listed are invariant.
VARIANCE: dict[str, str] = {
    "Iterable": "+",
    "Iterator": "+",
    "AsyncIterable": "+",
    "AsyncIterator": "+",
    "Awaitable": "+",
    "Container": "+",
    "Collection": "+",
    "Reversible": "+",
    "Sequence": "+",
    "Set": "+",
    "frozenset": "+",
    "tuple": "+",
    "type": "+",
    "Mapping": "=+",
}

_ALIASES = {
    "List": "list",
    "Dict": "dict",
    "FrozenSet": "frozenset",
    "Tuple": "tuple",
    "Type": "type",
    "Deque": "deque",
    "AbstractSet": "Set",
}
_MODULES = ("typing.", "typing_extensions.", "collections.abc.", "collections.", "builtins.")
_UNION_FORMS = {"Union", "Optional"}
_LITERAL_TYPES = {bool: "bool", int: "int", str: "str", bytes: "bytes"}


def is_within(narrow: str | None, wide: str | None) -> bool:
    """Every value of ``narrow`` is a value of ``wide`` (an absent annotation is within only
    another absent one)."""
    if narrow is None or wide is None:
        return narrow is wide
    narrow_node, wide_node = _parse(narrow), _parse(wide)
    if narrow_node is None or wide_node is None:
        return narrow == wide
    return _within(narrow_node, wide_node)


def literal_values(annotation: str | None) -> frozenset[str] | None:
    """The values of a type made of literals only (``Literal[True]``, ``Literal['a'] | None``),
    as source text; None for any other type. Two such sets without a common value mean no
    value fits both: an overload asking for ``Literal[False]`` never takes a call that passes
    ``Literal[True]``."""
    node = _parse(annotation) if annotation is not None else None
    if node is None:
        return None
    values: set[str] = set()
    for member in _members(node):
        if _is_literal(member):
            assert isinstance(member, ast.Subscript)
            values.add(ast.unparse(member.slice))
        elif isinstance(member, ast.Constant) and member.value is None:
            values.add("None")
        else:
            return None
    return frozenset(values)


def _parse(annotation: str) -> ast.expr | None:
    try:
        return ast.parse(f"({annotation})", mode="eval").body
    except SyntaxError:
        return None


def _within(narrow: ast.expr, wide: ast.expr) -> bool:
    wide_members = list(_members(wide))
    return all(
        any(_member_within(member, other) for other in wide_members) for member in _members(narrow)
    )


def _members(node: ast.expr) -> Iterator[ast.expr]:
    """The members of a union, flattened; ``Literal['a', 'b']`` as ``Literal['a']`` and
    ``Literal['b']``; any other type as itself."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        yield from _members(node.left)
        yield from _members(node.right)
    elif isinstance(node, ast.Subscript) and _name(node.value) in _UNION_FORMS:
        inner = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for element in inner:
            yield from _members(element)
        if _name(node.value) == "Optional":
            yield ast.Constant(value=None)
    elif _is_literal(node) and isinstance(node, ast.Subscript):
        inner = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for element in inner:
            yield ast.Subscript(value=node.value, slice=element, ctx=ast.Load())
    else:
        yield node


def _member_within(narrow: ast.expr, wide: ast.expr) -> bool:
    if ast.dump(narrow) == ast.dump(wide) or _name(wide) == "object":
        return True
    if _is_literal(narrow) and isinstance(narrow, ast.Subscript):
        literal_type = _literal_type(narrow.slice)
        return literal_type is not None and _member_within(ast.Name(id=literal_type), wide)
    narrow_name, wide_name = _generic_name(narrow), _generic_name(wide)
    if narrow_name is None or wide_name is None:
        return False
    if wide_name != narrow_name and wide_name not in _supertypes(narrow_name):
        return False
    if not isinstance(wide, ast.Subscript):
        return True  # a bare generic takes any arguments
    if not isinstance(narrow, ast.Subscript):
        return False
    return _arguments_fit(_arguments(narrow), _arguments(wide), VARIANCE.get(wide_name, ""))


def _arguments_fit(narrow: list[ast.expr], wide: list[ast.expr], variance: str) -> bool:
    if len(narrow) != len(wide):
        return False
    if variance == "+":
        variance *= len(wide)  # one covariant parameter per argument (tuple, or only one)
    for index, (mine, theirs) in enumerate(zip(narrow, wide, strict=True)):
        covariant = variance[index : index + 1] == "+"
        if covariant and not _within(mine, theirs):
            return False
        if not covariant and not (_within(mine, theirs) and _within(theirs, mine)):
            return False
    return True


def _arguments(node: ast.Subscript) -> list[ast.expr]:
    return list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]


def _generic_name(node: ast.expr) -> str | None:
    name = _name(node.value if isinstance(node, ast.Subscript) else node)
    return _ALIASES.get(name, name) if name else None


def _name(node: ast.expr) -> str:
    """``typing.Sequence`` -> ``Sequence``; "" for anything that is not a (dotted) name."""
    if isinstance(node, ast.Name | ast.Attribute):
        text = ast.unparse(node)
        for module in _MODULES:
            text = text.removeprefix(module)
        return text
    if isinstance(node, ast.Constant) and node.value is None:
        return "None"
    return ""


def _is_literal(node: ast.expr) -> bool:
    return isinstance(node, ast.Subscript) and _name(node.value) == "Literal"


def _literal_type(value: ast.expr) -> str | None:
    if isinstance(value, ast.Constant):
        if value.value is None:
            return "None"
        return _LITERAL_TYPES.get(type(value.value))
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
        return _literal_type(value.operand)
    return None  # an enum member: its class is not known here


@functools.cache
def _supertypes(name: str) -> frozenset[str]:
    """Every supertype of ``name`` in :data:`SUPERTYPES`, however far up."""
    found: set[str] = set()
    for parent in SUPERTYPES.get(name, ()):
        found |= {parent} | _supertypes(parent)
    return frozenset(found)
