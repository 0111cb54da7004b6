"""Runtime contract v1: every runtime name that code generated for v1 may use.

Generated modules import this module (``from batchrepo.contract import v1 as _rt``) and
nothing else of batchrepo. Names here never change meaning or go away while ``1`` is in
:data:`batchrepo.contract.SUPPORTED`; the runtime modules behind them may move freely.

* Table description (what a generated module declares): :class:`TableSpec`,
  :class:`ColumnSpec`, :class:`UniqueSpec`, :class:`ForeignKeySpec`, :class:`TableSQL`,
  :class:`AuditSpec`, :class:`CopySpec`, :class:`RoutingSpec`, :data:`WriteMode`;
  :class:`CheckSpec` and the nodes of its expression tree
  (:mod:`batchrepo.validate.expression_tree`): :class:`ColumnRef`, :class:`Const`,
  :class:`Cast`, :class:`Not`, :class:`BoolOp`, :class:`Compare`, :class:`Arithmetic`,
  :class:`Negate`, :class:`IsNull`, :class:`InList`, :class:`Between`, :class:`Call`.
* Where operations run: :class:`Executor`, :class:`Session`, :func:`as_session`,
  :class:`UnitOfWork` (the base of each package's ``UnitOfWork``).
* Operations, generic over a ``TableSpec`` (``batchrepo.operations`` and
  ``batchrepo.write.chunked``): ``save_*``, ``load_*``, ``exists_*``, ``update_*``,
  ``upsert_*``, ``delete_*``, ``validate_batch``, the chunked variants, ``load_batch_by_unique``
  and ``load_grouped_by_fk``; the streamed loads ``stream_all`` and ``load_stream``
  (``batchrepo.read.streamed``); the history reads of audited tables ``load_history``,
  ``load_history_batch``, ``load_as_of``, ``load_as_of_batch`` (``batchrepo.read.history``).
* Results: :class:`BatchResult`, :class:`ValidationReport`, :class:`HistoryEntry`.
* Progress: :class:`ProgressEvent`, :data:`ProgressCallback` (the ``progress`` parameter of the
  chunked and streamed operations).
* Pydantic models of a package that opted in (``pydantic_models: true``):
  :class:`PydanticModel`, :func:`pydantic_column`, ``pydantic_field``
  (:mod:`batchrepo.pydantic_rules`). They are
  imported on first use, so the runtime needs pydantic only where such a package is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from batchrepo.db.executor import Executor
from batchrepo.observe.progress import ProgressCallback, ProgressEvent
from batchrepo.operations import (
    delete_batch,
    delete_one,
    exists_batch,
    exists_one,
    load_batch,
    load_batch_by_unique,
    load_grouped_by_fk,
    load_one,
    save_batch,
    save_batch_if_new,
    save_if_new,
    save_one,
    update_batch,
    update_one,
    upsert_batch,
    upsert_one,
    validate_batch,
)
from batchrepo.read.history import (
    HistoryEntry,
    load_as_of,
    load_as_of_batch,
    load_history,
    load_history_batch,
)
from batchrepo.read.streamed import load_stream, stream_all
from batchrepo.session import Session, as_session
from batchrepo.spec import (
    AuditSpec,
    CheckSpec,
    ColumnSpec,
    CopySpec,
    ForeignKeySpec,
    RoutingSpec,
    TableSpec,
    TableSQL,
    UniqueSpec,
    WriteMode,
)
from batchrepo.unit_of_work import UnitOfWork
from batchrepo.validate.expression_tree import (
    Arithmetic,
    Between,
    BoolOp,
    Call,
    Cast,
    ColumnRef,
    Compare,
    Const,
    InList,
    IsNull,
    Negate,
    Not,
)
from batchrepo.validate.report import ValidationReport
from batchrepo.write.chunked import (
    BatchResult,
    delete_batch_chunked,
    save_batch_chunked,
    update_batch_chunked,
    upsert_batch_chunked,
)

if TYPE_CHECKING:
    from batchrepo.pydantic_rules import PydanticModel, pydantic_column, pydantic_field

VERSION = 1

#: Names served by a module that imports an optional dependency, loaded when first asked for.
_ON_FIRST_USE = {
    name: "batchrepo.pydantic_rules"
    for name in ("PydanticModel", "pydantic_column", "pydantic_field")
}


def __getattr__(name: str) -> Any:
    module = _ON_FIRST_USE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "VERSION",
    "Arithmetic",
    "AuditSpec",
    "BatchResult",
    "Between",
    "BoolOp",
    "Call",
    "Cast",
    "CheckSpec",
    "ColumnRef",
    "ColumnSpec",
    "Compare",
    "Const",
    "CopySpec",
    "Executor",
    "ForeignKeySpec",
    "HistoryEntry",
    "InList",
    "IsNull",
    "Negate",
    "Not",
    "ProgressCallback",
    "ProgressEvent",
    "PydanticModel",
    "RoutingSpec",
    "Session",
    "TableSQL",
    "TableSpec",
    "UniqueSpec",
    "UnitOfWork",
    "ValidationReport",
    "WriteMode",
    "as_session",
    "delete_batch",
    "delete_batch_chunked",
    "delete_one",
    "exists_batch",
    "exists_one",
    "load_as_of",
    "load_as_of_batch",
    "load_batch",
    "load_batch_by_unique",
    "load_grouped_by_fk",
    "load_history",
    "load_history_batch",
    "load_one",
    "load_stream",
    "pydantic_column",
    "pydantic_field",
    "save_batch",
    "save_batch_chunked",
    "save_batch_if_new",
    "save_if_new",
    "save_one",
    "stream_all",
    "update_batch",
    "update_batch_chunked",
    "update_one",
    "upsert_batch",
    "upsert_batch_chunked",
    "upsert_one",
    "validate_batch",
]
