"""What the benchmark programs share around the measurements: options and the report header.

``make bench`` and ``make bench-audit`` take the same kind of ``--sizes`` and ``--repeat`` and
open their report with the same line naming the server, the client and the machine load, since
absolute times only mean something next to those.
"""

from __future__ import annotations

import argparse
import platform

import asyncpg

from .timing import machine


def row_counts(text: str) -> list[int]:
    """``--sizes``: comma-separated row counts (``1000,10_000``), each at least 2."""
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"sizes are comma-separated row counts: {exc}") from exc
    if not sizes or min(sizes) < 2:
        raise argparse.ArgumentTypeError("each size must be at least 2 rows")
    return sizes


def add_repeat(parser: argparse.ArgumentParser, default: int) -> None:
    parser.add_argument(
        "--repeat",
        type=int,
        default=default,
        help=f"repetitions, every variant measured in each (default {default})",
    )


def check_repeat(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")


async def environment(conn: asyncpg.Connection[asyncpg.Record]) -> str:
    """Server and client versions and the machine's load, for the report's first line."""
    version = await conn.fetchval("SHOW server_version")
    return (
        f"PostgreSQL {version}, Python {platform.python_version()}, asyncpg "
        f"{asyncpg.__version__}, {machine()}"
    )
