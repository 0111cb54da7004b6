"""Pydantic models with the runtime's own column rules, for an API edge (FastAPI and the like).

A package whose schema says ``pydantic_models: true`` gets ``<package>/pydantic_models.py``:
per aggregate a :class:`PydanticModel` subclass whose fields are annotated with
:func:`pydantic_column` over the very ``ColumnSpec`` its repository validates with. So the
model accepts and refuses exactly what ``validate_batch`` does, by construction:

* a Python value goes through :func:`batchrepo.validate.fields.column_problems`, the function
  the repositories call: types (``Decimal`` or ``int`` for numeric, never ``float``), lengths
  (``char(n)`` ignoring the padding PostgreSQL ignores), numeric precision and scale (never
  rounded), ranges, enum values, NUL, time zones, JSON data; then it is stored as the entity's
  type (an enum's text as its member, an ``int`` of a numeric column as ``Decimal``,
  ``bytearray`` as ``bytes``, a tuple as a list);
* JSON is first read as the entity's types: uuid, dates, times and durations from ISO strings,
  bytea from base64, numeric from integers, decimal strings and, where ``numeric(p, s)`` has
  ``p <= 15``, JSON fractions (any valid value has at most 15 digits, which a double keeps
  exactly; beyond, a JSON fraction could already have lost digits, so it is refused: send a
  string). Then the same rules apply;
* None, and a value where the database draws one, depend on the write: the model checks them as
  an insert unless validated with ``context={"mode": "update"}`` (or ``"upsert"``) or its class
  says otherwise (``class CountryUpdate(CountryModel): write_mode = "update"``).

The JSON schema shows the rules: ``maxLength``/``minLength`` (varchar), a ``pattern`` (char(n)
with its padding; numeric strings with their precision and scale; no NUL in text),
``minimum``/``maximum`` (integer ranges and checks), ``exclusiveMinimum``/``exclusiveMaximum``
(numeric, and the checks ``min_exclusive``/``max_exclusive``) and ``multipleOf`` (numeric),
``enum`` (enums, and the check ``in``: for ``char(n)`` with each padding PostgreSQL ignores), a
``pattern`` for ``min_trimmed_length``, formats.

pydantic is an optional dependency of the runtime: only this module imports it, and the
contract (:mod:`batchrepo.contract.v1`) imports this module when generated code first asks for
one of its names, so a package without pydantic models never needs pydantic.
"""

from __future__ import annotations

import enum
import math
import re
import typing
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar, Self, get_args, get_origin

import pydantic
from pydantic_core import PydanticCustomError, core_schema

from batchrepo.key_matching import blank_padded
from batchrepo.spec import ColumnSpec, WriteMode
from batchrepo.validate.column_rules import FLOAT4_MAX, INTEGER_RANGES
from batchrepo.validate.fields import column_problems
from batchrepo.validate.report import Problem

#: Largest numeric precision whose every value a JSON fraction (a double) carries exactly.
EXACT_FLOAT_DIGITS = 15

_WRITE_MODES = ("insert", "update", "upsert")
#: Plain decimal notation, as JSON strings for numeric columns must be written.
_DECIMAL_TEXT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
#: The location part of a runtime message about one value (``.code row 0: ``).
_WHERE = re.compile(r"^\.[^ ]* row 0(?: (element [0-9]+))?: ")


