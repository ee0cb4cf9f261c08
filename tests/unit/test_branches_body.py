"""Branches of the request body in ``Client::send_request`` (multipart and url-encoded forms),
of ``php_swoole_http_build_query`` / PHP ``http_build_query``, and of ``Client::reset`` for
``uploadFiles`` (client.md §5 step 8, §6.5, §6.6).

Body building is sans-I/O (``multipart.build``, ``http_build_query``); the client-level
branches run against a scripted loopback server.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from support.raw import RawServer, raw_server, read_head, respond, script

from swoole_compat import SwooleWarning
from swoole_compat._php import http_build_query
from swoole_compat._protocol import multipart
from swoole_compat.coroutine.http import Client, ClientException

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
B = "----SwooleBoundaryAAAAAAAAAAAAAAAAAAAAA"


def body_of(form: Any, uploads: Any) -> bytes:
    pieces, length = multipart.build(B, form, uploads, "")
    data = b"".join(p for p in pieces if isinstance(p, bytes))
    assert length == len(data)
    return data


def part(name: str, value: str) -> bytes:
    return f'--{B}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()


def file_part(name: str, filename: str, ctype: str, content: str) -> bytes:
    return (
        f'--{B}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: {ctype}\r\n\r\n{content}\r\n"
    ).encode()


TAIL = f"--{B}--\r\n".encode()
DATA = {"content": b"D", "name": "n", "filename": "f", "type": "t/t", "size": 1}


@pytest.fixture
async def srv() -> AsyncIterator[RawServer]:
    async with raw_server(respond(OK)) as server:
        yield server


def split_request(raw: bytes) -> tuple[bytes, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return head, body


def content_length(head: bytes) -> int:
    match = re.search(rb"\r\nContent-Length: (\d+)", head)
    assert match, head
    return int(match.group(1))


# --------------------------------------------------------------------------- multipart form fields


def test_form_fields_only_from_a_dict() -> None:
    """multipart: `zbody && ZVAL_IS_ARRAY(zbody)` — a string body contributes nothing."""
    assert body_of("raw body", [DATA]) == file_part("n", "f", "t/t", "D") + TAIL


def test_form_skips_integer_keys_and_null_values() -> None:
    """multipart form: HASH_KEY_IS_STRING != keytype or NULL → skipped; "5" is the int key 5
    in PHP, "05" a string."""
    form = {"a": "1", 3: "int", "5": "int-like", "05": "s", "n": None}
    assert body_of(form, [DATA]) == part("a", "1") + part("05", "s") + file_part("n", "f", "t/t", "D") + TAIL


def test_form_value_conversion() -> None:
    """multipart form: zend::String(zvalue) — PHP string forms of every scalar type."""
    form = {"i": 7, "t": True, "f": False, "d": 0.1, "e": 1e20, "b": b"\xff"}
    expected = (
        part("i", "7") + part("t", "1") + part("f", "") + part("d", "0.1") + part("e", "1.0E+20")
        + f'--{B}\r\nContent-Disposition: form-data; name="b"\r\n\r\n'.encode() + b"\xff\r\n"
    )
    assert body_of(form, [DATA]) == expected + file_part("n", "f", "t/t", "D") + TAIL


def test_form_array_value_warns_twice() -> None:
    """multipart form: an array value is converted in the length pass and again in the write
    pass → "Array" and the engine warning twice."""
    with pytest.warns(SwooleWarning, match="^Array to string conversion$") as record:
        assert body_of({"a": [1]}, [DATA]).startswith(part("a", "Array"))
    assert len(record) == 2


# --------------------------------------------------------------------------- multipart uploads


@pytest.mark.parametrize(
    ("uploads", "key"),
    [(["not an array"], "<numeric>"), ({"x": "s"}, "x"), ({"7": "s"}, "<numeric>")],
)
def test_upload_entry_not_an_array(uploads: Any, key: str) -> None:
    """multipart: `!ZVAL_IS_ARRAY(zvalue)` → NotAnArray naming the string key, "<numeric>"
    for integer keys (including "7", an int key in PHP)."""
    with pytest.raises(multipart.NotAnArray) as info:
        multipart.build(B, None, uploads, "")
    assert info.value.key == key


@pytest.mark.parametrize("missing", ["name", "filename", "size", "type"])
def test_upload_entry_missing_key_is_skipped(missing: str) -> None:
    """multipart: an entry lacking name/filename/size/type is skipped (and not counted)."""
    broken = {k: v for k, v in DATA.items() if k != missing}
    assert body_of(None, [broken, DATA]) == file_part("n", "f", "t/t", "D") + TAIL


@pytest.mark.parametrize("missing", ["path", "offset"])
def test_file_entry_without_path_or_offset_is_skipped(missing: str) -> None:
    """multipart: no content and no path (or no offset) → skipped in the write pass; upstream
    still counted it in Content-Length (deviation S19), here it is not counted either."""
    entry = {"path": "/nonexistent", "offset": 0, "name": "x", "filename": "x", "type": "t", "size": 100}
    del entry[missing]
    assert body_of(None, [entry, DATA]) == file_part("n", "f", "t/t", "D") + TAIL


def test_content_entry_counted_by_real_length() -> None:
    """multipart: upstream counts `size` but writes the whole content; the length here is the
    content's (deviation S19)."""
    entry = dict(DATA, content=b"12345", size=1)
    assert body_of(None, [entry]) == file_part("n", "f", "t/t", "12345") + TAIL


