"""Branches of ``php_swoole_socket_set`` and ``addFile`` pinned from bytes and a loopback socket.

Each test names the upstream branch it drives.
"""

from __future__ import annotations

import socket
import warnings
from pathlib import Path
from typing import Any

import pytest
from support import raw

from swoole_compat import SwooleWarning
from swoole_compat._php import php_parse_to_size
from swoole_compat.coroutine.http import Client


@pytest.mark.parametrize(
    ("value", "size"),
    [("1M", 1 << 20), ("64k", 64 << 10), (" 2 G", 2 << 30), ("0K", 0), ("-3", -3), ("x", 0), (4096, 4096), (2.9, 2), (True, 1)],
)
def test_php_parse_to_size(value: Any, size: int) -> None:
    """``php_swoole_parse_to_size``: K/M/G suffixes on strings, PHP integer conversion otherwise."""
    assert php_parse_to_size(value) == size


async def test_socket_buffer_size_accepts_a_unit(raw_server: Any) -> None:
    """``php_swoole_socket_set``: ``socket_buffer_size`` "1M" sets SO_SNDBUF/SO_RCVBUF to 1 MiB
    (Linux reports twice the value asked for)."""
    srv = await raw_server(raw.respond(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
    cli = Client("127.0.0.1", srv.port)
    cli.set({"socket_buffer_size": "1M"})
    assert await cli.get("/") is True
    sock = cli._conn.stream.sock  # noqa: SLF001
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) >= 1 << 20
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) >= 1 << 20
    cli.close()


@pytest.mark.parametrize(("filename", "shown"), [(None, "(null)"), ("", ""), ("given.txt", "given.txt")])
def test_add_file_empty_file_warning_names_the_argument(tmp_path: Path, filename: str | None, shown: str) -> None:
    """``addFile``: ``cannot send empty file[%s]`` formats the filename argument as given
    (``(null)`` only when it is omitted)."""
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    cli = Client("127.0.0.1", 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cli.addFile(str(empty), "f", filename=filename) is False
    texts = [str(w.message) for w in caught if issubclass(w.category, SwooleWarning)]
    assert len(texts) == 1 and f"cannot send empty file[{shown}], Error: " in texts[0]
