"""Port of tests/swoole_http_client_coro/http_upload_big.phpt (swoole-src a281145a1): "swoole_http_client_coro: upload a big file".

A 5 MiB file is uploaded with ``addFile(path, 'test.jpg')`` and a request header ``md5``;
``post('/', {'name': 'rango'})``. The server compares the md5 of the uploaded part with the
header and answers ``success``; the client sees True, status 200, a non-empty header dict and
the body ``success``.

Port: faithful

Deviations: the file lives in ``tmp_path`` instead of ``/tmp/test.jpg``; the Swoole server is an
aiohttp route (its ``client_max_size`` plays ``package_max_length``, 10 MiB); its
assertions go to the assertion bag. Added asserts: the server saw the form field, the part's
file name and type, and one POST on one connection.
"""

from __future__ import annotations

import hashlib

from aiohttp import web

from support.helpers import safe_random

from swoole_compat.coroutine.http import Client

PACKAGE_MAX_LENGTH = 10 * 1024 * 1024  # upstream server setting


async def test_http_upload_big(http_server, assert_bag, tmp_path) -> None:
    content = (safe_random(1024) * (5 * 1024)).encode()
    path = tmp_path / "test.jpg"
    path.write_bytes(content)

    async def handler(request: web.Request) -> web.Response:
        form = await request.post()
        part = form.get("test.jpg")
        assert_bag.check(isinstance(part, web.FileField), f"no file part 'test.jpg' in {list(form)}")
        if isinstance(part, web.FileField):
            part.file.seek(0)
            assert_bag.eq(hashlib.md5(part.file.read()).hexdigest(), request.headers.get("md5"), "md5")
            assert_bag.same(part.filename, "test.jpg")
            assert_bag.same(part.content_type, "image/jpeg")
        assert_bag.same(form.get("name"), "rango")
        return web.Response(text="success")

    app = web.Application(client_max_size=PACKAGE_MAX_LENGTH)
    srv = await http_server(app, routes=[web.post("/", handler)])
    cli = Client("127.0.0.1", srv.port)
    assert cli.addFile(str(path), "test.jpg") is True
    cli.setHeaders({"md5": hashlib.md5(content).hexdigest()})
    ret = await cli.post("/", {"name": "rango"})
    assert ret is True
    assert len(cli.headers) > 0
    assert cli.statusCode == 200
    assert cli.body == b"success"
    assert cli.close() is True
    assert [r.method for r in srv.requests] == ["POST"]
    assert srv.connections == 1
