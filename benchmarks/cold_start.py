"""The first call on a fresh connection, with and without the codec hook (issue 9, "No cold start").

For each operation, many times over, a new connection (a new server backend) is opened and the
operation timed twice: its first call, then the same call again (warm: codecs known, statement
prepared). Variants, in a rotating order each repetition:

* ``no hook``: asyncpg as it comes; the first call introspects its array and enum types;
* ``TypeCodecs``: the hook of ``batchrepo.create_pool``, one instance across all connections as
  in a pool, so its records were fetched before (``hook ms`` is what each later connection pays);
* ``TypeCodecs, public path``: the same hook where asyncpg's private pieces are missing, so each
  connection introspects in the hook (one prepared statement naming every type);
* ``TypeCodecs, first connection``: a new hook per connection: what the pool's first connection
  pays once (resolve every name, introspect every type).

Operations on the ledger package: ``person.load_batch`` of 12 keys (audited table, enum column),
``country.save_batch`` of 12 rows and the same 12 rows saved one by one with ``save`` (the case
issue 9 found slower batched than one by one on a fresh connection), and ``person.save_batch`` of
100 rows. Rows written are deleted between measurements, off the clock. Prints a markdown table.

    PYTHONPATH=generated .venv/bin/python -m benchmarks.cold_start [--repeat 30]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import itertools
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
import ledger
from batchrepo_codegen import devdb
from ledger import Country, CountryRepository, Person, PersonRepository, PersonType

from batchrepo import TypeCodecs

from .options import add_repeat, check_repeat, environment
from .timing import Samples, markdown_table, ms, rotated

VARIANTS = ("no hook", "TypeCodecs", "TypeCodecs, public path", "TypeCodecs, first connection")
Call = Callable[["asyncpg.Connection[Any]"], Awaitable[object]]


class _PublicOnlySettings:
    """Connection settings as an asyncpg without ``register_data_types`` shows them."""

    def __init__(self, settings: Any) -> None:
        self._settings = settings

    def __getattr__(self, name: str) -> Any:
        if name == "register_data_types":
            raise AttributeError(name)
        return getattr(self._settings, name)


class _PublicOnlyConnection(asyncpg.Connection):
    def get_settings(self) -> Any:
        return _PublicOnlySettings(super().get_settings())


class _Rows:
    """Fresh rows for every call: country codes and numeric codes are unique."""

    def __init__(self) -> None:
        self._numbers = itertools.count()

    def countries(self, count: int = 12) -> list[Country]:
        found = []
        for _ in range(count):
            n = next(self._numbers) % 675
            code = chr(65 + n // 26) + chr(65 + n % 26)
            found.append(
                Country(code=code, numeric_code=n + 1, name_l1=code, default_currency="EUR")
            )
        return found

    @staticmethod
    def people(count: int) -> list[Person]:
        return [
            Person(
                person_type=PersonType.NATURAL,
                display_name=f"p{i}",
                external_identifier=uuid.uuid4().hex,
            )
            for i in range(count)
        ]


def _operations(rows: _Rows, person_ids: list[Any]) -> dict[str, Callable[[], Call]]:
    """Per operation, a factory of one call (made before the clock starts: fresh rows)."""

    def load_people() -> Call:
        return lambda conn: PersonRepository(conn, actor="bench").load_batch(person_ids)

    def save_countries() -> Call:
        countries = rows.countries()
        return lambda conn: CountryRepository(conn).save_batch(countries)

    def save_countries_one_by_one() -> Call:
        countries = rows.countries()

        async def call(conn: asyncpg.Connection[Any]) -> None:
            repo = CountryRepository(conn)
            for country in countries:
                await repo.save(country)

        return call

    def save_people() -> Call:
        people = rows.people(100)
        return lambda conn: PersonRepository(conn, actor="bench").save_batch(people)

    return {
        "person.load_batch, 12 keys": load_people,
        "country.save_batch, 12 rows": save_countries,
        "country.save x 12 (one by one)": save_countries_one_by_one,
        "person.save_batch, 100 rows": save_people,
    }


async def _measure(
    url: str, variant: str, shared: TypeCodecs, make: Callable[[], Call]
) -> tuple[float, float, float]:
    """Hook, first call and warm call (ms) on one fresh connection."""
    options: dict[str, Any] = {}
    hook: TypeCodecs | None = shared
    if variant == "no hook":
        hook = None
    elif variant == "TypeCodecs, public path":
        options["connection_class"] = _PublicOnlyConnection
    elif variant == "TypeCodecs, first connection":
        hook = TypeCodecs(ledger)
    first, warm = make(), make()
    conn = await asyncpg.connect(url, **options)
    try:
        start = time.perf_counter()
        if hook is not None:
            await hook(conn)
        hooked = time.perf_counter()
        await first(conn)
        done = time.perf_counter()
        await warm(conn)
        again = time.perf_counter()
    finally:
        await conn.close()
    return (hooked - start) * 1e3, (done - hooked) * 1e3, (again - done) * 1e3


async def run(repeat: int) -> None:
    with devdb.server() as admin_url:
        name = devdb.unique_database_name("batchrepo_cold_start")
        url = await devdb.create_database(admin_url, name)
        admin = await asyncpg.connect(url)
        try:
            await admin.execute(ledger.ddl())
            person_ids = [
                r["id"]
                for r in await admin.fetch(
                    "INSERT INTO person (person_type, display_name, external_identifier) "
                    "SELECT 'natural', 'p' || g, 'x' || g FROM generate_series(1, 12) AS g "
                    "RETURNING id"
                )
            ]
            print(f"# batchrepo cold start, {datetime.date.today().isoformat()}\n")
            print(f"{await environment(admin)}; medians of {repeat} fresh connections\n")
            shared = TypeCodecs(ledger)
            await shared(admin)  # the pool's first connection, before the measured ones
            operations = _operations(_Rows(), person_ids)
            samples: dict[tuple[str, str], list[Samples]] = {}
            for operation, make in operations.items():
                for repetition in range(repeat + 1):  # the first round warms Python up, unrecorded
                    for variant in rotated(VARIANTS, repetition):
                        times = await _measure(url, variant, shared, make)
                        await admin.execute("DELETE FROM country; DELETE FROM person_history")
                        await admin.execute(
                            "DELETE FROM person WHERE NOT (id = ANY($1::uuid[]))", person_ids
                        )
                        if repetition:
                            found = samples.setdefault(
                                (operation, variant), [Samples() for _ in times]
                            )
                            for sample, value in zip(found, times, strict=True):
                                sample.add(value)
                print(f"cold_start: {operation} done", file=sys.stderr)
            print(_table(samples))
        finally:
            await admin.close()
            await devdb.drop_database(admin_url, name)


def _table(samples: dict[tuple[str, str], list[Samples]]) -> str:
    rows = []
    operations = list(dict.fromkeys(operation for operation, _ in samples))
    order = sorted(
        samples, key=lambda found: (operations.index(found[0]), VARIANTS.index(found[1]))
    )
    for operation, variant in order:
        hook, first, warm = samples[operation, variant]
        ratio = first.median / warm.median if warm.median > 0 else float("nan")
        rows.append(
            [
                operation,
                variant,
                ms(hook.median),
                ms(first.median),
                ms(warm.median),
                f"{ratio:.1f}x",
            ]
        )
    headers = ["operation", "variant", "hook ms", "first call ms", "warm call ms", "first / warm"]
    return markdown_table(headers, rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.cold_start", description=__doc__.split("\n\n")[0]
    )
    add_repeat(parser, default=30)
    args = parser.parse_args(argv)
    check_repeat(parser, args)
    asyncio.run(run(args.repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
