"""Hand-written table specs for the runtime tests: DDL, entities and every statement.

They follow the conventions of ``batchrepo/spec.py`` exactly, as the generator emits them, so the
runtime is tested against real PostgreSQL without depending on the generator. One module per
table; this one puts their DDL together in dependency order.
"""

from __future__ import annotations

from tests.runtime.tables import account, currency, ledger_entry, note, person
from tests.runtime.tables.account import ACCOUNT, Account, AccountKey
from tests.runtime.tables.currency import CURRENCY, Currency
from tests.runtime.tables.ledger_entry import LEDGER_ENTRY, LedgerEntry
from tests.runtime.tables.note import NOTE, Note
from tests.runtime.tables.person import PERSON, Person, PersonKey, PersonType

DDL = "\n".join(module.DDL for module in (person, account, ledger_entry, currency, note))

#: Every table, children first (the order TRUNCATE and DROP need).
TABLES = (*note.TABLES, "ledger_entry", "account", "person", "currency")

__all__ = [
    "ACCOUNT",
    "CURRENCY",
    "DDL",
    "LEDGER_ENTRY",
    "NOTE",
    "PERSON",
    "TABLES",
    "Account",
    "AccountKey",
    "Currency",
    "LedgerEntry",
    "Note",
    "Person",
    "PersonKey",
    "PersonType",
]
