"""The demo's data set: a seeded, deterministic ledger of the shape the seed's bank holds.

Everything is drawn from one ``random.Random(seed)``, keys included (uuid keys are client-supplied
here even where the schema lets the database draw them), so two runs with the same seed and scale
build the same rows and the two demo databases can be compared value by value. Only the columns
the database fills (``created_at``, the transaction identity key) are left to the server.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import random
import uuid
from decimal import Decimal

from ledger import (
    Account,
    AccountStatus,
    AccountType,
    Country,
    CountrySubdivision,
    EntityReference,
    LedgerTransaction,
    Locality,
    Location,
    LocationType,
    Person,
    PersonEntityType,
    PersonType,
    TransactionDirection,
    TransactionStatus,
)

#: (code, numeric code, name, second-language name, currency); the bank's footprint.
_COUNTRIES = (
    ("CM", 120, "Cameroon", "Cameroun", "XAF"),
    ("GA", 266, "Gabon", None, "XAF"),
    ("TD", 148, "Chad", "Tchad", "XAF"),
    ("CF", 140, "Central African Republic", "République centrafricaine", "XAF"),
    ("CG", 178, "Congo", None, "XAF"),
    ("GQ", 226, "Equatorial Guinea", "Guinée équatoriale", "XAF"),
    ("NG", 566, "Nigeria", None, "NGN"),
    ("SN", 686, "Senegal", "Sénégal", "XOF"),
    ("CI", 384, "Côte d'Ivoire", None, "XOF"),
    ("FR", 250, "France", None, "EUR"),
    ("DE", 276, "Germany", "Deutschland", "EUR"),
    ("US", 840, "United States", "États-Unis", "USD"),
)
#: Countries whose localities are filed under a subdivision; the others leave it NULL.
_SUBDIVIDED = {"CM": 10, "NG": 8, "FR": 6, "DE": 6, "US": 8}
_FIRST = (
    "Amina",
    "Paul",
    "Chantal",
    "Jean",
    "Ngozi",
    "Marie",
    "Ibrahim",
    "Claire",
    "Emeka",
    "Fatou",
    "Hans",
    "Grace",
    "Moussa",
    "Sophie",
    "Kwame",
    "Aïcha",
    "Luc",
    "Esther",
)
_LAST = (
    "Nkemelu",
    "Mbarga",
    "Diallo",
    "Okafor",
    "Dupont",
    "Müller",
    "Ndiaye",
    "Fotso",
    "Eto'o",
    "Traoré",
    "Schmidt",
    "Ngono",
    "Bello",
    "Martin",
    "Kamga",
    "Adeyemi",
    "Sow",
    "Tchoua",
)
_ORG_WORDS = (
    "Cacao",
    "Atlantic",
    "Savanna",
    "Sahel",
    "Logistics",
    "Telecom",
    "Agro",
    "Mining",
    "Textiles",
    "Energy",
    "Timber",
    "Pharma",
    "Transport",
    "Holdings",
    "Cooperative",
)
_DEPARTMENTS = ("Treasury", "Payments", "Operations", "Sales", "Compliance", "IT", "Finance")
_TAGS = ("salary", "fee", "transfer", "cash", "card", "loan", "interest", "tax", "refund")
_CHANNELS = ("branch", "atm", "mobile", "internet", "batch", "swift")
_UTC = datetime.UTC


@dataclasses.dataclass(frozen=True, slots=True)
class Scale:
    """Row counts; the defaults are what ``--scale 1`` builds."""

    localities: int = 150
    locations: int = 1_500
    persons: int = 2_000
    entity_references: int = 1_500
    accounts: int = 3_000
    transactions: int = 20_000

    def times(self, factor: float) -> Scale:
        """Every count multiplied by ``factor`` (at least one row each)."""
        counts = {
            f.name: max(1, round(getattr(self, f.name) * factor)) for f in dataclasses.fields(self)
        }
        return Scale(**counts)


@dataclasses.dataclass(slots=True)
class LedgerData:
    """Rows of every table, in an order that satisfies the foreign keys when saved in order."""

    countries: list[Country]
    subdivisions: list[CountrySubdivision]
    localities: list[Locality]
    locations: list[Location]
    persons: list[Person]
    """Organisations first, so a member's ``organization_person_id`` points to an earlier row."""
    entity_references: list[EntityReference]
    accounts: list[Account]
    transactions: list[LedgerTransaction]

    def row_count(self) -> int:
        return sum(len(rows) for rows in dataclasses.astuple(self))


