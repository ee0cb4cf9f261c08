"""Port of tests/swoole_http_client_coro/duplicate_header.phpt (swoole-src a281145a1): "swoole_http_client_coro: duplicate header".

A response repeating ``values-1`` three times and ``values-2`` twice gives
``headers['values-1'] == ['hello', 'swoole', uuid]`` and ``headers['values-2'] == ['hello', uuid]``:
repeated fields become lists in arrival order.

Port: faithful

Deviations: the Swoole HTTP server is an aiohttp handler adding the repeated header lines
(``$response->header(name, array)``). An extra RAW case interleaves the repeats on the wire to
check that each list keeps arrival order and the dict keeps first-appearance order.
"""

from __future__ import annotations

import uuid as uuid_module

from aiohttp import web

from support.raw import read_request_head

from swoole_compat.coroutine.http import Client


def _uniqid() -> str:
    """Like PHP ``uniqid()``: 13 hexadecimal characters."""
    return uuid_module.uuid4().hex[:13]


async def test_duplicate_header(http_server) -> None:
    uid = _uniqid()

    async def handler(request: web.Request) -> web.Response:
        response = web.Response(text="OK")
        for value in ("hello", "swoole", uid):
            response.headers.add("Values-1", value)
        for value in ("hello", uid):
            response.headers.add("Values-2", value)
        return response

    srv = await http_server(web.Application(), routes=[web.get("/", handler)])
    client = Client("127.0.0.1", srv.port)
    assert await client.get("/") is True
    assert client.statusCode == 200
    assert client.body == b"OK"
    assert client.headers["values-1"] == ["hello", "swoole", uid]
    assert client.headers["values-2"] == ["hello", uid]
    # A header sent once stays a plain string.
    assert isinstance(client.headers["content-type"], str)
    client.close()


async def test_duplicate_header_interleaved(raw_server) -> None:
    uid = _uniqid()
    response = (
        "HTTP/1.1 200 OK\r\nValues-1: hello\r\nValues-2: hello\r\nValues-1: swoole\r\n"
        f"Values-2: {uid}\r\nValues-1: {uid}\r\nContent-Length: 2\r\n\r\nOK"
    ).encode()

    async def handler(reader, writer) -> None:
        await read_request_head(reader)
        writer.write(response)
        await writer.drain()

    srv = await raw_server(handler)
    client = Client("127.0.0.1", srv.port)
    assert await client.get("/") is True
    assert client.body == b"OK"
    assert client.headers == {
        "values-1": ["hello", "swoole", uid],
        "values-2": ["hello", uid],
        "content-length": "2",
    }
    assert list(client.headers) == ["values-1", "values-2", "content-length"]
    client.close()
