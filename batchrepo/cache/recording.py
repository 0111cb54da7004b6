"""What operations teach the key cache, and when.

An operation records only what it knows for sure once it succeeded: written rows exist (with
their versions, for audited tables), deleted keys are gone, parents the database confirmed exist,
loaded rows exist. A failed operation teaches nothing. Inside an atomic chunked call the chunks
succeed one by one but may still be rolled back together, so their records wait for the whole
call (``deferred``); a refuted parent (the database said it is gone) is forgotten at once, which
is always safe.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from batchrepo.cache.views import CacheView
from batchrepo.key_matching import keys_of_records
from batchrepo.spec import TableSpec
from batchrepo.validate.references import Learned


class Recorder:
    """Records into one cache view (None: no cache), at once or when :meth:`flush` is called."""

    __slots__ = ("_pending", "view")

    def __init__(self, view: CacheView | None, *, deferred: bool = False) -> None:
        self.view = view
        self._pending: list[Callable[[CacheView], None]] | None = [] if deferred else None

    def rows(self, spec: TableSpec[Any, Any], records: Sequence[Any]) -> None:
        """Rows as returned by a statement (every column): their keys exist, at their versions."""
        if self.view is None or not records:
            return
        keys = keys_of_records(spec, records, spec.key_columns)
        versions = None
        if spec.audit is not None:
            at = spec.audit.version_column
            versions = [record[at] for record in records]
        self._do(lambda view: view.record_present(spec.table, keys, versions))

    def present(self, table: str, keys: Sequence[Hashable]) -> None:
        """Keys known to exist, version unknown (``exists`` hits)."""
        if self.view is not None and keys:
            self._do(lambda view: view.record_present(table, keys))

    def absent(self, table: str, keys: Sequence[Hashable]) -> None:
        """Keys of rows this operation deleted (or that are not there)."""
        if self.view is not None and keys:
            self._do(lambda view: view.record_absent(table, keys))

    def unknown_rows(self, table: str) -> None:
        """Rows written whose keys are not known: the entity cache forgets the table."""
        if self.view is not None:
            self._do(lambda view: view.record_unknown_rows(table))

    def learned(self, learned: Learned) -> None:
        """Parents the reference checks found in the database."""
        if self.view is not None and learned.present:
            self._do(learned.record)

    def refuted(self, table: str, keys: Sequence[Hashable]) -> None:
        """Keys the database just said do not exist: forgotten now, even when deferred."""
        if self.view is not None and keys:
            self.view.record_absent(table, keys)

    def flush(self) -> None:
        """Apply what was deferred (call it once the enclosing transaction is known good)."""
        pending, self._pending = self._pending, None
        if self.view is not None and pending:
            for record in pending:
                record(self.view)

    def _do(self, record: Callable[[CacheView], None]) -> None:
        assert self.view is not None
        if self._pending is None:
            record(self.view)
        else:
            self._pending.append(record)
