"""Port of tests/swoole_http_client_coro/post_array.phpt (swoole-src a281145a1): "swoole_http_client_coro: add array data".

``httpGetBody(POST /post, data = MAX_REQUESTS random key/values)``: the form the server parsed
from the urlencoded body equals the array.

Port: re-targeted (HTTPBIN is the local httpbin-like app, whose ``/post`` here also keeps the raw
body)

Deviations: HTTPBIN is the local httpbin-like app (HB), with ``/post`` overridden by a handler
that keeps the raw request body and answers httpbin's ``form``; MAX_REQUESTS comes from the
pressure level. Added: the request's ``Content-Type``, ``Content-Length`` and exact urlencoded
body bytes (keys in insertion order, ``&``-separated) as the server received them.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from aiohttp import web

from support.helpers import MAX_REQUESTS, http_get_body, safe_random


async def test_post_array(http_server) -> None:
    bodies: list[bytes] = []

    async def post(request: web.Request) -> web.Response:
        bodies.append(await request.read())
        form = await request.post()  # parsed from the same (cached) body
        return web.json_response({"form": {k: v for k, v in form.items()}})

    srv = await http_server(routes=[web.post("/post", post)])
    uri = f"http://127.0.0.1:{srv.port}/post"
    data = {}
    for _ in range(MAX_REQUESTS):
        data[safe_random()] = safe_random()
    body = await http_get_body(uri, {"method": "POST", "data": data})
    form = json.loads(body)["form"]
    assert form == data

    request = srv.requests[-1]
    assert request.method == "POST"
    assert request.header_all("Content-Type") == ["application/x-www-form-urlencoded"]
    expected = urlencode(data).encode()
    assert bodies == [expected]
    assert request.header_all("Content-Length") == [str(len(expected))]
