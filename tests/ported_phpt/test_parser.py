"""Port of tests/swoole_http_client_coro/parser.phpt (swoole-src a281145a1): "swoole_http_client_coro: http header field normal chars".

Header-name validation of the response parser. The server sends 40 headers, each named by one
legal token character (``!$%&*+-.'^_`a-z|~``) with a random value, and a random body: the client
keeps them all, in order, with their values. Then, for each of 15 illegal names (``"``, ``x(``,
``x)``, ``x,``, ``/``, ``x;``, ``x<``, ``x=``, ``x>``, ``x@``, ``x[``, ``x\\``, ``x]``, ``x{``,
``}``), a fresh client's request fails with errMsg "Http invalid protocol".

Port: changed (upstream's curl half, which checks only the server, is dropped)

Deviations: the Swoole HTTP server is a RAW script laying the response out like Swoole does
(``$response->header()`` name formatting, default headers): no real server emits the illegal
names. The curl half of upstream (a sanity check of the server only) is dropped. errCode 7102 and
statusCode -3 are asserted too, and each illegal case is checked to use its own connection.
"""

from __future__ import annotations

from support.helpers import safe_random
from support.raw import read_request, swoole_response

from swoole_compat.coroutine.http import Client

NORMAL_CHARS = [
    "!", "$", "%", "&", "*", "+", "-", ".", "'",
    "^", "_", "`",
    "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m",
    "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z",
    "|", "~",
    # not allowed in a header name (index START and up)
    '"', "x(", "x)", "x,", "/", "x;", "x<", "x=", "x>", "x@", "x[", "x\\", "x]", "x{", "}",
]  # fmt: skip
START = 40
SW_ERROR_HTTP_INVALID_PROTOCOL = 7102
HTTP_ESTATUS_SERVER_RESET = -3


async def test_parser(raw_server) -> None:
    valid_values = [safe_random() for _ in range(START)]
    valid_body = safe_random()
    invalid_values = {i: safe_random() for i in range(START, len(NORMAL_CHARS))}

    async def handler(reader, writer) -> None:
        request = await read_request(reader)
        if request.path == "/valid":
            headers = list(zip(NORMAL_CHARS[:START], valid_values))
            body = valid_body
        else:
            key = int(request.query["key"])
            headers = [(NORMAL_CHARS[key], invalid_values[key])]
            body = safe_random()
        writer.write(swoole_response(body.encode(), headers=headers))
        await writer.drain()

    srv = await raw_server(handler)

    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 1})
    assert await cli.get("/valid") is True
    assert cli.statusCode == 200
    received = [(name, value) for name, value in cli.headers.items() if name in NORMAL_CHARS]
    assert received == list(zip(NORMAL_CHARS[:START], valid_values))
    assert cli.body == valid_body.encode()
    cli.close()

    for i in range(START, len(NORMAL_CHARS)):
        cli = Client("127.0.0.1", srv.port)
        cli.set({"timeout": 1})
        assert await cli.get(f"/invalid?key={i}") is False, NORMAL_CHARS[i]
        assert cli.errMsg == "Http invalid protocol", NORMAL_CHARS[i]
        assert cli.errCode == SW_ERROR_HTTP_INVALID_PROTOCOL
        assert cli.statusCode == HTTP_ESTATUS_SERVER_RESET
        assert cli.body == b""
        assert cli.connected is False
        cli.close()

    assert srv.connections == 1 + len(NORMAL_CHARS) - START
    assert [r.split(b" ", 2)[1] for r in srv.requests] == [b"/valid"] + [
        f"/invalid?key={i}".encode() for i in range(START, len(NORMAL_CHARS))
    ]
