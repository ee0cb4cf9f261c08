"""Port of tests/swoole_http_client_coro/ssl.phpt (swoole-src a281145a1): "swoole_http_client_coro: error handler".

(The upstream title is misleading.) A TLS GET ``/get?foo=<random16>`` with ``ssl_host_name`` set
to the domain succeeds and the echoed body contains the random value.

Port: re-targeted (httpcan.org:443 becomes the local httpbin-like app over TLS)

Deviations: httpcan.org (an httpbin clone) is re-targeted to the local httpbin-like aiohttp app
over TLS, reached as ``localhost``. Added asserts: status 200, the query echoed as JSON, and the
SNI the server received equals ``ssl_host_name``.
"""

from __future__ import annotations

import json
from typing import Any

from support.helpers import safe_random
from support.tls import SniRecorder

from swoole_compat.coroutine.http import Client


async def test_ssl(http_server: Any, sni_recorder: SniRecorder) -> None:
    srv = await http_server(ssl=sni_recorder.context)  # httpbin routes
    domain = "localhost"
    cli = Client(domain, srv.port, True)
    cli.set({"timeout": 5, "ssl_host_name": domain})
    random = safe_random(16)
    assert await cli.get("/get?foo=" + random) is True, (cli.errCode, cli.errMsg)
    assert random.encode() in cli.body
    assert cli.statusCode == 200
    assert json.loads(cli.body)["args"] == {"foo": random}
    assert sni_recorder.names == [domain]
    cli.close()
