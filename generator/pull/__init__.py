"""``batchrepo pull``: adopt a live database. Its catalog becomes ``schema.yaml`` (in the
spellings of issue 13), the whole DDL a baseline migration recorded as already applied, and a
self-proof shows that the DDL batchrepo generates from that schema yields the same catalog,
listing every difference and every object the schema does not model.

API::

    pull(PullRequest) -> PullResult            # command.py: read, translate, prove; no writes
    write_outputs(PullRequest, PullResult)     # the schema file, then the baseline migration
    report(PullResult) -> [line]               # left out, changed, replaced, not modelled,
                                               # differences, the share of exact tables
    register(subparsers)                       # cli.py: the ``pull`` command

Modules, in the order a pull runs: :mod:`.catalog` (the live catalog, pg_catalog queries),
:mod:`.columns` (a column's type and default as schema.yaml spells them), :mod:`.expressions`
(CHECK and WHERE texts, where PostgreSQL's printed form does not read back), :mod:`.translate`
(the schema document, and what it cannot say), :mod:`.yaml_text` (the document as YAML),
:mod:`.unmodelled` (triggers, functions, views, ... and the ``updated_at`` triggers that
``on_update`` replaces), :mod:`.baseline` (the baseline migration), :mod:`.proof` (generated
DDL on a scratch database, catalogs compared), :mod:`.command` (all of it), :mod:`.cli`.
"""

from .cli import register
from .command import PullError, PullRequest, PullResult, pull, report, write_outputs

__all__ = ["PullError", "PullRequest", "PullResult", "pull", "register", "report", "write_outputs"]