def test_long_part_header_is_not_truncated() -> None:
    """multipart: upstream formats the part header into char[2048] and cuts it at 2047 bytes
    (Content-Length then overstates the body); here the header is whole (deviation S19)."""
    name = "f" * 3000
    assert body_of(None, [dict(DATA, filename=name)]) == file_part("n", name, "t/t", "D") + TAIL
    assert body_of({"k" * 3000: "v"}, [DATA]).startswith(part("k" * 3000, "v"))


def test_file_entry_is_a_slice() -> None:
    """multipart: a path entry is sent from disk: header, `size` bytes at `offset`, CRLF."""
    entry = {"path": "/p", "offset": "2", "name": "x", "filename": "y", "type": "t", "size": 3}
    pieces, length = multipart.build(B, None, [entry], "")
    assert pieces[1] == multipart.FileSlice("/p", 2, 3)
    assert length == len(pieces[0]) + 3 + 2 + len(TAIL)


async def test_long_filename_round_trip(srv: RawServer, tmp_path: Path) -> None:
    """multipart on the wire: a 3000-byte filename arrives whole and Content-Length matches."""
    path = tmp_path / "up.txt"
    path.write_bytes(b"0123456789")
    cli = Client("127.0.0.1", srv.port)
    assert cli.addFile(str(path), "f1", None, "n" * 3000, 2, 3)
    assert await cli.post("/up", {"a": "b"})
    head, body = split_request(srv.received(0))
    assert content_length(head) == len(body)
    assert b'filename="' + b"n" * 3000 + b'"\r\nContent-Type: text/plain\r\n\r\n234\r\n' in body
    cli.close()


async def test_adddata_and_addfile_defaults(srv: RawServer, tmp_path: Path) -> None:
    """addData: empty type → application/octet-stream, empty filename → name; addFile: type
    from the MIME table, filename = text after the last '/'."""
    path = tmp_path / "pic.PNG"
    path.write_bytes(b"png")
    cli = Client("127.0.0.1", srv.port)
    cli.addData("DATA", "d1", "", "")
    cli.addFile(str(path), "f1")
    assert await cli.execute("/")
    body = split_request(srv.received(0))[1]
    assert b'name="d1"; filename="d1"\r\nContent-Type: application/octet-stream\r\n\r\nDATA\r\n' in body
    assert b'name="f1"; filename="pic.PNG"\r\nContent-Type: image/png\r\n\r\npng\r\n' in body
    cli.close()


