"""Every contender of ``make bench``, registered by importing this package.

* ``batchrepo_paths``: the batch methods, one entry per path the installed runtime offers;
* ``single_row``: the one-row methods in a loop (autocommit, and in one transaction);
* ``raw_asyncpg``: executemany, ``INSERT .. SELECT FROM unnest`` with and without
  ``RETURNING``, binary COPY, ``= ANY`` reads, ``UPDATE .. FROM unnest``, ``ON CONFLICT``;
* ``sqlalchemy_peers``: SQLAlchemy 2 ORM bulk insert/update, Core executemany, ``IN`` loads
  (needs the ``bench`` extra: ``pip install -e '.[dev,bench]'``, which ``make bench`` does).

``PEERS`` holds the set-up of the peers that need one per lane (``attach``/``detach``).
"""

from __future__ import annotations

from types import ModuleType

from . import batchrepo_paths, raw_asyncpg, single_row

PEERS: list[ModuleType] = []
#: Why SQLAlchemy's contenders are missing, when they are.
MISSING: list[str] = []

try:
    from . import sqlalchemy_peers
except ImportError as exc:  # the bench extra is not installed
    MISSING.append(f"SQLAlchemy contenders skipped: {exc} (pip install -e '.[dev,bench]')")
else:
    PEERS.append(sqlalchemy_peers)

__all__ = ["MISSING", "PEERS", "batchrepo_paths", "raw_asyncpg", "single_row"]
