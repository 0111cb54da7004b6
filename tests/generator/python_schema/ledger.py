"""The ledger of ``schema.yaml``, written in Python: the same schema language, as the pydantic
models YAML is validated into. ``test_python_source`` generates the package from both forms and
requires the same bytes, so a change to ``schema.yaml`` belongs here too (the test says where
they differ).

Usable wherever a schema file is: ``batchrepo generate --schema
tests/generator/python_schema/ledger.py:LEDGER``.
"""

from __future__ import annotations

from batchrepo_codegen.schema.document import (
    CheckDef,
    ColumnDef,
    EnumDef,
    ForeignKeyDef,
    ReferenceDef,
    SchemaDef,
    TableDef,
)

LEDGER = SchemaDef(
    version=1,
    package="ledger",
    description=(
        "Core-banking ledger: reference geography (country, subdivision, locality, location), "
        "persons and their external references, accounts and the money transactions booked on "
        "them."
    ),
    enums={
        "person_type": EnumDef(
            values=["natural", "legal", "system", "integration", "unknown"],
            description="What kind of party a person row stands for.",
        ),
        "location_type": EnumDef(
            values=[
                "residential",
                "business",
                "mailing",
                "temporary",
                "branch",
                "community",
                "other",
            ],
            description="What an address is used for.",
        ),
        "person_entity_type": EnumDef(
            values=[
                "customer",
                "employee",
                "shareholder",
                "director",
                "beneficial_owner",
                "agent",
                "vendor",
                "partner",
                "other",
            ],
            description="The role a person plays towards an external system's entity.",
        ),
        "account_type": EnumDef(
            values=["current", "savings", "loan", "settlement"],
            description="The product family of an account.",
        ),
        "account_status": EnumDef(
            values=["pending_approval", "active", "dormant", "frozen", "closed"],
            description="Life-cycle state of an account; only active accounts accept postings.",
        ),
        "transaction_direction": EnumDef(
            values=["debit", "credit"],
            description=(
                "Whether a posting takes money out of (debit) or puts it into (credit) the account."
            ),
        ),
        "transaction_status": EnumDef(
            values=["pending", "posted", "reversed", "failed"],
            description="Settlement state of a posting.",
        ),
    },
    tables={
        "country": TableDef(
            description=(
                "A country, keyed by its ISO 3166-1 alpha-2 code (a client-supplied natural key)."
            ),
            columns={
                "code": ColumnDef(
                    type="char(2)",
                    primary_key=True,
                    check=CheckDef(min_length=2),
                    description="ISO 3166-1 alpha-2 code, e.g. CM.",
                ),
                "numeric_code": ColumnDef(
                    type="smallint",
                    unique=True,
                    check=CheckDef(min=1, max=999),
                    description="ISO 3166-1 numeric code (smallint; unique on its own).",
                ),
                "name_l1": ColumnDef(
                    type="varchar(100)",
                    check=CheckDef(min_length=1),
                    description="Name in the bank's first language.",
                ),
                "name_l2": ColumnDef(
                    type="varchar(100)",
                    nullable=True,
                    description="Name in the second language, when it differs.",
                ),
                "name_l3": ColumnDef(
                    type="varchar(100)",
                    nullable=True,
                    description="Name in the third language, when it differs.",
                ),
                "default_currency": ColumnDef(
                    type="char(3)",
                    description="ISO 4217 code of the currency accounts opened here default to.",
                ),
            },
        ),
        "country_subdivision": TableDef(
            description="A region, state or province of a country; composite key (country, code).",
            columns={
                "country_code": ColumnDef(
                    type="char(2)",
                    references="country",
                    on_delete="cascade",
                    description=(
                        "Country this subdivision belongs to; deleting the country removes it."
                    ),
                ),
                "code": ColumnDef(
                    type="varchar(10)",
                    check=CheckDef(min_length=1),
                    description="ISO 3166-2 subdivision code without the country prefix, e.g. LT.",
                ),
                "name_l1": ColumnDef(
                    type="varchar(100)",
                    check=CheckDef(min_length=1),
                    description="Name in the bank's first language.",
                ),
                "name_l2": ColumnDef(
                    type="varchar(100)",
                    nullable=True,
                    description="Name in the second language, when it differs.",
                ),
            },
            primary_key=["country_code", "code"],
        ),
        "locality": TableDef(
            description="A city, town or village; optionally inside a subdivision of its country.",
            columns={
                "id": ColumnDef(
                    type="uuid",
                    primary_key=True,
                    server_default="gen_random_uuid()",
                    description=(
                        "Surrogate key; the database draws one when the client leaves it out."
                    ),
                ),
                "country_code": ColumnDef(
                    type="char(2)",
                    references="country",
                    description="Country of the locality.",
                ),
                "subdivision_code": ColumnDef(
                    type="varchar(10)",
                    nullable=True,
                    description=(
                        "Subdivision inside the country; NULL when the country has none (the "
                        "composite foreign key is then not checked, as PostgreSQL's MATCH "
                        "SIMPLE)."
                    ),
                ),
                "code": ColumnDef(
                    type="varchar(50)",
                    check=CheckDef(min_length=1),
                    description="Locality code, unique within its country (UN/LOCODE style).",
                ),
                "name_l1": ColumnDef(
                    type="varchar(100)",
                    check=CheckDef(min_length=1),
                    description="Name in the bank's first language.",
                ),
                "name_l2": ColumnDef(
                    type="varchar(100)",
                    nullable=True,
                    description="Name in the second language, when it differs.",
                ),
            },
            unique={
                "locality_code": ["country_code", "code"],
            },
            foreign_keys={
                "subdivision": ForeignKeyDef(
                    columns=["country_code", "subdivision_code"],
                    references=ReferenceDef(
                        table="country_subdivision",
                        columns=["country_code", "code"],
                    ),
                    on_delete="restrict",
                ),
            },
            indexes={
                "locality_name": ["country_code", "name_l1"],
                "locality_subdivision": ["country_code", "subdivision_code"],
            },
        ),
        "location": TableDef(
            description="A postal address with optional coordinates.",
            columns={
                "id": ColumnDef(
                    type="uuid",
                    primary_key=True,
                    server_default="gen_random_uuid()",
                    description="Surrogate key.",
                ),
                "location_type": ColumnDef(
                    type="location_type",
                    description="What the address is used for.",
                ),
                "street_line1": ColumnDef(
                    type="varchar(50)",
                    check=CheckDef(min_length=1),
                    description="First street line.",
                ),
                "street_line2": ColumnDef(
                    type="varchar(50)",
                    nullable=True,
                    description="Second street line (building, floor).",
                ),
                "postal_code": ColumnDef(
                    type="varchar(20)",
                    nullable=True,
                    description="Postal code, where the country uses them.",
                ),
                "locality_id": ColumnDef(
                    type="uuid",
                    references="locality",
                    description="Locality of the address.",
                ),
                "latitude": ColumnDef(
                    type="numeric(15,10)",
                    nullable=True,
                    check=CheckDef(min=-90, max=90),
                    description=(
                        "WGS84 latitude in degrees (DECIMAL(15,10) as in the source system)."
                    ),
                ),
                "longitude": ColumnDef(
                    type="numeric(15,10)",
                    nullable=True,
                    check=CheckDef(min=-180, max=180),
                    description="WGS84 longitude in degrees.",
                ),
                "accuracy_meters": ColumnDef(
                    type="real",
                    nullable=True,
                    check=CheckDef(min=0),
                    description=(
                        "Radius of uncertainty of the coordinates (real, an estimate rather than "
                        "money)."
                    ),
                ),
                "altitude_meters": ColumnDef(
                    type="double precision",
                    nullable=True,
                    description="Height above sea level, as reported by the geocoder.",
                ),
            },
            indexes={
                "location_locality": ["locality_id"],
            },
        ),
        "person": TableDef(
            description=(
                "A natural or legal person (customer, employee, organisation, system account)."
            ),
            columns={
                "id": ColumnDef(
                    type="uuid",
                    primary_key=True,
                    server_default="gen_random_uuid()",
                    description="Surrogate key.",
                ),
                "person_type": ColumnDef(
                    type="person_type",
                    description="Natural person, legal person, or a technical party.",
                ),
                "display_name": ColumnDef(
                    type="varchar(100)",
                    check=CheckDef(min_trimmed_length=1),
                    description="Name shown to staff; never blank (spaces alone do not count).",
                ),
                "external_identifier": ColumnDef(
                    type="varchar(50)",
                    unique=True,
                    check=CheckDef(min_length=1),
                    description="Identifier in the system of record the person was imported from.",
                ),
                "organization_person_id": ColumnDef(
                    type="uuid",
                    nullable=True,
                    references="person",
                    on_delete="set_null",
                    description=(
                        "Organisation this person belongs to (a legal person); cleared when it "
                        "goes."
                    ),
                ),
                "duplicate_of_person_id": ColumnDef(
                    type="uuid",
                    nullable=True,
                    references="person",
                    on_delete="set_null",
                    description=(
                        "The person this row duplicates, when a data-quality review found one."
                    ),
                ),
                "location_id": ColumnDef(
                    type="uuid",
                    nullable=True,
                    references="location",
                    on_delete="set_null",
                    description="Main address.",
                ),
                "department": ColumnDef(
                    type="varchar(50)",
                    nullable=True,
                    description="Department inside the organisation, for employees.",
                ),
                "date_of_birth": ColumnDef(
                    type="date",
                    nullable=True,
                    description="Birth date of a natural person.",
                ),
                "entity_reference_count": ColumnDef(
                    type="smallint",
                    default=0,
                    check=CheckDef(min=0),
                    description=(
                        "How many external references point at this person (kept by the importer)."
                    ),
                ),
                "is_active": ColumnDef(
                    type="boolean",
                    default=True,
                    description=(
                        "False once the person is off-boarded; rows are never deleted for audit."
                    ),
                ),
                "document_digest": ColumnDef(
                    type="bytea",
                    nullable=True,
                    description="SHA-256 of the identity document scanned at on-boarding.",
                ),
                "created_at": ColumnDef(
                    type="timestamptz",
                    server_default="now()",
                    description="When the row was first written.",
                ),
            },
            indexes={
                "person_display_name": ["display_name"],
                "person_organization": ["organization_person_id"],
                "person_duplicate_of": ["duplicate_of_person_id"],
                "person_location": ["location_id"],
            },
            audit=True,
        ),
        "entity_reference": TableDef(
            description="Links a person to an entity of an external system in some role.",
            columns={
                "id": ColumnDef(
                    type="uuid",
                    primary_key=True,
                    server_default="gen_random_uuid()",
                    description="Surrogate key.",
                ),
                "person_id": ColumnDef(
                    type="uuid",
                    references="person",
                    on_delete="cascade",
                    description="The person referenced; its references go with it.",
                ),
                "entity_role": ColumnDef(
                    type="person_entity_type",
                    description="Role the person plays towards the external entity.",
                ),
                "reference_external_id": ColumnDef(
                    type="varchar(50)",
                    check=CheckDef(min_length=1),
                    description="Identifier of the entity in the external system.",
                ),
                "reference_details_l1": ColumnDef(
                    type="varchar(50)",
                    nullable=True,
                    description="Free detail in the first language.",
                ),
            },
            unique={
                "entity_reference_natural": ["person_id", "entity_role", "reference_external_id"],
            },
        ),
        "account": TableDef(
            description="A customer account holding a money balance in one currency.",
            columns={
                "id": ColumnDef(
                    type="uuid",
                    primary_key=True,
                    server_default="gen_random_uuid()",
                    description="Surrogate key.",
                ),
                "account_number": ColumnDef(
                    type="varchar(34)",
                    unique=True,
                    check=CheckDef(min_length=8),
                    description="Account number as printed for the customer (IBAN length at most).",
                ),
                "owner_person_id": ColumnDef(
                    type="uuid",
                    references="person",
                    on_delete="restrict",
                    description="Primary holder; a person with accounts cannot be deleted.",
                ),
                "account_type": ColumnDef(type="account_type", description="Product family."),
                "status": ColumnDef(
                    type="account_status",
                    default="active",
                    description="Life-cycle state.",
                ),
                "currency": ColumnDef(
                    type="char(3)",
                    check=CheckDef(min_length=3),
                    description="ISO 4217 currency code of the balance.",
                ),
                "balance": ColumnDef(
                    type="numeric(18,2)",
                    description="Booked balance (exact money; never a float).",
                ),
                "overdraft_limit": ColumnDef(
                    type="numeric(18,2)",
                    check=CheckDef(min="0"),
                    description="How far below zero the balance may go.",
                ),
                "interest_rate": ColumnDef(
                    type="numeric(7,4)",
                    nullable=True,
                    check=CheckDef(min="0", max="100"),
                    description="Yearly interest rate in percent, for savings and loans.",
                ),
                "overdraft_allowed": ColumnDef(
                    type="boolean",
                    default=False,
                    description="Whether postings may take the balance below zero at all.",
                ),
                "opened_on": ColumnDef(
                    type="date",
                    description="Business date the account was opened.",
                ),
                "statement_cut_off": ColumnDef(
                    type="time",
                    description="Local time of day after which postings go to the next statement.",
                ),
                "statement_cycle": ColumnDef(
                    type="interval",
                    description="How often a statement is produced (e.g. 1 month).",
                ),
                "statement_days": ColumnDef(
                    type="integer[]",
                    description="Days of the month statements are produced on (an integer array).",
                ),
                "last_activity_at": ColumnDef(
                    type="timestamptz",
                    nullable=True,
                    description="Time of the last posting, for dormancy detection.",
                ),
                "created_at": ColumnDef(
                    type="timestamptz",
                    server_default="now()",
                    description="When the row was first written.",
                ),
            },
            indexes={
                "account_owner": ["owner_person_id"],
                "account_status_currency": ["status", "currency"],
            },
            audit=True,
        ),
        "ledger_transaction": TableDef(
            description="One money posting on an account, as booked by end-of-day processing.",
            columns={
                "id": ColumnDef(
                    type="bigint",
                    primary_key=True,
                    identity=True,
                    description="Key drawn by the database (GENERATED ALWAYS AS IDENTITY).",
                ),
                "account_id": ColumnDef(
                    type="uuid",
                    references="account",
                    on_delete="restrict",
                    description=(
                        "Account the posting is booked on; booked history blocks deleting it."
                    ),
                ),
                "counterparty_account_id": ColumnDef(
                    type="uuid",
                    nullable=True,
                    references="account",
                    on_delete="set_null",
                    description="The other account of an internal transfer.",
                ),
                "reference": ColumnDef(
                    type="varchar(35)",
                    check=CheckDef(min_length=1),
                    description="Bank reference (SWIFT field 20 length), unique per account.",
                ),
                "direction": ColumnDef(
                    type="transaction_direction",
                    description="Debit or credit.",
                ),
                "status": ColumnDef(
                    type="transaction_status",
                    default="posted",
                    description="Settlement state.",
                ),
                "amount": ColumnDef(
                    type="numeric(18,2)",
                    check=CheckDef(min_exclusive=0),
                    description=(
                        "Amount in the account's currency, always positive; direction gives the "
                        "sign."
                    ),
                ),
                "currency": ColumnDef(
                    type="char(3)",
                    check=CheckDef(min_length=3),
                    description="ISO 4217 code; equals the account's currency.",
                ),
                "exchange_rate": ColumnDef(
                    type="double precision",
                    nullable=True,
                    check=CheckDef(min_exclusive=0),
                    description=(
                        "Indicative rate from the original currency, for reporting only; positive."
                    ),
                ),
                "value_date": ColumnDef(
                    type="date",
                    description="Date the money counts from for interest.",
                ),
                "booked_at": ColumnDef(
                    type="timestamptz",
                    server_default="now()",
                    description="When the posting was booked.",
                ),
                "source_recorded_at": ColumnDef(
                    type="timestamp",
                    nullable=True,
                    description=(
                        "Local wall-clock time the source system recorded (no time zone in its "
                        "feed)."
                    ),
                ),
                "settlement_delay": ColumnDef(
                    type="interval",
                    nullable=True,
                    description="Time between booking and settlement, once settled.",
                ),
                "batch_sequence": ColumnDef(
                    type="integer",
                    check=CheckDef(min=1),
                    description="Position of the posting in its end-of-day batch file.",
                ),
                "source_digest": ColumnDef(
                    type="bytea",
                    nullable=True,
                    description="Hash of the source message, to spot replays.",
                ),
                "metadata": ColumnDef(
                    type="jsonb",
                    description="Channel-specific details (terminal, narrative, original amount).",
                ),
                "tags": ColumnDef(
                    type="text[]",
                    description="Free labels used by reconciliation (e.g. salary, fee).",
                ),
            },
            unique={
                "transaction_reference": ["account_id", "reference"],
            },
            indexes={
                "ledger_transaction_account_value_date": ["account_id", "value_date"],
                "ledger_transaction_value_date": ["value_date"],
                "ledger_transaction_counterparty": ["counterparty_account_id"],
            },
            audit=True,
        ),
    },
)
