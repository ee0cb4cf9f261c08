"""Port of tests/swoole_http_client_coro/upload.phpt (swoole-src a281145a1): "swoole_http_client_coro: upload file".

``addFile(TEST_IMAGE, 'test.jpg')`` plus ``post('/upload_file', {'name': 'rango'})``: status 200
and the md5 of the uploaded part (computed by the server) equals the image's md5.

Port: faithful

Deviations: TEST_IMAGE is a random 218,787-byte ``test.jpg`` in ``tmp_path``; the server is the
aiohttp port of ``api/http_server.php``. Added asserts: the part's file name, guessed type and
size as parsed by the server, the form field, and ``uploadFiles`` cleared after the request.
"""

from __future__ import annotations

import hashlib
import json

from swoole_compat.coroutine.http import Client


async def test_upload(api_server, test_image) -> None:
    content = test_image.read_bytes()
    cli = Client("127.0.0.1", api_server.port)
    assert cli.addFile(str(test_image), "test.jpg") is True
    assert await cli.post("/upload_file", {"name": "rango"}) is True
    assert cli.statusCode == 200
    ret = json.loads(cli.body)
    assert ret and isinstance(ret, dict)
    assert ret["md5"] == hashlib.md5(content).hexdigest()

    part = ret["files"]["test_jpg"]
    assert part["name"] == "test.jpg"
    assert part["type"] == "image/jpeg"
    assert part["size"] == len(content)
    assert ret["post"] == {"name": "rango"}
    assert api_server.requests[-1].method == "POST"
    assert cli.uploadFiles is None
    assert cli.close() is True