# --------------------------------------------------------------------------- Client::reset (uploads)


async def test_reset_after_success_clears_uploads(srv: RawServer) -> None:
    """reset(): has_upload_files → uploadFiles = null after a completed request; the next
    request has no multipart body."""
    cli = Client("127.0.0.1", srv.port)
    cli.addData("x", "d")
    assert await cli.get("/a")
    assert cli.uploadFiles is None
    assert await cli.get("/b")
    assert b"multipart" not in srv.requests[1]
    cli.close()


async def test_reset_after_failure_with_close_clears_uploads() -> None:
    """reset() via close() on a failed receive: the uploads of that request are dropped."""
    async with raw_server(script(read_head())) as server:  # reads the head, closes
        cli = Client("127.0.0.1", server.port, False)
        cli.set({"timeout": 2})
        cli.addData("x", "d")
        assert await cli.get("/") is False
        assert cli.uploadFiles is None


async def test_not_an_array_keeps_connection_then_reset_clears(srv: RawServer) -> None:
    """multipart: uploadFiles[k] must be an array → warning, False, statusCode 0, nothing sent,
    connection kept; has_upload_files was already set, so the next reset (close) clears them."""
    cli = Client("127.0.0.1", srv.port)
    assert await cli.get("/")
    cli.uploadFiles = ["junk"]
    with pytest.warns(SwooleWarning, match=r"execute\(\): uploadFiles\[<numeric>\] must be an array"):
        assert await cli.execute("/x") is False
    assert (cli.statusCode, cli.errCode, cli.connected) == (0, 0, True)
    assert len(srv.requests) == 1
    assert cli.uploadFiles == ["junk"]
    cli.close()
    assert cli.uploadFiles is None


async def test_header_too_large_with_uploads_clears_them(srv: RawServer) -> None:
    """multipart: header_too_large() → close() → reset(): has_upload_files was set just before,
    so the queued uploads are dropped with the exception."""
    cli = Client("127.0.0.1", srv.port)
    cli.setHeaders({"X-Big": "v" * 70000})
    cli.addData("x", "d")
    with pytest.raises(ClientException, match="header block is too large"):
        await cli.execute("/")
    assert cli.uploadFiles is None
    assert cli.connected is False


async def test_uploads_queued_after_a_request_survive_close(srv: RawServer) -> None:
    """reset(): upstream's has_upload_files is never cleared, so after one upload request a
    close() also drops uploads queued later; here only the uploads of the request that ended
    are dropped (deviation S20): the next request still sends the new part."""
    cli = Client("127.0.0.1", srv.port)
    cli.addData("first", "d1")
    assert await cli.execute("/1")
    cli.addData("second", "d2")
    cli.close()
    assert cli.uploadFiles is not None and len(cli.uploadFiles) == 1
    assert await cli.execute("/2")
    assert b"second" in srv.received(1)
    cli.close()


# --------------------------------------------------------------------------- url-encoded form


async def test_http_build_query_failure(srv: RawServer) -> None:
    """x-www-form-urlencoded: a non-empty array whose query is empty (NULLs, empty nested
    arrays) → php_swoole_http_build_query returns NULL → warning "http_build_query failed",
    False with errCode/statusCode 0, nothing sent, connection kept."""
    cli = Client("127.0.0.1", srv.port)
    assert await cli.get("/")
    with pytest.warns(SwooleWarning, match=r"execute\(\): http_build_query failed$"):
        assert await cli.post("/p", {"a": None, "b": [], "c": {"d": None}}) is False
    assert (cli.errCode, cli.statusCode, cli.connected) == (0, 0, True)
    assert len(srv.requests) == 1
    assert await cli.post("/p", {"a": ""})
    assert srv.received(0).endswith(b"Content-Length: 2\r\n\r\na=")
    cli.close()


