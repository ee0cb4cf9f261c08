"""Port of tests/swoole_http_client_coro/set_basic_auth.phpt (swoole-src a281145a1): "swoole_http_client_coro: http client set basic auth".

``setBasicAuth(random user, random password)`` + ``GET /basic-auth/<user>/<password>`` gives 200
(``Authorization: Basic base64(user:password)``); the request also carries a lower-case
``host: httpbin.org`` header and browser-like headers.

Port: re-targeted (HTTPBIN becomes the local httpbin-like app)

Deviations: HTTPBIN is the local httpbin-like app (HB), which checks the credentials like
httpbin. Added: the exact Authorization header and the single Host line the server received.
"""

from __future__ import annotations

import base64

from support.helpers import safe_random

from swoole_compat.coroutine.http import Client


async def test_set_basic_auth(httpbin) -> None:
    cli = Client("127.0.0.1", httpbin.port)
    cli.set({"timeout": 10})
    cli.setHeaders(
        {
            "host": "httpbin.org",
            "User-Agent": "Chrome/49.0.2587.3",
            "Accept": "text/html,application/xhtml+xml,application/xml",
            "Accept-Encoding": "gzip",
        }
    )
    username = safe_random()
    password = safe_random()
    assert cli.setBasicAuth(username, password) is None
    ret = await cli.get(f"/basic-auth/{username}/{password}")
    assert ret and cli.statusCode == 200  # upstream prints OK

    request = httpbin.requests[-1]
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    assert request.header_all("Authorization") == [f"Basic {token}"]
    assert request.header_all("Host") == ["httpbin.org"]
    cli.close()
