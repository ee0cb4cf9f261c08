"""Port of tests/swoole_http_client_coro/bind_address.phpt (swoole-src a281145a1): "swoole_http_client_coro: bind address and port".

The ``bind_address`` / ``bind_port`` settings, seen from the server's side of the connection:
(1) a local address plus a free port: the server sees exactly that address and port;
(2) ``bind_address`` 11111 (not an address): the bind failure is silently ignored and the server
sees 127.0.0.1 with another port; (3) ``bind_port`` -1 is clamped to 0 (ephemeral port);
(4) an address alone gives an ephemeral port. Finally ``/stop`` answers ``<h1>Stop</h1>``.

Port: re-targeted (the LAN address becomes 127.0.0.2; www.baidu.com becomes a local server reachable
only from 127.0.0.2)

Deviations: the machine's LAN address (``swoole_get_local_ip()``) is replaced by 127.0.0.2, a
second loopback address that Linux routes without configuration (skipped where it cannot be
bound). Upstream's sub-test (5) (bound to the LAN address a GET to www.baidu.com works, bound to
127.0.0.1 it fails because no route leads from there to the internet) runs in its own test
function against a server on 127.0.0.3 whose listening socket drops, with a BPF socket filter
(``support.peerfilter``), every packet not coming from 127.0.0.2: bound to 127.0.0.2 (and a free
port) ``get('/')`` succeeds, bound to 127.0.0.1 the connect never completes and ``get('/')``
fails. That client gets ``connect_timeout`` 0.5 s (upstream fails at once with no route); it
skips, visibly, where the filter cannot be attached. The server records each request's peer
address and posted form; upstream's handler-side asserts run in the handlers (through the
assertion bag) and are repeated in the test body.
"""

from __future__ import annotations

import asyncio
import socket
import sys

import pytest
from aiohttp import web

from support.bag import AssertBag
from support.peerfilter import PeerFilterUnavailable, accept_only_from, verify_filter

from swoole_compat.coroutine.http import Client

LOCAL_IP = "127.0.0.2"
REMOTE_IP = "127.0.0.3"  # stands in for www.baidu.com
ESTATUS_CONNECT_FAILED = -1


def _can_bind(address: str) -> bool:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((address, 0))
    except OSError:
        return False
    return True


