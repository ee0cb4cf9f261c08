"""Port of tests/swoole_http_client_coro/compression_with_big_data.phpt (swoole-src a281145a1): "swoole_http_client_coro: compression with big data".

A server answers every request with one big random payload, compressed according to the request's
``Accept-Encoding``. For each of ``deflate``, ``gzip`` and ``br``, first as a normal body and then
with the ``download`` option (streamed to a file), the decoded content equals the payload; in
body mode the ``content-encoding`` header is the requested coding, in that order (upstream prints
``deflate``, ``gzip``, ``br``).

Port: faithful

Deviations: the payload is upstream's 1/4/8/32 MiB by pressure level (4 MiB at the default level
1) of safe random text;
the Swoole HTTP server is an aiohttp server that compresses at level 1 (Swoole's default
``http_compression_level``; brotli quality 1), once per coding. ``/tmp/swoole.log`` (TEST_LOG_FILE)
becomes a file in ``tmp_path``. Added, per the catalogue: a raw (RFC 1951, no zlib wrapper)
``deflate`` body on ``/raw``, which the client must decode through its raw-deflate fallback, in
both modes; and the server saw exactly the requested ``Accept-Encoding``.
"""

from __future__ import annotations

import gzip
import zlib

import brotli
from aiohttp import web

from support.helpers import PRESSURE_LEVEL, http_request, safe_random

PAYLOAD_SIZE = [1, 4, 8, 32][PRESSURE_LEVEL] * 1024 * 1024
CODINGS = ("deflate", "gzip", "br")
LEVEL = 1


def compress(data: bytes, coding: str, *, raw: bool = False) -> bytes:
    if coding == "gzip":
        return gzip.compress(data, compresslevel=LEVEL, mtime=0)
    if coding == "br":
        return brotli.compress(data, quality=LEVEL)
    if raw:
        compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
        return compressor.compress(data) + compressor.flush()
    return zlib.compress(data, LEVEL)


async def test_compression_with_big_data(http_server, tmp_path) -> None:
    random = safe_random(PAYLOAD_SIZE).encode()
    cache: dict[tuple[str, bool], bytes] = {}

    def make_handler(raw: bool):
        async def handler(request: web.Request) -> web.Response:
            coding = request.headers.get("Accept-Encoding", "")
            assert coding in CODINGS, coding
            key = (coding, raw)
            if key not in cache:
                cache[key] = compress(random, coding, raw=raw)
            return web.Response(
                body=cache[key], content_type="text/html", headers={"Content-Encoding": coding}
            )

        return handler

    srv = await http_server(
        web.Application(), routes=[web.get("/", make_handler(False)), web.get("/raw", make_handler(True))]
    )
    url = f"http://127.0.0.1:{srv.port}"
    log_file = tmp_path / "swoole.log"

    printed = []
    for download in (False, True):
        for compression in CODINGS:
            options = {"headers": {"Accept-Encoding": compression}}
            if download:
                options["download"] = ["/", str(log_file)]
                cli = await http_request(url, options)
                try:
                    assert cli.statusCode == 200, (cli.errCode, cli.errMsg)
                    assert cli.headers["content-encoding"] == compression
                    assert cli.body == b""
                finally:
                    cli.close()
                assert log_file.read_bytes() == random, f"download with {compression}"
            else:
                response = await http_request(url, options)
                assert response["body"] == random, f"body with {compression}"
                printed.append(response["headers"].get("content-encoding", compression))
    assert printed == ["deflate", "gzip", "br"]

    # Raw deflate (no zlib header): the zlib-wrapped inflate fails, the raw fallback succeeds.
    options = {"headers": {"Accept-Encoding": "deflate"}}
    response = await http_request(f"{url}/raw", options)
    assert response["headers"]["content-encoding"] == "deflate"
    assert response["body"] == random
    log_file.unlink()
    cli = await http_request(f"{url}/raw", {**options, "download": ["/raw", str(log_file)]})
    try:
        assert cli.statusCode == 200, (cli.errCode, cli.errMsg)
    finally:
        cli.close()
    assert log_file.read_bytes() == random

    assert [r.header_all("Accept-Encoding") for r in srv.requests] == [
        [c] for c in (*CODINGS, *CODINGS, "deflate", "deflate")
    ]
