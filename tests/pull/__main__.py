"""Regenerate tests/pull/expected/bank.schema.yaml, the YAML ``batchrepo pull`` writes for
tests/pull/bank.sql (on ``DATABASE_URL`` or an embedded PostgreSQL)::

    python -m tests.pull

Review the diff before committing it: it is what every user of pull would see change.
"""

from __future__ import annotations

import asyncio

import asyncpg
from batchrepo_codegen import devdb
from batchrepo_codegen.pull import PullRequest, pull

from tests.pull.test_bank import BANK_SQL, GOLDEN, golden_text


async def _regenerate(admin_url: str) -> None:
    name = devdb.unique_database_name("pull_golden")
    url = await devdb.create_database(admin_url, name)
    try:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(BANK_SQL.read_text(encoding="utf-8"))
        finally:
            await conn.close()
        result = await pull(PullRequest(dsn=url, package="bank", prove=False))
    finally:
        await devdb.drop_database(admin_url, name)
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(golden_text(result), encoding="utf-8")
    print(f"wrote {GOLDEN}")


def main() -> None:
    with devdb.server() as admin_url:
        asyncio.run(_regenerate(admin_url))


if __name__ == "__main__":
    main()
