"""Port of tests/swoole_http_client_coro/https_upload_big.phpt (swoole-src a281145a1): "swoole_http_client_coro: upload a big file".

``http_upload_big`` over TLS: a 5 MiB file uploaded with ``addFile`` and an ``md5`` header to an
HTTPS server that checks the md5 and answers ``success``; the client does not verify the
certificate.

Port: faithful

Deviations: the server certificate comes from trustme (CA-signed leaf for 127.0.0.1) instead of
``ssl_certs/server.crt``; the file lives in ``tmp_path``; the Swoole server is an aiohttp route
(its ``client_max_size`` plays ``package_max_length``, 10 MiB) whose assertions go to the
assertion bag. Added asserts: the form field and part metadata, and
that the connection really used TLS (a peer certificate is available).
"""

from __future__ import annotations

import hashlib

from aiohttp import web

from support.helpers import safe_random

from swoole_compat.coroutine.http import Client

PACKAGE_MAX_LENGTH = 10 * 1024 * 1024  # upstream server setting


async def test_https_upload_big(http_server, tls_server_context, assert_bag, tmp_path) -> None:
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
        assert_bag.same(form.get("name"), "rango")
        return web.Response(text="success")

    app = web.Application(client_max_size=PACKAGE_MAX_LENGTH)
    srv = await http_server(app, routes=[web.post("/", handler)], ssl=tls_server_context)
    cli = Client("127.0.0.1", srv.port, True)
    assert cli.addFile(str(path), "test.jpg") is True
    cli.setHeaders({"md5": hashlib.md5(content).hexdigest()})
    ret = await cli.post("/", {"name": "rango"})
    assert ret is True
    assert cli.statusCode == 200
    assert cli.body == b"success"
    assert cli.getPeerCert().startswith("-----BEGIN CERTIFICATE-----")
    assert cli.close() is True
    assert [r.method for r in srv.requests] == ["POST"]
