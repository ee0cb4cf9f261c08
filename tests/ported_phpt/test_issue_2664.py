"""Port of tests/swoole_http_client_coro/issue_2664.phpt (swoole-src a281145a1): "swoole_http_client_coro: set_cookie_headers".

The server sets four cookies (``key1=val1`` for domain id.test.com, the deletion of ``key1`` for
test.com, the same pair for ``key2``); ``httpRequest()``'s ``set_cookie_headers`` lists the four
raw ``Set-Cookie`` values in order, with the exact text and lengths (91 and 87 characters).

Port: faithful

Deviations: the Swoole HTTP server is an aiohttp server that adds the four ``Set-Cookie`` header
values exactly as Swoole's ``$response->cookie()`` formats them (PHP date format
``D, d-M-Y H:i:s T``; aiohttp's own cookie formatting differs). Added: the parsed ``cookies``
map (last value wins) on a direct client, and the response body.
"""

from __future__ import annotations

import random
import re
import time

from aiohttp import web

from support.helpers import http_request

from swoole_compat.coroutine.http import Client

PHP_COOKIE_DATE = "%a, %d-%b-%Y %H:%M:%S GMT"
DATE = r"[A-Z][a-z]{2}, \d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2} GMT"


def php_cookie(name: str, value: str, expires: int, path: str, domain: str, now: int) -> str:
    """``Swoole\\Http\\Response::cookie()`` header value (no secure/httponly/samesite)."""
    if value == "":
        return f"{name}=deleted; expires=Thu, 01-Jan-1970 00:00:01 GMT; Max-Age=0; path={path}; domain={domain}"
    date = time.strftime(PHP_COOKIE_DATE, time.gmtime(expires))
    max_age = expires - now
    return f"{name}={value}; expires={date}; Max-Age={max_age}; path={path}; domain={domain}"


async def test_issue_2664(http_server) -> None:
    async def handler(request: web.Request) -> web.Response:
        now = int(time.time())
        time_left = now + 84600
        response = web.Response(text=f"<h1>Hello Swoole. #{random.randint(1000, 9999)}</h1>", content_type="text/html")
        response.headers.add("Set-Cookie", php_cookie("key1", "val1", time_left, "/", "id.test.com", now))
        response.headers.add("Set-Cookie", php_cookie("key1", "", 0, "/", "test.com", now))
        response.headers.add("Set-Cookie", php_cookie("key2", "val2", time_left, "/", "id.test.com", now))
        response.headers.add("Set-Cookie", php_cookie("key2", "", 0, "/", "test.com", now))
        return response

    srv = await http_server(web.Application(), routes=[web.get("/", handler)])

    headers = (await http_request(f"http://127.0.0.1:{srv.port}"))["set_cookie_headers"]
    assert isinstance(headers, list) and len(headers) == 4
    patterns = [
        rf"key1=val1; expires={DATE}; Max-Age=84600; path=/; domain=id\.test\.com",
        rf"key1=deleted; expires={DATE}; Max-Age=0; path=/; domain=test\.com",
        rf"key2=val2; expires={DATE}; Max-Age=84600; path=/; domain=id\.test\.com",
        rf"key2=deleted; expires={DATE}; Max-Age=0; path=/; domain=test\.com",
    ]
    for value, pattern, length in zip(headers, patterns, (91, 87, 91, 87)):
        assert re.fullmatch(pattern, value), value
        assert len(value) == length, value
    assert headers[1] == "key1=deleted; expires=Thu, 01-Jan-1970 00:00:01 GMT; Max-Age=0; path=/; domain=test.com"

    cli = Client("127.0.0.1", srv.port)
    assert await cli.get("/") is True
    assert len(cli.set_cookie_headers) == 4
    assert cli.cookies == {"key1": "deleted", "key2": "deleted"}
    assert re.fullmatch(rb"<h1>Hello Swoole\. #\d{4}</h1>", cli.body)
    cli.close()