def build(scale: Scale, seed: int = 20250914) -> LedgerData:
    """The whole data set, the same for the same ``scale`` and ``seed``."""
    rng = random.Random(seed)
    countries = [
        Country(code=code, numeric_code=num, name_l1=name, name_l2=name2, default_currency=cur)
        for code, num, name, name2, cur in _COUNTRIES
    ]
    subdivisions = [
        CountrySubdivision(country_code=code, code=f"R{i:02d}", name_l1=f"{code} Region {i}")
        for code, count in _SUBDIVIDED.items()
        for i in range(1, count + 1)
    ]
    localities = _localities(rng, scale)
    locations = _locations(rng, scale, localities)
    persons = _persons(rng, scale, locations)
    references = _entity_references(rng, scale, persons)
    accounts = _accounts(rng, scale, persons)
    transactions = _transactions(rng, scale, accounts)
    return LedgerData(
        countries, subdivisions, localities, locations, persons, references, accounts, transactions
    )


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _localities(rng: random.Random, scale: Scale) -> list[Locality]:
    rows = []
    for i in range(scale.localities):
        code, *_ = rng.choice(_COUNTRIES)
        regions = _SUBDIVIDED.get(code)
        rows.append(
            Locality(
                id=_uuid(rng),
                country_code=code,
                subdivision_code=f"R{rng.randint(1, regions):02d}" if regions else None,
                code=f"L{i:05d}",
                name_l1=f"{rng.choice(_ORG_WORDS)}ville {i}",
                name_l2=f"Cité {i}" if rng.random() < 0.3 else None,
            )
        )
    return rows


def _coordinate(rng: random.Random, limit: float) -> Decimal:
    # numeric(15,10): ten decimals, exactly what the column keeps, so nothing is rounded.
    return Decimal(rng.uniform(-limit, limit)).quantize(Decimal("1e-10"))


def _locations(rng: random.Random, scale: Scale, localities: list[Locality]) -> list[Location]:
    types = list(LocationType)
    rows = []
    for i in range(scale.locations):
        geocoded = rng.random() < 0.8
        rows.append(
            Location(
                id=_uuid(rng),
                location_type=rng.choice(types),
                street_line1=f"{rng.randint(1, 999)} Rue {rng.choice(_LAST)}",
                street_line2=f"Floor {rng.randint(1, 12)}" if rng.random() < 0.25 else None,
                postal_code=f"{rng.randint(10000, 99999)}" if rng.random() < 0.6 else None,
                locality_id=rng.choice(localities).id,
                latitude=_coordinate(rng, 90) if geocoded else None,
                longitude=_coordinate(rng, 180) if geocoded else None,
                # Values a float4 holds exactly, so the single and batch paths cannot differ.
                accuracy_meters=rng.randint(1, 400) / 4 if geocoded else None,
                altitude_meters=round(rng.uniform(0, 2500), 3) if geocoded and i % 3 else None,
            )
        )
    return rows


def _persons(rng: random.Random, scale: Scale, locations: list[Location]) -> list[Person]:
    organisations = max(1, scale.persons // 10)
    rows: list[Person] = []
    for i in range(scale.persons):
        is_org = i < organisations
        if is_org:
            name = f"{rng.choice(_ORG_WORDS)} {rng.choice(_ORG_WORDS)} {i}"
        else:
            name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        employed = not is_org and rng.random() < 0.4
        # A few natural persons are flagged as duplicates of an earlier natural person.
        earlier = rows[organisations:] if len(rows) > organisations else []
        duplicate = rng.choice(earlier).id if earlier and rng.random() < 0.03 else None
        rows.append(
            Person(
                id=_uuid(rng),
                person_type=PersonType.LEGAL if is_org else PersonType.NATURAL,
                display_name=name,
                external_identifier=f"CRM-{i:08d}",
                organization_person_id=rows[rng.randrange(organisations)].id if employed else None,
                duplicate_of_person_id=duplicate,
                location_id=rng.choice(locations).id if rng.random() < 0.9 else None,
                department=rng.choice(_DEPARTMENTS) if employed else None,
                date_of_birth=None
                if is_org
                else datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 65)),
                is_active=rng.random() < 0.95,
                document_digest=hashlib.sha256(name.encode()).digest()
                if rng.random() < 0.5
                else None,
            )
        )
    return rows


