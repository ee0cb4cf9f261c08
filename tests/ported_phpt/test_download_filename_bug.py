"""Port of tests/swoole_http_client_coro/download_filename_bug.phpt (swoole-src a281145a1): "swoole_http_client_coro: The bug of the filename parameter of download()".

Regression test for swoole-src #3489: the file name given to ``download()`` was a temporary PHP
string (built with ``substr``/``clone``) whose memory the extension kept using. Two downloads of
the image, each in its own scheduler run, must produce files equal to the image.

Port: faithful

Deviations: the C string-lifetime bug cannot exist in Python, so this is a download smoke test
with paths built from temporary strings (the name is derived and the object holding it
discarded before the download completes). The two ``Co\\run`` blocks are two clients in one
event loop; the second one passes an ``os.PathLike`` (accepted like ``str``). The server is an
aiohttp route serving TEST_IMAGE (a random ``test.jpg``) instead of Swoole's sendfile().
"""

from __future__ import annotations

import gc
from pathlib import Path

from aiohttp import web

from swoole_compat.coroutine.http import Client


class C1:
    def __init__(self, f: str) -> None:
        self.f = f
        self.saved_file_name: str | None = None

    def with_saved_file_name(self, saved_file_name: str) -> "C1":
        clone = C1(self.f)
        clone.saved_file_name = saved_file_name
        return clone


async def _download(port: int, file_name: str, image: bytes, as_path: bool) -> None:
    basename = file_name[:-2]
    file_name = basename + ".jpg"
    c1 = C1(file_name).with_saved_file_name(file_name)
    target = c1.saved_file_name
    client = Client("127.0.0.1", port)
    client.set({"timeout": 5})
    arg = Path("".join(target)) if as_path else "".join(target)
    del c1, basename
    gc.collect()
    assert await client.download("/", arg) is True
    assert Path(target).read_bytes() == image
    assert client.downloadFile is None
    client.close()


async def test_download_filename_bug(http_server, test_image, tmp_path) -> None:
    image = test_image.read_bytes()

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=image, content_type="image/jpeg")

    srv = await http_server(web.Application(), routes=[web.get("/", handler)])
    await _download(srv.port, str(tmp_path / "test-1.*"), image, as_path=False)
    await _download(srv.port, str(tmp_path / "test-2.*"), image, as_path=True)
    assert (tmp_path / "test-1.jpg").read_bytes() == image
    assert (tmp_path / "test-2.jpg").read_bytes() == image