class ColumnRules:
    """``Annotated`` metadata making a field validate as the runtime validates ``column``."""

    def __init__(self, column: ColumnSpec) -> None:
        self.column = column
        self.enum_class: type[enum.Enum] | None = None
        self.nullable = False

    def __repr__(self) -> str:
        return f"pydantic_column({self.column.name!r})"

    # --- validation -------------------------------------------------------------------

    def __get_pydantic_core_schema__(
        self, source: Any, handler: pydantic.GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        self.enum_class = _enum_in(source)
        self.nullable = _optional(source)
        python = core_schema.no_info_plain_validator_function(self.python_value)
        element = _json_element(self.column)
        if self.column.is_array:
            element = core_schema.list_schema(core_schema.nullable_schema(element))
        from_json = core_schema.chain_schema([core_schema.nullable_schema(element), python])
        return core_schema.json_or_python_schema(json_schema=from_json, python_schema=python)

    def python_value(self, value: Any) -> Any:
        """The value as the entity holds it, when the runtime accepts it (None is judged by the
        model, which knows the write: :meth:`PydanticModel._write_rules`)."""
        if value is None:
            return None
        # "update": a value given where the database draws one is judged by the model too
        problems = column_problems("", self.column, [value], "update")
        if problems:
            raise _error(problems)
        if self.column.is_array:
            return [None if item is None else self._stored(item) for item in value]
        return self._stored(value)

    def _stored(self, value: Any) -> Any:
        kind = self.column.kind
        if kind == "enum" and self.enum_class is not None and not isinstance(value, enum.Enum):
            return self.enum_class(value)
        if kind == "numeric" and not isinstance(value, Decimal):
            return Decimal(value)
        if kind == "bytea" and not isinstance(value, bytes):
            return bytes(value)
        return value

    # --- JSON schema --------------------------------------------------------------------

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: pydantic.GetJsonSchemaHandler
    ) -> dict[str, Any]:
        element = json_schema(self.column, self.enum_class)
        if self.column.is_array:
            items = element
            if self.column.nullable_elements:
                items = {"anyOf": [element, {"type": "null"}]}
            element = {"type": "array", "items": items}
        if self.nullable:
            return {"anyOf": [element, {"type": "null"}]}
        return element


def pydantic_column(column: ColumnSpec) -> ColumnRules:
    """The ``Annotated`` metadata of a model field holding ``column``'s values."""
    return ColumnRules(column)


#: ``pydantic.Field``, for a field's alias and default factory: generated modules reach
#: pydantic through the runtime contract only.
pydantic_field = pydantic.Field


class PydanticModel(pydantic.BaseModel):
    """The base of the generated models: unknown keys refused, names by column (a field renamed
    for Python keeps its column's name as alias), attribute docstrings as descriptions, bytes as
    base64 in JSON, and the checks that depend on the write (:meth:`_write_rules`)."""

    model_config = pydantic.ConfigDict(
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        use_attribute_docstrings=True,
        ser_json_bytes="base64",
        val_json_bytes="base64",
        protected_namespaces=(),
    )

    #: How None and values the database draws are judged when the validation context does not
    #: say (``context={"mode": "update"}``).
    write_mode: ClassVar[WriteMode] = "insert"

    @pydantic.model_validator(mode="after")
    def _write_rules(self, info: pydantic.ValidationInfo) -> Self:
        """None where the write needs a value, a value where the database draws one: the
        runtime's ``required`` and ``identity_set`` problems, by field."""
        mode = _mode(info.context, type(self).write_mode)
        errors: list[Any] = []
        for name, field in type(self).model_fields.items():
            rules = next((m for m in field.metadata if isinstance(m, ColumnRules)), None)
            if rules is None:
                continue
            value = getattr(self, name)
            column = rules.column
            if value is not None and not (column.identity and mode == "insert"):
                continue
            problems = column_problems("", column, [value], mode)
            if problems:
                errors.append(
                    {"type": _error(problems), "loc": (field.alias or name,), "input": value}
                )
        if errors:
            raise pydantic.ValidationError.from_exception_data(type(self).__name__, errors)
        return self


def _mode(context: Any, default: WriteMode) -> WriteMode:
    if isinstance(context, Mapping) and "mode" in context:
        mode = context["mode"]
        if mode not in _WRITE_MODES:
            raise ValueError(f"context mode must be one of {_WRITE_MODES}, not {mode!r}")
        return typing.cast(WriteMode, mode)
    return default


def _error(problems: list[Problem]) -> PydanticCustomError:
    """The runtime's problems of one value as one pydantic error (the runtime's code as type)."""
    texts = []
    for problem in problems:
        found = _WHERE.match(problem.message)
        text = problem.message[found.end() :] if found else problem.message
        texts.append(f"{found[1]}: {text}" if found and found[1] else text)
    message = "; ".join(texts).replace("{", "{{").replace("}", "}}")
    return PydanticCustomError(problems[0].code, message)


def _enum_in(annotation: Any) -> type[enum.Enum] | None:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation
    for argument in get_args(annotation):
        found = _enum_in(argument)
        if found is not None:
            return found
    return None


