"""A loopback TCP proxy in front of the test PostgreSQL that can lose COMMIT's answer or go
silent, the two network faults a unit of work cannot tell from each other by itself.

Clients connect to ``127.0.0.1:<port>``; every connection is forwarded to the server (its unix
socket, or its host and port) byte for byte until a fault is armed:

* ``drop_commit_answer()``: the next ``COMMIT`` a client sends reaches the server, and the
  first bytes the server answers on that connection are thrown away and both sides closed, as
  when a network breaks right after the server committed;
* ``swallow_commit()``: the next ``COMMIT`` never reaches the server and nothing comes back: the
  connection stays open and silent (a blackholed network), so the server transaction stays
  open until it ends it (``idle_in_transaction_session_timeout``);
* ``silence()``: every open connection stops forwarding both ways, mid-statement or not.

A COMMIT is spotted as asyncpg sends it without arguments: a simple-query message
``Q<length>COMMIT\\0``. New connections (asyncpg's cancel requests among them) are forwarded.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

_COMMIT = b"COMMIT\x00"


class _Link:
    """One client connection and its server connection."""

    def __init__(self, proxy: FaultyProxy) -> None:
        self.proxy = proxy
        self.silent = False
        self.drop_next_answer = False
        self.writers: list[asyncio.StreamWriter] = []

    def close(self) -> None:
        for writer in self.writers:
            writer.close()


class FaultyProxy:
    def __init__(self, server_url: str) -> None:
        self._url = urlsplit(server_url)
        host = parse_qs(self._url.query).get("host", [self._url.hostname or ""])[0]
        # a unix socket directory (the embedded server), or a host name
        self._socket = next(Path(host).glob(".s.PGSQL.*")) if host.startswith("/") else None
        self._host = host
        self._server: asyncio.Server | None = None
        self._links: list[_Link] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._armed: str | None = None
        self.commits_seen = 0

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    def dsn(self) -> str:
        """The server URL, reached through the proxy."""
        user = self._url.username or "postgres"
        database = self._url.path.lstrip("/") or "postgres"
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def drop_commit_answer(self) -> None:
        self._armed = "drop"

    def swallow_commit(self) -> None:
        self._armed = "swallow"

    def silence(self) -> None:
        for link in self._links:
            link.silent = True

    async def _open_server(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._socket is not None:
            return await asyncio.open_unix_connection(str(self._socket))
        return await asyncio.open_connection(self._host, self._url.port or 5432)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        link = _Link(self)
        self._links.append(link)
        server_reader, server_writer = await self._open_server()
        link.writers = [writer, server_writer]
        upstream = asyncio.ensure_future(self._pump(link, reader, server_writer, upstream=True))
        downstream = asyncio.ensure_future(self._pump(link, server_reader, writer, upstream=False))
        for task in (upstream, downstream):
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(
        self,
        link: _Link,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        upstream: bool,
    ) -> None:
        try:
            while data := await reader.read(65536):
                if upstream and _COMMIT in data:
                    self.commits_seen += 1
                    armed, self._armed = self._armed, None
                    if armed == "swallow":
                        link.silent = True
                    elif armed == "drop":
                        link.drop_next_answer = True
                if link.silent:
                    continue  # read and thrown away: the other side hears nothing
                if not upstream and link.drop_next_answer:
                    link.close()
                    return
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if not link.silent:
                link.close()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for link in self._links:
            link.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._server.wait_closed()


@contextlib.asynccontextmanager
async def faulty_proxy(server_url: str) -> AsyncIterator[FaultyProxy]:
    proxy = FaultyProxy(server_url)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()