def _free_port(address: str) -> int:
    """upstream ``get_one_free_port()``, on the address the client will bind."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not _can_bind(LOCAL_IP),
    reason=f"{LOCAL_IP} is not a usable loopback address here (needs Linux)",
)


def _app(bag: AssertBag, seen: dict[str, tuple[tuple[str, int], dict[str, str]]]) -> web.Application:
    async def record(request: web.Request) -> tuple[tuple[str, int], dict[str, str]]:
        peer = request.transport.get_extra_info("peername")
        post = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        seen[request.path] = (peer, post)
        return peer, post

    async def validaddress(request: web.Request) -> web.Response:
        (addr, port), post = await record(request)
        bag.same(addr, post.get("bind_address"), "validaddress: remote_addr")
        bag.same(str(port), post.get("bind_port"), "validaddress: remote_port")
        return web.Response(status=500)  # upstream handlers never end(): Swoole answers 500

    async def invalidaddress(request: web.Request) -> web.Response:
        (addr, port), post = await record(request)
        bag.same(post.get("bind_address"), "11111", "invalidaddress: posted bind_address")
        bag.same(addr, "127.0.0.1", "invalidaddress: remote_addr")
        bag.check(str(port) != post.get("bind_port"), "invalidaddress: remote_port equals bind_port")
        return web.Response(status=500)

    async def invalidport(request: web.Request) -> web.Response:
        (addr, port), post = await record(request)
        bag.same(post.get("bind_port"), "-1", "invalidport: posted bind_port")
        bag.same(addr, post.get("bind_address"), "invalidport: remote_addr")
        bag.check(port > 0, "invalidport: remote_port")
        return web.Response(status=500)

    async def notbindport(request: web.Request) -> web.Response:
        (addr, port), post = await record(request)
        bag.check("bind_port" not in post, "notbindport: bind_port was posted")
        bag.same(addr, post.get("bind_address"), "notbindport: remote_addr")
        bag.check(port > 0, "notbindport: remote_port")
        return web.Response(status=500)

    async def stop(request: web.Request) -> web.Response:
        return web.Response(text="<h1>Stop</h1>", content_type="text/html")

    app = web.Application()
    app.add_routes(
        [
            web.post("/validaddress", validaddress),
            web.post("/invalidaddress", invalidaddress),
            web.post("/invalidport", invalidport),
            web.post("/notbindport", notbindport),
            web.get("/stop", stop),
        ]
    )
    return app


async def test_bind_address(http_server, assert_bag) -> None:
    seen: dict[str, tuple[tuple[str, int], dict[str, str]]] = {}
    srv = await http_server(_app(assert_bag, seen))
    port = srv.port

    async def test1() -> tuple[str, int]:  # valid address
        client = Client("127.0.0.1", port)
        bind_address, bind_port = LOCAL_IP, _free_port(LOCAL_IP)
        client.set({"bind_address": bind_address, "bind_port": bind_port})
        await client.post("/validaddress", {"bind_address": bind_address, "bind_port": bind_port})
        client.close()
        return bind_address, bind_port

    async def test2() -> int:  # invalid address
        client = Client("127.0.0.1", port)
        bind_address, bind_port = 11111, _free_port("127.0.0.1")
        client.set({"bind_address": bind_address, "bind_port": bind_port})
        await client.post("/invalidaddress", {"bind_address": bind_address, "bind_port": bind_port})
        client.close()
        return bind_port

    async def test3() -> None:  # invalid port
        client = Client("127.0.0.1", port)
        bind_address, bind_port = LOCAL_IP, -1
        client.set({"bind_address": bind_address, "bind_port": -1})
        await client.post("/invalidport", {"bind_address": bind_address, "bind_port": bind_port})
        client.close()

    async def test4() -> None:  # address only
        client = Client("127.0.0.1", port)
        bind_address, bind_port = LOCAL_IP, None
        client.set({"bind_address": bind_address})
        await client.post("/notbindport", {"bind_address": bind_address, "bind_port": bind_port})
        client.close()

    (addr1, port1), port2, _, _ = await asyncio.wait_for(asyncio.gather(test1(), test2(), test3(), test4()), 3)

    client = Client("127.0.0.1", port)
    assert await client.get("/stop?hello=1") is True
    assert client.body == b"<h1>Stop</h1>"
    client.close()

    # The server-side observations, asserted here as well.
    assert sorted(seen) == ["/invalidaddress", "/invalidport", "/notbindport", "/validaddress"]
    assert seen["/validaddress"][0] == (addr1, port1)
    assert seen["/invalidaddress"][0][0] == "127.0.0.1"
    assert seen["/invalidaddress"][0][1] != port2
    assert seen["/invalidaddress"][1] == {"bind_address": "11111", "bind_port": str(port2)}
    assert seen["/invalidport"][0][0] == LOCAL_IP
    assert seen["/invalidport"][1] == {"bind_address": LOCAL_IP, "bind_port": "-1"}
    assert seen["/notbindport"][0][0] == LOCAL_IP
    assert seen["/notbindport"][1] == {"bind_address": LOCAL_IP}


async def test_bind_address_option_kept_across_reconnects(http_server) -> None:
    # The setting is applied to every new socket: after close() the next request binds again.
    srv = await http_server()
    client = Client("127.0.0.1", srv.port)
    client.set({"bind_address": LOCAL_IP})
    for _ in range(2):
        assert await client.get("/get") is True
        client.close()
    assert [r.peer[0] for r in srv.requests] == [LOCAL_IP, LOCAL_IP]
    assert srv.connections == 2


async def test_bind_address_reaches_server_only_from_bound_address(http_server) -> None:
    # Upstream test5: a server reachable from the bound (LAN) address but not from 127.0.0.1.
    if not _can_bind(REMOTE_IP):
        pytest.skip(f"{REMOTE_IP} is not a usable loopback address here")
    async def index(request: web.Request) -> web.Response:
        return web.Response(text="baidu")

    srv = await http_server(routes=[web.get("/", index)], host=REMOTE_IP)
    try:
        accept_only_from(srv.listening_socket, LOCAL_IP)
    except PeerFilterUnavailable as exc:
        pytest.skip(f"no offline form of sub-test 5 here: {exc}")
    if not await verify_filter(srv.host, srv.port, LOCAL_IP, "127.0.0.1"):
        pytest.skip(f"the socket filter does not keep 127.0.0.1 away from {REMOTE_IP} here")
    probes = srv.connections  # the verification connected once from LOCAL_IP

    client = Client(REMOTE_IP, srv.port)
    bind_port = _free_port(LOCAL_IP)
    client.set({"bind_address": LOCAL_IP, "bind_port": bind_port})
    assert await asyncio.wait_for(client.get("/"), 3) is True
    assert client.statusCode == 200 and client.body == b"baidu"
    client.close()

    client = Client(REMOTE_IP, srv.port)
    client.set({"bind_address": "127.0.0.1", "bind_port": _free_port("127.0.0.1"), "connect_timeout": 0.5})
    assert await asyncio.wait_for(client.get("/"), 3) is False
    assert client.statusCode == ESTATUS_CONNECT_FAILED
    client.close()

    assert [r.peer for r in srv.requests] == [(LOCAL_IP, bind_port)]
    assert [r.peer[0] for r in srv.records[probes:]] == [LOCAL_IP]