def _optional(annotation: Any) -> bool:
    return get_origin(annotation) is not None and type(None) in get_args(annotation)


# --- JSON in ------------------------------------------------------------------------------


def _json_element(column: ColumnSpec) -> core_schema.CoreSchema:
    """How one value (one element of an array) is read from JSON: as the entity's type,
    before the runtime's rules."""
    kind = column.kind
    if kind == "uuid":
        return core_schema.uuid_schema()
    if kind == "bool":
        return core_schema.bool_schema(strict=True)
    if kind in INTEGER_RANGES:
        return core_schema.int_schema(strict=True)
    if kind == "numeric":
        exact = column.precision is not None and column.precision <= EXACT_FLOAT_DIGITS
        return core_schema.no_info_plain_validator_function(
            _exact_decimal if exact else _decimal_without_floats
        )
    if kind in ("float4", "float8"):
        return core_schema.float_schema(strict=True)
    if kind in ("text", "enum"):
        return core_schema.str_schema(strict=True)
    if kind == "bytea":
        return core_schema.bytes_schema()
    if kind == "date":
        return core_schema.date_schema()
    if kind == "time":
        return core_schema.time_schema()
    if kind in ("timestamp", "timestamptz"):
        return core_schema.datetime_schema()
    if kind == "interval":
        return core_schema.timedelta_schema()
    return core_schema.any_schema()  # jsonb: any JSON value, checked by the runtime


def _decimal_without_floats(value: Any) -> Any:
    if isinstance(value, float):
        raise PydanticCustomError(
            "numeric_float",
            "a JSON fraction is read as a binary float, which may already have lost digits; "
            'send this numeric value as a string ("12.34") or an integer',
        )
    return _exact_decimal(value)


def _exact_decimal(value: Any) -> Any:
    if isinstance(value, bool):
        return value  # refused by the runtime's rule, with its message
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # numeric(p <= 15): the shortest repr of the double is the decimal the client wrote
        return Decimal(repr(value)) if math.isfinite(value) else value
    if isinstance(value, str):
        if not _DECIMAL_TEXT.fullmatch(value):
            raise PydanticCustomError(
                "numeric_text", 'a numeric value as a string is plain decimal notation ("12.34")'
            )
        return Decimal(value)
    return value


# --- JSON schema --------------------------------------------------------------------------

_FORMATS: dict[str, dict[str, Any]] = {
    "uuid": {"type": "string", "format": "uuid"},
    "bool": {"type": "boolean"},
    "bytea": {"type": "string", "contentEncoding": "base64"},
    "date": {"type": "string", "format": "date"},
    "time": {"type": "string", "format": "time"},
    "timestamp": {
        "type": "string",
        "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$",
    },
    "timestamptz": {"type": "string", "format": "date-time"},
    "interval": {"type": "string", "format": "duration"},
    "jsonb": {},
}

#: No NUL (PostgreSQL text cannot hold one).
_NO_NUL = "[^\\u0000]"


def json_schema(column: ColumnSpec, enum_class: type[enum.Enum] | None = None) -> dict[str, Any]:
    """The JSON schema of one value (one element of an array) of ``column``: the rules the
    model applies, as JSON Schema can say them."""
    kind = column.kind
    if kind in _FORMATS:
        return dict(_FORMATS[kind])
    if kind in INTEGER_RANGES:
        low, high = INTEGER_RANGES[kind]
        found = {"type": "integer", **_bounds(column, low, high)}
        if column.allowed_values is not None:
            found["enum"] = sorted(column.allowed_values, key=int)
        return found
    if kind in ("float4", "float8"):
        limit = FLOAT4_MAX if kind == "float4" else None
        return {"type": "number", **_bounds(column, -limit if limit else None, limit)}
    if kind == "numeric":
        return _numeric_schema(column)
    if kind == "enum":
        values = (
            [member.value for member in enum_class]
            if enum_class is not None
            else sorted(column.enum_values or ())
        )
        return {"type": "string", "enum": values}
    return _text_schema(column)


