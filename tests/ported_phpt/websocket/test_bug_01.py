"""Port of tests/swoole_http_client_coro/websocket/bug_01.phpt (swoole-src a281145a1): "swoole_http_client_coro/websocket: handshake + frame".

A raw server answers the upgrade with a hand-built 101 (accept header spelled
``Sec-Websocket-Accept``) **and** an unmasked text frame "hello world\\n" in the same write: the
upgrade succeeds and the first ``recv()`` returns the frame that followed the 101 head.

Port: faithful

Deviations: the raw Swoole\\Server becomes the RAW fixture; the frame is built with the test
suite's own codec (``support.ws.encode_frame``) instead of ``WebSocket\\Server::pack``.
"""

from __future__ import annotations

import base64
import hashlib
import re

from support.raw import read_request_head
from support.ws import OP_TEXT, encode_frame

from swoole_compat.coroutine.http import Client
from swoole_compat.websocket import Frame


async def test_handshake_and_frame_in_one_write(raw_server) -> None:
    async def handler(reader, writer):
        data = await read_request_head(reader)
        key = re.search(rb"Sec-WebSocket-Key: (.*)\r\n", data, re.IGNORECASE).group(1).strip()
        accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
        send = b"HTTP/1.1 101 Switching Protocols\r\n"
        send += b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-Websocket-Accept: " + accept + b"\r\n"
        send += b"Sec-Websocket-Version: 13\r\nServer: swoole-http-server\r\n\r\n"
        send += encode_frame(OP_TEXT, b"hello world\n")
        writer.write(send)
        await writer.drain()
        while await reader.read(65536):
            pass

    srv = await raw_server(handler)
    output = []
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 5})
    ret = await cli.upgrade("/")
    assert ret is True
    output.append(b"CONNECTED\n")
    assert cli.statusCode == 101
    assert cli.headers["sec-websocket-accept"]  # header names are matched case-insensitively
    frame = await cli.recv()
    assert isinstance(frame, Frame)
    assert frame.opcode == OP_TEXT and frame.flags == 1 and frame.finish is True
    output.append(frame.data)
    assert b"".join(output) == b"CONNECTED\nhello world\n"
    cli.close()