async def test_empty_array_body(srv: RawServer) -> None:
    """x-www-form-urlencoded: length 0 → Content-Type and Content-Length: 0, no body."""
    cli = Client("127.0.0.1", srv.port)
    assert await cli.post("/p", {})
    head = srv.requests[0]
    assert head.endswith(b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\n\r\n")
    cli.close()


async def test_content_type_is_never_matched(srv: RawServer) -> None:
    """send_request: the user Content-Type is not inspected — an array body always adds the
    url-encoded Content-Type, even when the user already sent the same one (two lines)."""
    cli = Client("127.0.0.1", srv.port)
    cli.setHeaders({"content-type": "application/x-www-form-urlencoded"})
    assert await cli.post("/p", {"a": "b"})
    head = srv.requests[0]
    assert head.count(b"application/x-www-form-urlencoded") == 2
    cli.close()


async def test_connection_close_sticks_when_the_body_fails(srv: RawServer) -> None:
    """send_request: the user `Connection: close` header sets keep_alive = false before the
    cookie/body stage, so it sticks even when that stage fails (cookie too large)."""
    cli = Client("127.0.0.1", srv.port)
    cli.setHeaders({"Connection": "close"})
    cli.setCookies({"k": "v" * 5000})
    with pytest.raises(ClientException):
        await cli.get("/")
    cli.setHeaders({})
    cli.setCookies({})
    assert await cli.get("/")
    assert b"\r\nConnection: closed\r\n" in srv.requests[0]
    cli.close()


@pytest.mark.parametrize(
    ("data", "query"),
    [
        ({"s": "a b&c", "i": -3, "t": True, "f": False}, "s=a+b%26c&i=-3&t=1&f=0"),
        ({"d": 0.1, "e": 1e20, "z": -0.0, "inf": float("inf")}, "d=0.1&e=1.0E%2B20&z=-0&inf=INF"),
        ({"b": b"\xff~"}, "b=%FF%7E"),
        ({"n": None, "e": [], "x": "1"}, "x=1"),
        ({"a": {"b": {"c": 1}, "l": [5, 6]}}, "a%5Bb%5D%5Bc%5D=1&a%5Bl%5D%5B0%5D=5&a%5Bl%5D%5B1%5D=6"),
        ({"k y": "v", 7: "int", True: "bool-key"}, "k+y=v&7=int&1=bool-key"),
        (["a", "b"], "0=a&1=b"),
    ],
)
def test_http_build_query_types(data: Any, query: str) -> None:
    """php_url_encode_hash_ex: string keys urlencoded, int keys in decimal, nested prefixes
    `k%5Bsub%5D`, NULL skipped, false/true 0/1, floats via string conversion then urlencoded."""
    assert http_build_query(data) == query


def test_http_build_query_recursion_is_skipped() -> None:
    """php_url_encode_hash_ex: GC_IS_RECURSIVE → the nested self-reference contributes nothing."""
    data: dict[str, Any] = {"a": "1"}
    data["self"] = data
    assert http_build_query(data) == "a=1"


def test_integer_like_header_names_are_skipped() -> None:
    """send_request headers: ``HASH_KEY_IS_STRING != keytype`` → skipped; ``"123"`` is the int
    key 123 in a PHP array, ``"0123"`` stays a string and is sent."""
    from swoole_compat._protocol.request import RequestSpec, build

    spec = RequestSpec(
        method="GET", path="/", host_header="h", headers={"123": "a", 7: "b", "0123": "c", "X": "d"},
        body=None, uploads=None, cookies=None, basic_auth="", keep_alive=True, accept_encoding=None,
        proxy_absolute=None, proxy_authorization=None, where="x",
    )
    head = build(spec).head
    assert b"\r\n0123: c\r\n" in head and b"\r\nX: d\r\n" in head
    assert b"123: a" not in head.replace(b"0123: c", b"") and b"7: b" not in head