def _bounds(column: ColumnSpec, low: Any, high: Any) -> dict[str, Any]:
    if column.minimum is not None:
        low = column.minimum if low is None else max(low, column.minimum)
    if column.maximum is not None:
        high = column.maximum if high is None else min(high, column.maximum)
    found: dict[str, Any] = {}
    if low is not None:
        found["minimum"] = _number(low)
    if high is not None:
        found["maximum"] = _number(high)
    if column.exclusive_minimum is not None:
        found["exclusiveMinimum"] = _number(column.exclusive_minimum)
    if column.exclusive_maximum is not None:
        found["exclusiveMaximum"] = _number(column.exclusive_maximum)
    return found


def _number(value: Any) -> int | float:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return typing.cast(int | float, value)


def _numeric_schema(column: ColumnSpec) -> dict[str, Any]:
    scale = column.scale or 0
    precision = column.precision
    if precision is None:
        pattern = r"^[+-]?(?=[0-9]|\.[0-9])[0-9]*(\.[0-9]*)?$"
    else:
        whole = precision - scale
        pattern = rf"^[+-]?(?=[0-9]|\.[0-9])0*[0-9]{{0,{whole}}}(\.[0-9]{{0,{scale}}}0*)?$"
    number: dict[str, Any] = {
        "type": "number" if precision is not None and precision <= EXACT_FLOAT_DIGITS else "integer"
    }
    if precision is not None:
        limit = 10 ** (precision - scale)
        number |= {"exclusiveMinimum": -limit, "exclusiveMaximum": limit}
        if number["type"] == "number":
            number["multipleOf"] = _number(Decimal(1).scaleb(-scale))
    bounds = _bounds(column, None, None)
    # the schema's strict bounds lie inside the type's (the generator checks that they fit)
    number |= bounds
    return {"anyOf": [number, {"type": "string", "pattern": pattern}]}


def _text_schema(column: ColumnSpec) -> dict[str, Any]:
    schema = _unlisted_text_schema(column)
    patterns = [schema.pop("pattern")] if "pattern" in schema else []
    if column.allowed_values is not None:
        values = sorted(str(v) for v in column.allowed_values)
        if blank_padded(column):
            # 'A' in char(3) is also 'A ', 'A  ' and 'A    ' (PostgreSQL ignores the padding)
            patterns.append("^(?:" + "|".join(map(_escaped, values)) + ") *$")
        else:
            schema["enum"] = values
    if column.min_trimmed_length:
        patterns.append(_trimmed_pattern(column.min_trimmed_length))
    if len(patterns) == 1:
        schema["pattern"] = patterns[0]
    elif patterns:
        schema["allOf"] = [{"pattern": pattern} for pattern in patterns]
    return schema


def _escaped(text: str) -> str:
    """``text`` as a regular expression matching itself, in the syntax JSON Schema (ECMA 262)
    and Python share: letters and digits as they are, every other BMP character as ``\\uXXXX``."""
    return "".join(
        ch if (ch.isascii() and ch.isalnum()) or ord(ch) > 0xFFFF else f"\\u{ord(ch):04x}"
        for ch in text
    )


def _trimmed_pattern(least: int) -> str:
    """Texts of at least ``least`` characters once spaces are cut at both ends (``btrim``):
    the first and last characters kept are not spaces, and there are enough between them."""
    kept = "[^\\u0000 ]"
    if least == 1:
        return f"^{_NO_NUL}*{kept}{_NO_NUL}*$"
    return f"^ *{kept}{_NO_NUL}{{{least - 2},}}{kept} *$"


def _unlisted_text_schema(column: ColumnSpec) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if blank_padded(column) and column.max_length is not None:
        # PostgreSQL ignores (and cuts) the padding of char(n): trailing spaces do not count
        n, least = column.max_length, column.min_length or 0
        if least > 0:
            schema["pattern"] = f"^{_NO_NUL}{{{least - 1},{n - 1}}}[^\\u0000 ] *$"
        else:
            schema["pattern"] = f"^{_NO_NUL}{{0,{n}}} *$"
        return schema
    if column.max_length is not None:
        schema["maxLength"] = column.max_length
    if column.min_length:
        schema["minLength"] = column.min_length
    schema["pattern"] = f"^{_NO_NUL}*$"
    return schema
