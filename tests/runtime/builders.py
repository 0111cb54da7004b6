"""Valid rows for the hand-written tables, with just the fields a test cares about overridden."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

from tests.runtime.tables import Account, LedgerEntry, Person, PersonType


def person(**fields: Any) -> Person:
    values: dict[str, Any] = {
        "person_type": PersonType.NATURAL,
        "display_name": "Ada Lovelace",
        "balance": Decimal("10.00"),
    }
    return Person(**(values | fields))


def people(count: int, **fields: Any) -> list[Person]:
    return [person(**({"display_name": f"person {i}"} | fields)) for i in range(count)]


def account(owner: uuid.UUID, number: int = 1, **fields: Any) -> Account:
    values: dict[str, Any] = {
        "branch_code": "B001",
        "account_number": number,
        "owner_person_id": owner,
        "opened_on": datetime.date(2021, 3, 4),
    }
    return Account(**(values | fields))


def entry(account_number: int = 1, **fields: Any) -> LedgerEntry:
    values: dict[str, Any] = {
        "branch_code": "B001",
        "account_number": account_number,
        "amount": Decimal("12.34"),
        "booked_at": datetime.datetime(2024, 5, 6, 7, 8, 9),
        "codes": [1],
    }
    return LedgerEntry(**(values | fields))
