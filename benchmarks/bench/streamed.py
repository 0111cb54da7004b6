"""A streamed import: rows from a generator into ``person``, its time and peak memory.

Each import runs alone in a child process (``python -m benchmarks.bench.streamed``), so its
peak resident memory (``VmHWM`` in ``/proc/self/status``) is the import's own and not the
benchmark's; the child also reports its ``VmHWM`` before the import started (interpreter,
imports, connection), the floor every contender shares. The rows come from a generator
(:meth:`RowFactory.stream`), never a list, on the plain table, in chunks of ``chunk_size``.

Contenders, one function each (``STREAMED``), registered like the rest:

* the caller's own loop of ``save_batch`` over chunks of the generator (results dropped);
* raw asyncpg ``copy_records_to_table`` fed by a generator of tuples (the floor);
* ``save_batch_chunked(generator, chunk_size=..., atomic=False, returning=False)``: the
  runtime's own streaming (validation, checks and results per chunk, statistics only).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import itertools
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from operator import attrgetter
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg

from ..timing import rotated
from .results import StreamedImport
from .rows import RowFactory

ROOT = Path(__file__).resolve().parents[2]
#: What a streamed contender does: (connection, package, source of entities, chunk size).
Import = Callable[[Any, ModuleType, Iterator[Any], int], Awaitable[object]]
STREAMED: dict[str, Import] = {}


def streamed(name: str, *, when: bool = True) -> Callable[[Import], Import]:
    def register(function: Import) -> Import:
        if when:
            STREAMED[name] = function
        return function

    return register


def _chunks(source: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while chunk := list(itertools.islice(source, size)):
        yield chunk


@streamed("batchrepo save_batch, caller's loop over chunks")
async def save_batch_loop(
    conn: Any, package: ModuleType, source: Iterator[Any], chunk: int
) -> None:
    repo = package.PersonRepository(conn)
    for rows in _chunks(source, chunk):
        await repo.save_batch(rows)


@streamed("batchrepo save_batch_chunked, returning=False")
async def save_batch_chunked(
    conn: Any, package: ModuleType, source: Iterator[Any], chunk: int
) -> None:
    repo = package.PersonRepository(conn)
    await repo.save_batch_chunked(source, chunk_size=chunk, atomic=False, returning=False)


@streamed("asyncpg COPY from a generator")
async def copy_generator(conn: Any, package: ModuleType, source: Iterator[Any], chunk: int) -> None:
    columns = [
        c for c in package.person.PERSON_TABLE.columns if c.name not in ("created_at", "version")
    ]
    row = attrgetter(*(c.attr for c in columns))
    await conn.copy_records_to_table(
        "person", records=(row(p) for p in source), columns=[c.name for c in columns]
    )


def _vm_hwm_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


async def _child(
    dsn: str, package_name: str, contender: str, rows: int, chunk: int
) -> dict[str, float]:
    package = importlib.import_module(package_name)
    conn = await asyncpg.connect(dsn)
    try:
        baseline = _vm_hwm_mb()
        started = time.perf_counter()
        await STREAMED[contender](conn, package, RowFactory(package).stream(rows), chunk)
        elapsed = (time.perf_counter() - started) * 1000.0
        stored = await conn.fetchval('SELECT count(*) FROM "person"')
    finally:
        await conn.close()
    if stored != rows:
        raise RuntimeError(f"{contender}: {stored} rows stored, expected {rows}")
    return {"ms": elapsed, "peak_rss_mb": _vm_hwm_mb(), "baseline_rss_mb": baseline}


async def measure(
    conn: Any,
    dsn: str,
    package: ModuleType,
    package_path: Path,
    sizes: Sequence[int],
    chunk: int,
    repeat: int,
) -> list[StreamedImport]:
    """Every streamed contender at every size, ``repeat`` times, each in a fresh child."""
    measured = []
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(package_path), str(ROOT), str(ROOT / "generated")]),
    }
    for rows in sizes:
        for repetition in range(repeat):
            for name in rotated(sorted(STREAMED), repetition):
                await conn.execute('TRUNCATE "person" CASCADE')
                child = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "benchmarks.bench.streamed",
                    dsn,
                    package.__name__,
                    name,
                    str(rows),
                    str(chunk),
                    cwd=ROOT,
                    env=env,
                    stdout=asyncio.subprocess.PIPE,
                )
                out, _ = await child.communicate()
                if child.returncode != 0:
                    raise RuntimeError(f"streamed import {name!r} of {rows:,} rows failed")
                found = json.loads(out)
                measured.append(StreamedImport(name, rows, chunk, **found))
            print(f"bench: streamed {rows:,} rows, repetition {repetition + 1}", file=sys.stderr)
    await conn.execute('TRUNCATE "person" CASCADE')
    return measured


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench.streamed")
    parser.add_argument("dsn")
    parser.add_argument("package", help="the generated package whose person table is written")
    parser.add_argument("contender", choices=sorted(STREAMED))
    parser.add_argument("rows", type=int)
    parser.add_argument("chunk_size", type=int)
    args = parser.parse_args(argv)
    found = asyncio.run(_child(args.dsn, args.package, args.contender, args.rows, args.chunk_size))
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
