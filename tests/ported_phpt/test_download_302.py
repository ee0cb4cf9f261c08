"""Port of tests/swoole_http_client_coro/download_302.phpt (swoole-src a281145a1): "swoole_http_client_coro: http download 302".

``download('/absolute-redirect/1', FILE)`` stores the 302 page (it contains "Redirecting"); the
client does not follow redirects, so the test calls ``download()`` again with the ``location``
header, an **absolute URL used as the request target**, and the JSON written to the file then
has a ``url`` containing ``get``.

Port: re-targeted (HTTPBIN becomes the local httpbin-like app)

Deviations: httpbin.org is re-targeted to the local httpbin-like aiohttp app (its absolute
redirect points to ``http://127.0.0.1:<port>/get``); FILE lives in ``tmp_path``. Added asserts:
status codes 302 then 200, the request target sent verbatim in absolute form, an empty ``body``
and the reset of ``downloadFile`` after each download.
"""

from __future__ import annotations

import json

from swoole_compat.coroutine.http import Client


async def test_download_302(httpbin, tmp_path) -> None:
    file = tmp_path / "download.html"
    cli = Client("127.0.0.1", httpbin.port)
    assert await cli.download("/absolute-redirect/1", str(file)) is True
    assert "Redirecting" in file.read_text()
    assert cli.statusCode == 302
    assert cli.body == b""
    assert cli.downloadFile is None
    location = cli.headers["location"]
    assert location == f"http://127.0.0.1:{httpbin.port}/get"
    if str(cli.statusCode)[0] == "3":
        assert await cli.download(location, str(file)) is True
    assert cli.statusCode == 200
    assert "get" in json.loads(file.read_text())["url"]
    # the absolute URL was the request target, unchanged
    assert httpbin.requests[-1].target == location
    assert cli.downloadFile is None
    cli.close()
