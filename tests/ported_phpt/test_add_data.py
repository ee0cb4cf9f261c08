"""Port of tests/swoole_http_client_coro/addData.phpt (swoole-src a281145a1): "swoole_http_client_coro: addData".

``addData(<image bytes>, 'test.jpg', 'image/jpeg', 'test.jpg')`` plus ``post('/upload_file',
{'name': 'rango'})``: the server (upstream ``api/http_server.php``) answers 200 with JSON whose
``md5`` is the md5 of the uploaded part, which must equal the image's md5.

Port: faithful

Deviations: TEST_IMAGE is a random 218,787-byte ``test.jpg`` in ``tmp_path``; the server is the
aiohttp port of ``api/http_server.php``. Added asserts: the part's name/type/size as the server
parsed it, the form field, a multipart request with a 39-character ``----SwooleBoundary``
boundary, and ``uploadFiles`` cleared after the request.
"""

from __future__ import annotations

import hashlib
import json
import re

from swoole_compat.coroutine.http import Client


async def test_add_data(api_server, test_image) -> None:
    content = test_image.read_bytes()
    cli = Client("127.0.0.1", api_server.port)
    assert cli.addData(content, "test.jpg", "image/jpeg", "test.jpg") is True
    assert await cli.post("/upload_file", {"name": "rango"}) is True
    assert cli.statusCode == 200
    ret = json.loads(cli.body)
    assert ret and isinstance(ret, dict)
    assert ret["md5"] == hashlib.md5(content).hexdigest()

    # What the server parsed (PHP names the field test_jpg)
    part = ret["files"]["test_jpg"]
    assert part["name"] == "test.jpg"
    assert part["type"] == "image/jpeg"
    assert part["size"] == len(content)
    assert ret["post"] == {"name": "rango"}

    seen = api_server.requests[-1]
    assert seen.method == "POST"
    content_type = seen.header("Content-Type")
    assert re.fullmatch(r"multipart/form-data; boundary=----SwooleBoundary[A-Za-z0-9]{21}", content_type)
    # the parts were sent and forgotten
    assert cli.uploadFiles is None
    assert cli.close() is True
