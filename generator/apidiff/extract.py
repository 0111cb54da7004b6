"""Source text of a generated package -> its public :class:`Api`, read with libcst.

Only top-level statements count (the generator never hides names under ``if`` blocks).
A name is public unless it starts with ``_``; inside classes, dunder methods such as
``__init__`` are public too, because they shape how the class is built and used. A private
module (``ledger/_person_table.py``, the columns, keys and statements of ``person``) is no part
of the API at all.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Mapping, Sequence

import libcst as cst

from ..emit.pycode import CONTRACT_ALIAS, CONTRACT_MODULE
from .surface import (
    Api,
    ClassApi,
    ClassKind,
    Constant,
    Field,
    Function,
    ModuleApi,
    Param,
    ParamKind,
    Symbol,
    TypeAlias,
)

_EMPTY_MODULE = cst.Module(body=[])
_OVERLOAD = frozenset({"overload", "typing.overload", "typing_extensions.overload"})


class SourceError(ValueError):
    """A file of the package is not valid Python."""


def api_of_sources(sources: Mapping[str, str]) -> Api:
    """The public API of a package given as ``{path under the output dir: source text}``.

    Paths end in ``.py`` (others are ignored); ``ledger/person.py`` is module ``ledger.person``
    and ``ledger/__init__.py`` is ``ledger``; private modules are left out."""
    modules: dict[str, ModuleApi] = {}
    for path in sorted(sources):
        if not path.endswith(".py") or not all(map(is_public, module_name(path).split("."))):
            continue
        try:
            tree = cst.parse_module(sources[path])
        except cst.ParserSyntaxError as error:
            raise SourceError(
                f"{path}: line {error.raw_line}: not valid Python: {error.message}"
            ) from error
        name = module_name(path)
        modules[name] = _module_api(name, tree)
    return Api(modules=modules)


def module_name(path: str) -> str:
    parts = path.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def canonical(node: cst.CSTNode) -> str:
    """Source text of an expression, independent of formatting and line wrapping, and of how
    the runtime is imported: ``_rt.TableSpec`` (through the contract) reads ``TableSpec``."""
    text = _EMPTY_MODULE.code_for_node(node).strip()
    try:
        tree = _Unqualified().visit(ast.parse(f"({text})", mode="eval").body)
        return ast.unparse(tree)
    except SyntaxError:  # libcst accepts a little more than this Python's ast; keep the text
        return " ".join(text.split())


class _Unqualified(ast.NodeTransformer):
    """``_rt.Name`` -> ``Name``: the contract alias is how a runtime name is reached, not part
    of the type (code generated before the contract imported the same classes by name)."""

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if isinstance(node.value, ast.Name) and node.value.id == CONTRACT_ALIAS:
            return ast.Name(id=node.attr, ctx=node.ctx)
        return self.generic_visit(node)


def canonical_annotation(node: cst.CSTNode) -> str:
    """Like :func:`canonical`, and a quoted annotation (``"Person"``) reads as the expression it
    quotes, so quoting a forward reference is no change."""
    text = canonical(node)
    try:
        tree = ast.parse(f"({text})", mode="eval").body
        if isinstance(tree, ast.Constant) and isinstance(tree.value, str):
            return ast.unparse(ast.parse(f"({tree.value})", mode="eval").body)
    except SyntaxError:
        pass
    return text


def is_public(name: str) -> bool:
    return not name.startswith("_")


def _module_api(name: str, tree: cst.Module) -> ModuleApi:
    symbols: dict[str, Symbol] = {}
    exports: tuple[str, ...] | None = None
    contract: int | None = None
    for statement in tree.body:
        if isinstance(statement, cst.ClassDef):
            if is_public(statement.name.value):
                symbols[statement.name.value] = _class_api(statement)
        elif isinstance(statement, cst.FunctionDef):
            if is_public(statement.name.value):
                _add_function(symbols, statement)
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                contract = _runtime_contract(small) or contract
                if _assigned_name(small) == "__all__":
                    exports = _exports(small)
                    continue
                symbol = _assignment_symbol(small)
                if symbol is not None and is_public(symbol.name):
                    symbols[symbol.name] = symbol
    return ModuleApi(name=name, symbols=symbols, exports=exports, runtime_contract=contract)


def _runtime_contract(small: cst.BaseSmallStatement) -> int | None:
    """``N`` of ``from batchrepo.contract import vN as _rt``, else None."""
    if not isinstance(small, cst.ImportFrom) or small.module is None:
        return None
    if canonical(small.module) != CONTRACT_MODULE or isinstance(small.names, cst.ImportStar):
        return None
    for alias in small.names:
        name = canonical(alias.name)
        if name.startswith("v") and name[1:].isdigit():
            return int(name[1:])
    return None


def _assigned_name(small: cst.BaseSmallStatement) -> str | None:
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        return target.value if isinstance(target, cst.Name) else None
    if isinstance(small, cst.AnnAssign | cst.AugAssign) and isinstance(small.target, cst.Name):
        return small.target.value
    if isinstance(small, cst.TypeAlias):
        return small.name.value
    return None


def _assignment_symbol(small: cst.BaseSmallStatement) -> TypeAlias | Constant | None:
    name = _assigned_name(small)
    if name is None:
        return None
    if isinstance(small, cst.TypeAlias):
        return TypeAlias(name=name, target=canonical_annotation(small.value))
    if isinstance(small, cst.AnnAssign):
        annotation = canonical_annotation(small.annotation.annotation)
        if annotation in ("TypeAlias", "typing.TypeAlias") and small.value is not None:
            return TypeAlias(name=name, target=canonical_annotation(small.value))
        return Constant(name=name, annotation=annotation)
    if isinstance(small, cst.Assign) and _looks_like_type_name(name):
        return TypeAlias(name=name, target=canonical_annotation(small.value))
    if isinstance(small, cst.Assign):
        return Constant(name=name, annotation=None)
    return None


def _looks_like_type_name(name: str) -> bool:
    """``PersonKey = uuid.UUID`` names a type; ``PERSON_TABLE = ...`` is a constant."""
    return name[:1].isupper() and not name.isupper()


def _exports(small: cst.BaseSmallStatement) -> tuple[str, ...]:
    value = small.value if isinstance(small, cst.Assign | cst.AnnAssign) else None
    if not isinstance(value, cst.List | cst.Tuple):
        return ()
    names: list[str] = []
    for element in value.elements:
        if isinstance(element.value, cst.SimpleString):
            evaluated = element.value.evaluated_value
            if isinstance(evaluated, str):
                names.append(evaluated)
    return tuple(names)


def _add_function(
    functions: dict[str, Symbol] | dict[str, Function], node: cst.FunctionDef
) -> None:
    """Add ``node`` under its name; ``@overload`` signatures gather on the name in source order
    and the implementation that follows them carries them all (in a stub, with no
    implementation, the last overload does)."""
    function = _function(node)
    earlier = functions.get(function.name)
    overloads = earlier.overloads if isinstance(earlier, Function) else ()
    if any(decorator in _OVERLOAD for decorator in function.decorators):
        decorators = tuple(d for d in function.decorators if d not in _OVERLOAD)
        signature = dataclasses.replace(function, decorators=decorators)
        overloads += (signature,)
        functions[function.name] = dataclasses.replace(signature, overloads=overloads)
    else:
        functions[function.name] = dataclasses.replace(function, overloads=overloads)


def _function(node: cst.FunctionDef) -> Function:
    parameters = node.params
    params: list[Param] = []
    params += [_param(p, "positional-only") for p in parameters.posonly_params]
    params += [_param(p, "positional-or-keyword") for p in parameters.params]
    if isinstance(parameters.star_arg, cst.Param):
        params.append(_param(parameters.star_arg, "var-positional"))
    params += [_param(p, "keyword-only") for p in parameters.kwonly_params]
    if parameters.star_kwarg is not None:
        params.append(_param(parameters.star_kwarg, "var-keyword"))
    return Function(
        name=node.name.value,
        params=tuple(params),
        returns=canonical_annotation(node.returns.annotation) if node.returns is not None else None,
        is_async=node.asynchronous is not None,
        decorators=tuple(canonical(d.decorator) for d in node.decorators),
    )


def _param(param: cst.Param, kind: ParamKind) -> Param:
    return Param(
        name=param.name.value,
        kind=kind,
        annotation=canonical_annotation(param.annotation.annotation) if param.annotation else None,
        default=canonical(param.default) if param.default is not None else None,
    )


def _class_api(node: cst.ClassDef) -> ClassApi:
    decorators = tuple(canonical(d.decorator) for d in node.decorators)
    bases = tuple(canonical(arg.value) for arg in node.bases)
    kind = _class_kind(decorators, bases)
    fields: list[Field] = []
    members: dict[str, str] = {}
    methods: dict[str, Function] = {}
    attributes: set[str] = set()
    for statement in _class_body(node):
        if isinstance(statement, cst.FunctionDef):
            if _is_public_member(statement.name.value):
                _add_function(methods, statement)
            continue
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            name = _assigned_name(small)
            if name is None or not is_public(name):
                continue
            if isinstance(small, cst.AnnAssign) and not _is_class_var(small):
                fields.append(_field(name, small))
            elif kind == "enum" and isinstance(small, cst.Assign):
                members[name] = canonical(small.value)
            else:
                attributes.add(name)
    declaration = " ".join(f"@{d}" for d in decorators)
    declaration += f" ({', '.join(bases)})" if bases else ""
    return ClassApi(
        name=node.name.value,
        kind=kind,
        declaration=declaration.strip(),
        positional_fields=kind == "namedtuple" or (kind == "dataclass" and not _kw_only(node)),
        fields=tuple(fields),
        members=members,
        methods=methods,
        attributes=frozenset(attributes),
    )


def _class_body(node: cst.ClassDef) -> Sequence[cst.BaseStatement]:
    body = node.body
    if isinstance(body, cst.SimpleStatementSuite):  # "class Empty: pass" on one line
        return [cst.SimpleStatementLine(body=body.body)]
    assert isinstance(body, cst.IndentedBlock)
    return body.body


def _is_public_member(name: str) -> bool:
    return is_public(name) or (name.startswith("__") and name.endswith("__"))


def _class_kind(decorators: Sequence[str], bases: Sequence[str]) -> ClassKind:
    base_names = [base.rsplit(".", 1)[-1] for base in bases]
    if any(base.endswith(("Enum", "Flag")) for base in base_names):
        return "enum"
    if "NamedTuple" in base_names:
        return "namedtuple"
    if any(d.split("(", 1)[0].rsplit(".", 1)[-1] == "dataclass" for d in decorators):
        return "dataclass"
    return "class"


def _kw_only(node: cst.ClassDef) -> bool:
    for decorator in node.decorators:
        call = decorator.decorator
        if isinstance(call, cst.Call):
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value == "kw_only":
                    return canonical(arg.value) == "True"
    return False


def _is_class_var(small: cst.AnnAssign) -> bool:
    return canonical_annotation(small.annotation.annotation).split("[", 1)[0] in (
        "ClassVar",
        "typing.ClassVar",
    )


def _field(name: str, small: cst.AnnAssign) -> Field:
    return Field(
        name=name,
        annotation=canonical_annotation(small.annotation.annotation),
        default=_field_default(small.value),
    )


def _field_default(value: cst.BaseExpression | None) -> str | None:
    """``= 0`` and ``= dataclasses.field(default_factory=f)`` give a default;
    ``= dataclasses.field(repr=False)`` does not: the constructor still requires the field."""
    if value is None:
        return None
    if isinstance(value, cst.Call) and canonical(value.func) in ("dataclasses.field", "field"):
        for arg in value.args:
            if arg.keyword is not None and arg.keyword.value in ("default", "default_factory"):
                value_text = canonical(arg.value)
                return (
                    value_text
                    if arg.keyword.value == "default"
                    else f"field({arg.keyword.value}={value_text})"
                )
        return None
    return canonical(value)
