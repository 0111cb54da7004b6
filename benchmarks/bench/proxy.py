"""A loopback TCP proxy that adds a fixed delay per direction: a database across a network.

Production databases sit a network away, where every round trip costs ~0.5-1 ms more than over
a unix socket; that is what makes row-by-row loops slow and batches worth it. ``--proxy-delay-ms
0.5`` sends every connection of the run through this proxy: it listens on 127.0.0.1, forwards to
the server (its unix socket or TCP address), and holds every chunk of bytes for the delay in
each direction before passing it on, keeping their order.

It runs in a child process (``python -m benchmarks.bench.proxy``) so that forwarding never
competes with the measured client for its interpreter, and with threads and ``time.sleep``
rather than asyncio: asyncio's epoll timeouts are rounded up to whole milliseconds, which would
turn 0.5 ms into 1 ms. The child prints its port, then serves until its standard input closes.
"""

from __future__ import annotations

import argparse
import contextlib
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

_CHUNK = 256 * 1024
#: What a reader hands its sender when the connection is closed.
_END = b""


def upstream_of(dsn: str) -> str:
    """Where ``dsn`` reaches the server: ``unix:<socket path>`` or ``tcp:<host>:<port>``."""
    parts = urlsplit(dsn)
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or "localhost"])[0]
    port = int(query.get("port", [parts.port or 5432])[0])
    if host.startswith("/"):
        return f"unix:{host}/.s.PGSQL.{port}"
    return f"tcp:{host}:{port}"


def proxied_dsn(dsn: str, port: int) -> str:
    """``dsn`` reaching the proxy on 127.0.0.1:``port`` instead (same user, database, options;
    TLS off: the proxy is on this machine, and asking for it costs a round trip per connect)."""
    parts = urlsplit(dsn)
    query = {k: v for k, v in parse_qs(parts.query).items() if k not in ("host", "port")}
    query["sslmode"] = ["disable"]
    user = parts.netloc.rpartition("@")[0]
    netloc = f"{user}@127.0.0.1:{port}" if user else f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query, doseq=True)))


def _connect(upstream: str) -> socket.socket:
    kind, _, address = upstream.partition(":")
    if kind == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(address)
        return sock
    host, _, port = address.rpartition(":")
    sock = socket.create_connection((host, int(port)))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _pump(source: socket.socket, target: socket.socket, delay: float) -> None:
    """Forward ``source`` to ``target``, each chunk ``delay`` seconds after it arrived."""
    held: queue.SimpleQueue[tuple[float, bytes]] = queue.SimpleQueue()

    def send() -> None:
        while True:
            due, data = held.get()
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if data is _END:
                with contextlib.suppress(OSError):
                    target.shutdown(socket.SHUT_WR)
                return
            try:
                target.sendall(data)
            except OSError:
                return

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    while True:
        try:
            data = source.recv(_CHUNK)
        except OSError:
            data = _END
        held.put((time.monotonic() + delay, data or _END))
        if not data:
            break
    sender.join()


def _serve_one(client: socket.socket, upstream: str, delay: float) -> None:
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        server = _connect(upstream)
    except OSError:
        client.close()
        return
    back = threading.Thread(target=_pump, args=(server, client, delay), daemon=True)
    back.start()
    _pump(client, server, delay)
    back.join()
    client.close()
    server.close()


def serve(upstream: str, delay_ms: float) -> None:
    """Print the port, then proxy every connection until standard input closes."""
    listener = socket.create_server(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)
    delay = delay_ms / 1000.0

    def accept() -> None:
        while True:
            client, _ = listener.accept()
            threading.Thread(target=_serve_one, args=(client, upstream, delay), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    sys.stdin.read()  # the parent closes it (or dies): time to go


@contextlib.contextmanager
def delay_proxy(dsn: str, delay_ms: float) -> Iterator[int]:
    """Run the proxy in a child process for the ``with`` block; yield the port it listens on."""
    child = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.bench.proxy", upstream_of(dsn), str(delay_ms)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        line = child.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(f"the delay proxy did not start (it printed {line!r})")
        yield int(line)
    finally:
        child.stdin.close()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench.proxy")
    parser.add_argument("upstream", help="unix:<socket path> or tcp:<host>:<port>")
    parser.add_argument("delay_ms", type=float, help="added delay per direction, milliseconds")
    args = parser.parse_args(argv)
    serve(args.upstream, args.delay_ms)
    return 0


if __name__ == "__main__":
    sys.exit(main())
