"""Port of tests/swoole_http_client_coro/upload_with_null_args.phpt (swoole-src a281145a1): "swoole_http_client_coro: upload file with null args".

``addFile(TEST_IMAGE, 'test.jpg', null, null, 0, 0)``: ``None`` type and filename mean "guess the
MIME type from the extension" and "the basename of the path", length 0 means "the whole file".
The server sees name ``test.jpg``, type ``image/jpeg``, error 0, the full size, and the md5 of the
image (upstream also matches the Swoole server's own ``tmp_name``).

Port: changed (upstream's tmp_name check is dropped: it checks a name the server invents, not the
client)

Deviations: TEST_IMAGE is a random 218,787-byte ``test.jpg`` in ``tmp_path``. Upstream's
``tmp_name`` check (``/tmp/swoole.upfile.*``) is about the Swoole server's temporary file, which
the client cannot influence: the aiohttp port of ``api/http_server.php`` would only echo a string
it makes up itself, so that check is dropped. Added: the exact ``uploadFiles`` entry built by
``addFile`` before sending.
"""

from __future__ import annotations

import hashlib
import json

from swoole_compat.coroutine.http import Client


async def test_upload_with_null_args(api_server, test_image) -> None:
    content = test_image.read_bytes()
    cli = Client("127.0.0.1", api_server.port)
    assert cli.addFile(str(test_image), "test.jpg", None, None, 0, 0) is True
    assert cli.uploadFiles == [
        {
            "path": str(test_image),
            "name": "test.jpg",
            "filename": "test.jpg",
            "type": "image/jpeg",
            "size": len(content),
            "offset": 0,
        }
    ]
    assert await cli.post("/upload_file", {"name": "rango"}) is True
    assert cli.statusCode == 200
    ret = json.loads(cli.body)
    assert ret and isinstance(ret, dict)
    part = ret["files"]["test_jpg"]
    assert part["name"] == "test.jpg"
    assert part["type"] == "image/jpeg"
    assert part["error"] == 0
    assert part["size"] == test_image.stat().st_size
    assert ret["md5"] == hashlib.md5(content).hexdigest()
    assert cli.close() is True
