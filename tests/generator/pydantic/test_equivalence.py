"""The pydantic models of a package accept and refuse what its repositories' validation does.

The golden package ``api_models`` (``tests/golden/codegen/pydantic_models``) covers every kind
of column rule. For rows drawn around every limit (:mod:`.values`), in each write mode:

* the model accepts a row exactly when ``validate_batch``'s field checks find nothing in the
  entity of the same values, it refuses no field the runtime does not, and what it accepts
  becomes an entity the runtime accepts;
* a row it accepts survives JSON: dumped and read back, the same model;
* a property that cannot tell is no property: with one rule planted off by one (``name`` one
  character longer), the same test fails.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Annotated, Any

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings

from batchrepo.pydantic_rules import ColumnRules, pydantic_column
from batchrepo.spec import ColumnSpec, TableSpec, WriteMode
from batchrepo.validate.fields import field_problems
from tests.golden.kinds import CODEGEN

from .values import finite_json_value, rows

CASE = "pydantic_models"
MODES: tuple[WriteMode, ...] = ("insert", "update", "upsert")
SETTINGS = settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def package() -> Iterator[ModuleType]:
    folder = str(CODEGEN.expected_dir(CASE))
    sys.path.insert(0, folder)
    try:
        yield importlib.import_module("api_models.pydantic_models")
    finally:
        sys.path.remove(folder)


@dataclasses.dataclass(frozen=True)
class Pair:
    """A model and the table spec its repository validates with."""

    model: type[pydantic.BaseModel]
    spec: TableSpec[Any, Any]

    def keys(self) -> dict[str, str]:
        """The model's input key (alias, else name) of each column, by entity attribute."""
        found = {}
        for name, field in self.model.model_fields.items():
            rules = next(m for m in field.metadata if isinstance(m, ColumnRules))
            found[rules.column.attr] = field.alias or name
        return found


def pair(package: ModuleType, table: str) -> Pair:
    model = getattr(package, f"{table.capitalize()}Model")
    module = importlib.import_module(f"api_models.{table}")
    return Pair(model, getattr(module, f"{table.upper()}_TABLE"))


def runtime_problems(spec: TableSpec[Any, Any], row: dict[str, Any], mode: WriteMode) -> set[str]:
    """The fields the runtime's validation refuses in the entity holding ``row``."""
    entity = spec.entity(**row)
    return {p.field for p in field_problems(spec, spec.to_columns([entity]), mode)}


def same_verdicts(subject: Pair, mode: WriteMode) -> Callable[[], None]:
    keys = subject.keys()
    by_key = {key: attr for attr, key in keys.items()}

    @SETTINGS
    @given(row=rows(subject.spec.columns, mode))
    def check(row: dict[str, Any]) -> None:
        refused = runtime_problems(subject.spec, row, mode)
        data = {keys[attr]: v for attr, v in row.items()}
        try:
            model = subject.model.model_validate(data, context={"mode": mode})
        except pydantic.ValidationError as error:
            assert refused, f"the model refused what the runtime accepts: {error}"
            fields = {by_key[str(e["loc"][0])] for e in error.errors()}
            assert fields <= refused, f"the model refused {fields - refused} too: {error}"
            return
        assert not refused, f"the model accepted what the runtime refuses ({refused})"
        entity = model.to_entity()  # type: ignore[attr-defined]
        assert runtime_problems(subject.spec, dataclasses.asdict(entity), mode) == set()

    return check


@pytest.mark.parametrize("table", ["account", "entry"], ids=["account", "entry"])
@pytest.mark.parametrize("mode", MODES, ids=list(MODES))
def test_the_model_and_the_runtime_accept_and_refuse_the_same_rows(
    package: ModuleType, table: str, mode: WriteMode
) -> None:
    same_verdicts(pair(package, table), mode)()


def test_the_property_catches_a_planted_difference(package: ModuleType) -> None:
    honest = pair(package, "account")
    (name,) = [c for c in honest.spec.columns if c.name == "name"]
    assert name.max_length == 40
    planted = pydantic.create_model(  # type: ignore[call-overload]
        "PlantedAccountModel",
        __base__=honest.model,
        name=(Annotated[str, pydantic_column(dataclasses.replace(name, max_length=41))], ...),
    )
    with pytest.raises(AssertionError, match="accepted what the runtime refuses"):
        same_verdicts(Pair(planted, honest.spec), "insert")()


@pytest.mark.parametrize("table", ["account", "entry"], ids=["account", "entry"])
def test_what_the_model_accepts_survives_json(package: ModuleType, table: str) -> None:
    subject = pair(package, table)
    keys = subject.keys()

    @SETTINGS
    @given(row=rows(subject.spec.columns, "update"))
    def check(row: dict[str, Any]) -> None:
        data = {keys[attr]: v for attr, v in row.items()}
        try:
            model = subject.model.model_validate(data, context={"mode": "update"})
        except pydantic.ValidationError:
            return
        if not all(finite_json_value(v) for v in row.values()):
            return  # JSON has no NaN or infinity
        text = model.model_dump_json()
        again = subject.model.model_validate_json(text, context={"mode": "update"})
        assert again == model, text

    check()


def column(package: ModuleType, table: str, name: str) -> ColumnSpec:
    return next(c for c in pair(package, table).spec.columns if c.name == name)
