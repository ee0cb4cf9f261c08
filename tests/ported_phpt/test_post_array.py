"""Port of tests/swoole_http_client_coro/post_array.phpt (swoole-src a281145a1): "swoole_http_client_coro: add array data".

``httpGetBody(POST /post, data = MAX_REQUESTS random key/values)``: the form httpbin parsed from
the urlencoded body equals the array.

Deviations: HTTPBIN is the local httpbin-like app (HB); MAX_REQUESTS comes from the pressure
level. The request's ``Content-Type`` and exact urlencoded body are asserted too.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from support.helpers import MAX_REQUESTS, http_get_body, safe_random


async def test_post_array(httpbin) -> None:
    uri = f"http://127.0.0.1:{httpbin.port}/post"
    data = {}
    for _ in range(MAX_REQUESTS):
        data[safe_random()] = safe_random()
    body = await http_get_body(uri, {"method": "POST", "data": data})
    form = json.loads(body)["form"]
    assert form == data

    request = httpbin.requests[-1]
    assert request.method == "POST"
    assert request.header_all("Content-Type") == ["application/x-www-form-urlencoded"]
    expected = urlencode(data).encode()
    assert request.header_all("Content-Length") == [str(len(expected))]
