"""Every route that reads a body caps it while it streams, against a real server
process: a body declared too large is refused before it is sent, and a body sent
in chunks with no length is cut as soon as it passes the limit. A route that
read the whole body first would wait here for bytes the client never sends (the
socket timeout ends such a run as a failure)."""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import websockets

from graph.core.limits import Limits

from tests.e2e.server import running_server, server_env

WEBHOOK_LIMIT = 1024 * 1024  # SHOPGRAPH_STRIPE_WEBHOOK_MAX_BYTES's default
GRAPHQL_LIMIT = Limits().max_body_bytes
ROUTES = {"/webhooks/stripe": WEBHOOK_LIMIT, "/graphql": GRAPHQL_LIMIT}
CHUNK = 64 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    tmp = tmp_path_factory.mktemp("caps")
    env = server_env(f"sqlite://{tmp / 'shop.db'}", STRIPE_SECRET_KEY="sk_test_caps", STRIPE_API_BASE="http://127.0.0.1:9",
                     STRIPE_WEBHOOK_SECRET="whsec_caps", SHOPGRAPH_RECONCILE_INTERVAL="0",
                     SHOPGRAPH_OUTBOUND_INTERVAL="0")
    with running_server(env, Path(tmp / "server.log")) as base:
        url = urlsplit(base)
        yield url.hostname, url.port


def _connect(server: tuple[str, int]) -> socket.socket:
    return socket.create_connection(server, timeout=15)


def _status(sock: socket.socket) -> int:
    """The status of the answer (waits for it; a server still reading times out here)."""
    head = b""
    while b"\r\n" not in head:
        data = sock.recv(4096)
        if not data:
            break
        head += data
    return int(head.split(b" ", 2)[1])


def _headers(path: str, *extra: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: shop", "Content-Type: application/json",
             "Stripe-Signature: t=1,v1=00", *extra, "", ""]
    return "\r\n".join(lines).encode()


def _answered(sock: socket.socket) -> bool:
    return bool(select.select([sock], [], [], 0)[0])


@pytest.mark.parametrize("path", ROUTES)
def test_a_declared_50_mb_body_is_refused_after_a_few_bytes(server, path):
    with _connect(server) as sock:
        sock.sendall(_headers(path, "Content-Length: 50000000") + b'{"query": "')  # and nothing more
        assert _status(sock) == 413


@pytest.mark.parametrize("path", ROUTES)
def test_a_chunked_body_without_a_length_is_cut_at_the_limit(server, path):
    limit = ROUTES[path]
    with _connect(server) as sock:
        sock.sendall(_headers(path, "Transfer-Encoding: chunked"))
        sent = 0
        while sent <= limit + CHUNK and not _answered(sock):  # just past the limit; never the last chunk
            sock.sendall(f"{CHUNK:x}\r\n".encode() + b"x" * CHUNK + b"\r\n")
            sent += CHUNK
        assert sent > limit
        assert _status(sock) == 413


@pytest.mark.parametrize("path", ROUTES)
def test_a_body_under_the_limit_is_still_read(server, path):
    body = b'{"query": "{ __typename }"}'
    with _connect(server) as sock:
        sock.sendall(_headers(path, f"Content-Length: {len(body)}") + body)
        assert _status(sock) == (400 if path == "/webhooks/stripe" else 200)  # a bad signature, a good query


async def test_a_websocket_message_over_the_limit_closes_the_connection(server):
    host, port = server
    async with websockets.connect(f"ws://{host}:{port}/graphql", subprotocols=["graphql-transport-ws"],
                                  max_size=None) as socket_:
        await socket_.send('{"type": "connection_init", "payload": {"padding": "' + "x" * GRAPHQL_LIMIT + '"}}')
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await socket_.recv()
    assert closed.value.rcvd.code == 1009  # message too big
