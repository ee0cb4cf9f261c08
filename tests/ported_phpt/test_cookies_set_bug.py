"""Port of tests/swoole_http_client_coro/cookies_set_bug.phpt (swoole-src a281145a1): "swoole_http_client_coro: cookies set bug".

Regression test (2019, #2644): an empty cookie array passed to ``setCookies()`` must not be filled
in by the response's ``Set-Cookie`` (httpbin ``/cookies/set/a/1``). Upstream prints that array,
which stays empty, before each of two requests, and both ``get()`` calls succeed.

Port: re-targeted (httpbin.org becomes the local httpbin-like app)

Deviations: httpbin.org is re-targeted to the local httpbin-like aiohttp app (``/cookies/set/a/1``
answers 302 with ``Set-Cookie: a=1; Path=/``); the Host header names the local server. PHP's
copy-on-write array semantics become: ``setCookies(d)`` keeps its own copy, so the caller's
empty dict is still ``{}`` after a response that sets a cookie, while ``client.cookies`` holds
``a``. Added: the redirect is not followed (302), an empty cookie array is sent as an empty
``Cookie:`` header (§4), and the second request's server sees no cookie.
"""

from __future__ import annotations

import json

from swoole_compat.coroutine.http import Client


def get_cookies() -> dict:
    return {}  # upstream var_dump()s this fresh array; the caller checks it after the request


async def test_cookies_set_bug(httpbin) -> None:
    domain = f"127.0.0.1:{httpbin.port}"
    path = "/cookies/set/a/1"
    cli = Client("127.0.0.1", httpbin.port)
    cli.set({"timeout": 5})
    cli.setHeaders(
        {
            "Host": domain,
            "User-Agent": "Chrome/49.0.2587.3",
            "Accept": "text/html,application/xhtml+xml,application/xml",
            "Accept-Encoding": "gzip",
        }
    )

    # first request
    cookies = get_cookies()
    cli.setCookies(cookies)
    assert await cli.get(path) is True
    assert cli.statusCode == 302
    assert cli.headers["location"] == "/cookies"
    assert cli.set_cookie_headers and cli.set_cookie_headers[0].startswith("a=1")
    assert cli.cookies == {"a": "1"}
    assert cookies == {}  # the caller's array was not filled by the response
    assert cookies is not cli.cookies

    # second request
    cookies = get_cookies()
    cli.setCookies(cookies)
    assert cli.cookies == {}
    assert await cli.get("/cookies") is True
    assert cli.statusCode == 200
    assert json.loads(cli.body) == {"cookies": {}}
    assert cookies == {}
    cli.close()

    assert [r.target for r in httpbin.requests] == [path, "/cookies"]
    for record in httpbin.requests:
        assert record.header_all("Cookie") == [""]
        assert record.header_all("Host") == [domain]