def _entity_references(
    rng: random.Random, scale: Scale, persons: list[Person]
) -> list[EntityReference]:
    roles = list(PersonEntityType)
    rows = []
    for i in range(scale.entity_references):
        person = rng.choice(persons)
        # Keep the person's counter true to its references, as the source system's importer does.
        person.entity_reference_count += 1
        rows.append(
            EntityReference(
                id=_uuid(rng),
                person_id=person.id,
                entity_role=rng.choice(roles),
                reference_external_id=f"EXT-{i:07d}",
                reference_details_l1=f"Imported from {rng.choice(_CHANNELS)}"
                if rng.random() < 0.5
                else None,
            )
        )
    return rows


def _accounts(rng: random.Random, scale: Scale, persons: list[Person]) -> list[Account]:
    types = list(AccountType)
    statuses = [AccountStatus.ACTIVE] * 17 + [AccountStatus.DORMANT, AccountStatus.PENDING_APPROVAL]
    currencies = [row[4] for row in _COUNTRIES]
    rows = []
    for i in range(scale.accounts):
        account_type = rng.choice(types)
        overdraft = account_type == AccountType.CURRENT and rng.random() < 0.5
        rows.append(
            Account(
                id=_uuid(rng),
                account_number=f"CM21{10005 + i % 7:05d}{i:011d}",
                owner_person_id=rng.choice(persons).id,
                account_type=account_type,
                status=rng.choice(statuses),
                currency=rng.choice(currencies),
                balance=Decimal("0.00"),
                overdraft_limit=Decimal(rng.randrange(0, 500_000, 1000))
                if overdraft
                else Decimal(0),
                interest_rate=Decimal(rng.randrange(0, 120_000)).scaleb(-4)
                if account_type != AccountType.CURRENT
                else None,
                overdraft_allowed=overdraft,
                opened_on=datetime.date(2015, 1, 1) + datetime.timedelta(days=rng.randrange(3650)),
                statement_cut_off=datetime.time(rng.choice((16, 17, 18)), rng.choice((0, 30))),
                statement_cycle=datetime.timedelta(days=rng.choice((7, 14, 30))),
                statement_days=[*sorted(rng.sample(range(1, 29), rng.randint(1, 3)))],
            )
        )
    return rows


def _transactions(
    rng: random.Random, scale: Scale, accounts: list[Account]
) -> list[LedgerTransaction]:
    statuses = (
        [TransactionStatus.POSTED] * 46
        + [TransactionStatus.PENDING] * 3
        + [TransactionStatus.FAILED]
    )
    business_day = datetime.date(2025, 9, 12)
    rows = []
    for i in range(scale.transactions):
        account = rng.choice(accounts)
        counterparty = rng.choice(accounts).id if rng.random() < 0.2 else None
        booked = datetime.datetime(2025, 9, 12, 18, 0, tzinfo=_UTC) + datetime.timedelta(
            milliseconds=i * 37
        )
        foreign = rng.random() < 0.1
        rows.append(
            LedgerTransaction(
                account_id=account.id,
                counterparty_account_id=counterparty,
                reference=f"EOD20250912{i:08d}",
                direction=rng.choice((TransactionDirection.DEBIT, TransactionDirection.CREDIT)),
                status=rng.choice(statuses),
                amount=Decimal(rng.randint(1, 5_000_000)).scaleb(-2),
                currency=account.currency,
                exchange_rate=round(rng.uniform(0.001, 700.0), 6) if foreign else None,
                value_date=business_day + datetime.timedelta(days=rng.choice((0, 0, 0, 1, 2))),
                booked_at=booked,
                source_recorded_at=booked.replace(tzinfo=None) + datetime.timedelta(hours=1)
                if rng.random() < 0.7
                else None,
                batch_sequence=i + 1,
                source_digest=rng.randbytes(16) if rng.random() < 0.5 else None,
                metadata={
                    "channel": rng.choice(_CHANNELS),
                    "narrative": f"Posting {i}",
                    "original": {"amount": str(rng.randint(1, 9999)), "currency": "USD"}
                    if foreign
                    else None,
                },
                tags=rng.sample(_TAGS, rng.randint(0, 3)),
            )
        )
    return rows
