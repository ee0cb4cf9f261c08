"""Request bytes of ``Client``, compared byte for byte with the observed wire dumps.

Spec: client.md §6 (serialisation), §8.4 (HTTP proxy absolute form), §9 ``getHeaderOut``.
Every test drives the real client against a scripted loopback server (``support.raw``) that
answers each request with a fixed response and records every byte it received.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from support.listener import ipv6_available, make_short_unix_dir
from support.raw import RawServer, raw_server, read_request_head, respond
from support.tls import TlsMaterial

from swoole_compat.coroutine.http import Client

try:
    import brotli  # noqa: F401

    AE = "gzip, deflate, br"
except ImportError:  # pragma: no cover - brotli is a declared dependency
    AE = "gzip, deflate"

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
BOUNDARY = re.compile(rb"----SwooleBoundary[A-Za-z0-9]{21}")


@pytest.fixture
async def srv() -> AsyncIterator[RawServer]:
    """A keep-alive raw server answering every request with :data:`OK`."""
    async with raw_server(respond(OK)) as server:
        yield server


def client_for(server: RawServer, **kwargs: Any) -> Client:
    """A client pointed at ``server`` (TCP or UNIX)."""
    return Client(server.client_host, server.client_port, **kwargs)


def wire(server: RawServer, conn: int = 0) -> bytes:
    """Every byte the server received on connection ``conn``."""
    return server.received(conn)


# --------------------------------------------------------------------------- observed dumps


async def test_default_request_bytes(srv: RawServer) -> None:
    """client.md §6.3: the observed default request."""
    cli = client_for(srv)
    assert await cli.get("/p?x=1") is True
    assert wire(srv) == (
        f"GET /p?x=1 HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nConnection: keep-alive\r\n"
        f"Accept-Encoding: {AE}\r\n\r\n"
    ).encode()
    assert cli.getHeaderOut() == (
        f"GET /p?x=1 HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nConnection: keep-alive\r\nAccept-Encoding: {AE}"
    )
    cli.close()


async def test_many_options_request_bytes(srv: RawServer) -> None:
    """client.md §6.3: the observed request with many options (HOST dropped, user
    Content-Length ignored, None/int keys skipped, bools converted, basic auth,
    ``Connection: closed``, trailing ``; `` cookie, ``setData("")``)."""
    cli = client_for(srv)
    cli.setMethod("GET")
    cli.setHeaders(
        {
            "HOST": "dropped.example",
            "Content-Length": "99",
            "X-Null": None,
            "X-True": True,
            "X-False": False,
            7: "int key",
            "Content-Type": "application/json",
        }
    )
    cli.setBasicAuth("user", "pa:ss")
    assert cli.set({"keep_alive": False}) is True
    cli.setCookies({"q": "a b;c", "empty": "", 3: "n"})
    cli.setData("")
    assert await cli.execute("/f") is True
    head = (
        f"GET /f HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nX-True: 1\r\nX-False: \r\n"
        f"Content-Type: application/json\r\nAuthorization: Basic dXNlcjpwYTpzcw==\r\n"
        f"Connection: closed\r\nAccept-Encoding: {AE}\r\nCookie: q=a+b%3Bc; \r\nContent-Length: 0"
    )
    assert wire(srv) == (head + "\r\n\r\n").encode()
    assert cli.getHeaderOut() == head
    assert cli.connected is False  # keep_alive False closes after the response


async def test_multipart_request_bytes(srv: RawServer, tmp_path: Path) -> None:
    """client.md §6.6: the observed multipart request (boundary masked), exact Content-Length."""
    up = tmp_path / "up.txt"
    up.write_bytes(b"0123456789")
    cli = client_for(srv)
    cli.setHeaders({"host": "example.com", "Content-Type": "text/x"})
    assert cli.addFile(str(up), "f1", None, None, 2, 3) is True
    assert cli.addData("DATA", "d1") is True
    cli.setData({"field": "v", "n": None})
    assert await cli.execute("/up") is True
    data = wire(srv)
    boundaries = set(BOUNDARY.findall(data))
    assert len(boundaries) == 1
    masked = BOUNDARY.sub(b"----SwooleBoundaryBEJQTEDZcX4gyFWHRkiJv", data)
    assert masked == (
        f"POST /up HTTP/1.1\r\nHost: example.com\r\nContent-Type: text/x\r\nConnection: keep-alive\r\n"
        f"Accept-Encoding: {AE}\r\n"
        "Content-Type: multipart/form-data; boundary=----SwooleBoundaryBEJQTEDZcX4gyFWHRkiJv\r\n"
        "Content-Length: 426\r\n\r\n"
        "------SwooleBoundaryBEJQTEDZcX4gyFWHRkiJv\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nv\r\n"
        "------SwooleBoundaryBEJQTEDZcX4gyFWHRkiJv\r\nContent-Disposition: form-data; name=\"f1\"; "
        "filename=\"up.txt\"\r\nContent-Type: text/plain\r\n\r\n234\r\n"
        "------SwooleBoundaryBEJQTEDZcX4gyFWHRkiJv\r\nContent-Disposition: form-data; name=\"d1\"; "
        "filename=\"d1\"\r\nContent-Type: application/octet-stream\r\n\r\nDATA\r\n"
        "------SwooleBoundaryBEJQTEDZcX4gyFWHRkiJv--\r\n"
    ).encode()
    head, _, body = data.partition(b"\r\n\r\n")
    assert len(body) == 426
    assert cli.uploadFiles is None  # reset after a request that sent them
    cli.close()


async def test_multipart_boundary_is_fresh_per_request(srv: RawServer) -> None:
    """A new 39-character boundary is drawn for every request."""
    cli = client_for(srv)
    cli.addData("x", "a")
    assert await cli.post("/1", {"k": "v"}) is True
    cli.addData("x", "a")
    assert await cli.post("/2", {"k": "v"}) is True
    found = BOUNDARY.findall(wire(srv))
    assert len(set(found)) == 2
    assert all(len(b) == 39 for b in found)
    cli.close()


async def test_multipart_without_body_or_method_uses_get(srv: RawServer) -> None:
    """Q7: uploads without requestBody/requestMethod are sent with GET; a string body is ignored
    inside the multipart body."""
    cli = client_for(srv)
    cli.addData(b"\x00bin", "blob", "image/png", "b.png")
    assert await cli.execute("/m") is True
    data = wire(srv)
    assert data.startswith(b"GET /m HTTP/1.1\r\n")
    head, _, body = data.partition(b"\r\n\r\n")
    b = BOUNDARY.search(body).group(0)  # type: ignore[union-attr]
    assert body == (
        b"--" + b + b'\r\nContent-Disposition: form-data; name="blob"; filename="b.png"\r\n'
        b"Content-Type: image/png\r\n\r\n\x00bin\r\n--" + b + b"--\r\n"
    )
    assert head.endswith(f"\r\nContent-Length: {len(body)}".encode())

    # A string requestBody does not contribute parts (but makes the method POST).
    cli.requestMethod = None
    cli.setData("ignored")
    cli.addData("z", "z")
    assert await cli.execute("/n") is True
    second = wire(srv)[len(data):]
    assert second.startswith(b"POST /n HTTP/1.1\r\n")
    assert b"ignored" not in second
    cli.close()


async def test_multipart_form_values_php_strings(srv: RawServer) -> None:
    """§6.6 body step 1: int keys and None values skipped, scalars as PHP strings, a nested
    array is not flattened (``Array`` plus the PHP ``Array to string conversion`` warning)."""
    cli = client_for(srv)
    cli.addData("c", "part")
    with pytest.warns(Warning, match="Array to string conversion"):
        assert await cli.post("/m", {"t": True, "f": False, "n": 5, 1: "int key", "z": None, "arr": {"x": 1}}) is True
    data = wire(srv)
    b = BOUNDARY.search(data).group(0)  # type: ignore[union-attr]
    _, _, body = data.partition(b"\r\n\r\n")

    def field(name: str, value: bytes) -> bytes:
        return b"--" + b + f'\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n"

    assert body == (
        field("t", b"1")
        + field("f", b"")
        + field("n", b"5")
        + field("arr", b"Array")
        + b"--" + b + b'\r\nContent-Disposition: form-data; name="part"; filename="part"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\nc\r\n--" + b + b"--\r\n"
    )
    assert f"Content-Length: {len(body)}\r\n\r\n".encode() in data
    cli.close()


async def test_multipart_user_content_type_duplicated_and_large_file(srv: RawServer, tmp_path: Path) -> None:
    """Q6 with uploads: the user Content-Type line stays; file content is streamed whole."""
    big = tmp_path / "big.bin"
    payload = bytes(range(256)) * 4096  # 1 MiB
    big.write_bytes(payload)
    cli = client_for(srv)
    cli.setHeaders({"Content-Type": "text/plain"})
    assert cli.addFile(str(big), "file") is True
    assert await cli.post("/big", {}) is True
    data = wire(srv)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines.count(b"Content-Type: text/plain") == 1
    assert sum(1 for line in lines if line.startswith(b"Content-Type: multipart/form-data; boundary=")) == 1
    assert f"Content-Length: {len(body)}".encode() in lines
    assert payload in body
    assert b'filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n' in body
    cli.close()


# --------------------------------------------------------------------------- method and target


async def test_method_persists_after_post(srv: RawServer) -> None:
    """Q1: after post() a get() sends GET with the previous body; setMethod persists."""
    cli = client_for(srv)
    assert await cli.post("/c", {"a": "b"}) is True
    assert await cli.get("/d") is True
    assert cli.requestMethod == "GET"
    assert cli.requestBody == {"a": "b"}
    assert srv.requests[1] == (
        f"GET /d HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nConnection: keep-alive\r\nAccept-Encoding: {AE}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\n"
    ).encode()
    assert wire(srv).endswith(b"\r\n\r\na=b")
    cli.setMethod("PUT")
    cli.setData(None)
    assert await cli.execute("/e") is True
    assert await cli.execute("/f") is True
    assert srv.requests[2].startswith(b"PUT /e HTTP/1.1\r\n")
    assert srv.requests[3].startswith(b"PUT /f HTTP/1.1\r\n")
    assert len(srv.records) == 1
    cli.close()


async def test_method_verbatim_and_default(srv: RawServer) -> None:
    """§6.1: setMethod('put') is sent as ``put``; no method → POST with a body, GET without."""
    cli = client_for(srv)
    cli.setMethod("put")
    assert await cli.execute("/x") is True
    assert srv.requests[0].startswith(b"put /x HTTP/1.1\r\n")
    cli.requestMethod = None
    assert await cli.execute("/y") is True
    assert srv.requests[1].startswith(b"GET /y HTTP/1.1\r\n")
    cli.setData("b")
    assert await cli.execute("/z") is True
    assert srv.requests[2].startswith(b"POST /z HTTP/1.1\r\n")
    cli.close()


async def test_target_sent_verbatim(srv: RawServer) -> None:
    """§6.2: no validation, no percent-encoding, no leading slash added."""
    cli = client_for(srv)
    assert await cli.get("no-slash") is True
    assert await cli.get("/a b/%zz?q=é") is True
    assert srv.requests[0].startswith(b"GET no-slash HTTP/1.1\r\n")
    assert srv.requests[1].startswith("GET /a b/%zz?q=é HTTP/1.1\r\n".encode())
    cli.close()


async def test_header_injection_refused() -> None:
    """Safety deviation S1 (docs/deviations.md): CR/LF in a header value raises ValueError and
    nothing is written."""
    async with raw_server(respond(OK)) as server:
        cli = client_for(server)
        cli.setHeaders({"X-Evil": "a\r\nInjected: 1"})
        with pytest.raises(ValueError):
            await cli.get("/")
        assert b"Injected" not in b"".join(bytes(r.received) for r in server.records)
        cli.close()


# --------------------------------------------------------------------------- Host rules


async def test_host_header_user_spellings(srv: RawServer) -> None:
    """§6.3 step 1 / Q4: only ``Host`` and ``host`` are recognised; ``Host`` wins over ``host``;
    ``HOST`` is dropped and the default Host line is used."""
    cli = client_for(srv)
    cli.setHeaders({"X-A": "1", "Host": "h1.example"})
    await cli.get("/1")
    cli.setHeaders({"host": "h2.example:81"})
    await cli.get("/2")
    cli.setHeaders({"host": "lower.example", "Host": "upper.example"})
    await cli.get("/3")
    cli.setHeaders({"HOST": "dropped", "hOsT": "dropped2"})
    await cli.get("/4")
    heads = srv.requests
    assert heads[0].startswith(b"GET /1 HTTP/1.1\r\nHost: h1.example\r\nX-A: 1\r\nConnection: keep-alive\r\n")
    assert heads[1].startswith(b"GET /2 HTTP/1.1\r\nHost: h2.example:81\r\nConnection: keep-alive\r\n")
    assert heads[2].startswith(b"GET /3 HTTP/1.1\r\nHost: upper.example\r\nConnection: keep-alive\r\n")
    assert heads[3].startswith(f"GET /4 HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nConnection: keep-alive\r\n".encode())
    assert b"dropped" not in heads[3]
    cli.close()


@pytest.mark.skipif(not ipv6_available(), reason="no IPv6 loopback")
async def test_host_header_ipv6_without_brackets() -> None:
    """Q16: IPv6 host literal in the Host header without brackets."""
    async with raw_server(respond(OK), host="::1") as server:
        cli = Client("::1", server.port)
        assert await cli.get("/six") is True
        assert server.requests[0] == (
            f"GET /six HTTP/1.1\r\nHost: ::1:{server.port}\r\nConnection: keep-alive\r\nAccept-Encoding: {AE}\r\n\r\n"
        ).encode()
        cli.close()


async def test_host_header_unix_socket_and_default_ports(tls: TlsMaterial) -> None:
    """Unix socket: ``Host: /path``; the port part is omitted for the default port of the scheme
    (80 plain, 443 TLS) and written otherwise."""
    material = tls
    directory = make_short_unix_dir()
    try:
        async with raw_server(respond(OK), unix=True) as plain:
            path = plain.path
            assert path is not None
            cli = Client(f"unix:{path}")  # port 0 → 80, default for plain
            await cli.get("/a")
            cli.close()
            cli = Client(f"unix://{path}", 443)  # not the default for plain
            await cli.get("/b")
            cli.close()
            assert plain.requests[0].startswith(f"GET /a HTTP/1.1\r\nHost: {path}\r\nConnection".encode())
            assert plain.requests[1].startswith(f"GET /b HTTP/1.1\r\nHost: {path}:443\r\nConnection".encode())
        async with raw_server(respond(OK), unix=f"{directory}/t.sock", ssl=material.server_context()) as secure:
            path = secure.path
            cli = Client(f"unix:{path}", 0, True)  # port 0 → 443, default for TLS
            assert await cli.get("/c") is True
            cli.close()
            cli = Client(f"unix:{path}", 80, True)  # 80 is not the TLS default
            assert await cli.get("/d") is True
            cli.close()
            assert secure.requests[0].startswith(f"GET /c HTTP/1.1\r\nHost: {path}\r\nConnection".encode())
            assert secure.requests[1].startswith(f"GET /d HTTP/1.1\r\nHost: {path}:80\r\nConnection".encode())
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# --------------------------------------------------------------------------- header values


async def test_header_value_conversion(srv: RawServer) -> None:
    """§6.3 step 2: True→1, False→empty, None skipped, int keys skipped, numbers as PHP strings,
    names never re-cased, insertion order kept."""
    cli = client_for(srv)
    cli.setHeaders({"x-b": 5, "X-Float": 1.5, "X-One": 1.0, 0: "zero", "X-None": None, "X-T": True, "X-F": False, "mIxEd": "v"})
    await cli.get("/h")
    assert srv.requests[0] == (
        f"GET /h HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nx-b: 5\r\nX-Float: 1.5\r\nX-One: 1\r\nX-T: 1\r\n"
        f"X-F: \r\nmIxEd: v\r\nConnection: keep-alive\r\nAccept-Encoding: {AE}\r\n\r\n"
    ).encode()
    cli.close()


async def test_request_headers_property_read_at_send_time(srv: RawServer) -> None:
    """§1: assigning the public properties directly has the same effect as the setters."""
    cli = client_for(srv)
    cli.requestHeaders = {"X-Direct": "1"}
    cli.requestMethod = "DELETE"
    cli.requestBody = "b"
    cli.cookies = {"c": "1"}
    await cli.execute("/p")
    assert srv.requests[0] == (
        f"DELETE /p HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nX-Direct: 1\r\nConnection: keep-alive\r\n"
        f"Accept-Encoding: {AE}\r\nCookie: c=1\r\nContent-Length: 1\r\n\r\n"
    ).encode()
    cli.close()


async def test_user_content_length_ignored(srv: RawServer) -> None:
    """§6.3 step 8: a user Content-Length (any case) is never sent; without a body it becomes
    ``Content-Length: 0``; with a body the real length is used."""
    cli = client_for(srv)
    cli.setHeaders({"content-LENGTH": "9"})
    await cli.get("/none")
    cli.setData("abc")
    await cli.get("/body")
    assert srv.requests[0].endswith(f"Accept-Encoding: {AE}\r\nContent-Length: 0\r\n\r\n".encode())
    assert b"9" not in srv.requests[0].split(b"\r\n", 1)[1].replace(str(srv.port).encode(), b"")
    assert srv.requests[1].endswith(f"Accept-Encoding: {AE}\r\nContent-Length: 3\r\n\r\n".encode())
    assert wire(srv).endswith(b"\r\n\r\nabc")
    cli.close()


async def test_basic_auth_and_user_authorization(srv: RawServer) -> None:
    """§6.3 step 4: setBasicAuth adds a second Authorization line after the user headers."""
    cli = client_for(srv)
    assert cli.setBasicAuth("Aladdin", "open sesame") is None
    cli.setHeaders({"Authorization": "Bearer t"})
    await cli.get("/a")
    assert srv.requests[0] == (
        f"GET /a HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nAuthorization: Bearer t\r\n"
        f"Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\nConnection: keep-alive\r\nAccept-Encoding: {AE}\r\n\r\n"
    ).encode()
    cli.close()


async def test_accept_encoding_rules(srv: RawServer) -> None:
    """§6.3 step 6: present by default, absent with http_compression False, never duplicated
    when the user sets it (any case)."""
    cli = client_for(srv)
    cli.setHeaders({"accept-ENCODING": "identity"})
    await cli.get("/1")
    cli.setHeaders({})
    cli.set({"http_compression": False})
    await cli.get("/2")
    assert srv.requests[0] == (
        f"GET /1 HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\naccept-ENCODING: identity\r\nConnection: keep-alive\r\n\r\n"
    ).encode()
    assert srv.requests[1] == f"GET /2 HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nConnection: keep-alive\r\n\r\n".encode()
    cli.close()


async def test_user_connection_header_replaces_default(srv: RawServer) -> None:
    """§6.3 step 5: a user Connection header suppresses the default line."""
    cli = client_for(srv)
    cli.setHeaders({"Connection": "Upgrade, keep-alive"})
    await cli.get("/u")
    assert srv.requests[0] == (
        f"GET /u HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nConnection: Upgrade, keep-alive\r\nAccept-Encoding: {AE}\r\n\r\n"
    ).encode()
    assert cli.connected is True
    cli.close()


# --------------------------------------------------------------------------- cookies


@pytest.mark.parametrize(
    ("cookies", "line"),
    [
        ({}, "Cookie: "),
        ({"a": "b c d", 0: "novalue", "e": ""}, "Cookie: a=b+c+d; "),
        ({"q": "a b;c", "empty": "", 3: "n"}, "Cookie: q=a+b%3Bc; "),
        (
            {"q": "a b;c", "plus": "a+b", "empty": "", "eq": "x=y", "n": 5, "k y": "v"},
            "Cookie: q=a+b%3Bc; plus=a%2Bb; eq=x%3Dy; n=5; k y=v",
        ),
        ({"t": "~*-_.!", "u": "é"}, "Cookie: t=%7E%2A-_.%21; u=%C3%A9"),
        ({"b": True, "f": False, "z": "0"}, "Cookie: b=1; z=0"),
    ],
)
async def test_cookie_header(srv: RawServer, cookies: dict[Any, Any], line: str) -> None:
    """§6.3 step 7 / Q5: raw-index separators, skipped entries, PHP urlencode."""
    cli = client_for(srv)
    cli.setCookies(cookies)
    await cli.get("/c")
    assert srv.requests[0] == (
        f"GET /c HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nConnection: keep-alive\r\nAccept-Encoding: {AE}\r\n"
        f"{line}\r\n\r\n"
    ).encode()
    cli.close()


async def test_no_cookie_header_without_cookies(srv: RawServer) -> None:
    """No Cookie line while the cookies property is None."""
    cli = client_for(srv)
    await cli.get("/")
    assert b"Cookie" not in srv.requests[0]
    cli.close()


# --------------------------------------------------------------------------- bodies


@pytest.mark.parametrize(
    ("data", "encoded"),
    [
        ({"k": "v w", "arr": {"x": 1}}, b"k=v+w&arr%5Bx%5D=1"),
        ({"f": [1, 2], "t": True, "n": None, "z": False}, b"f%5B0%5D=1&f%5B1%5D=2&t=1&z=0"),
        (["a", "b"], b"0=a&1=b"),
        ({"s": "a&b=c/~"}, b"s=a%26b%3Dc%2F%7E"),
    ],
)
async def test_urlencoded_body(srv: RawServer, data: Any, encoded: bytes) -> None:
    """§6.5: arrays → http_build_query, Content-Type always added before Content-Length."""
    cli = client_for(srv)
    await cli.post("/f", data)
    assert wire(srv) == (
        f"POST /f HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nConnection: keep-alive\r\nAccept-Encoding: {AE}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(encoded)}\r\n\r\n"
    ).encode() + encoded
    cli.close()


async def test_array_body_duplicates_user_content_type(srv: RawServer) -> None:
    """Q6: the user Content-Type is sent and the urlencoded one is added as well."""
    cli = client_for(srv)
    cli.setHeaders({"Content-Type": "application/json"})
    await cli.post("/j", {"a": 1})
    assert wire(srv) == (
        f"POST /j HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nContent-Type: application/json\r\n"
        f"Connection: keep-alive\r\nAccept-Encoding: {AE}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=1"
    ).encode()
    cli.close()


async def test_empty_dict_body(srv: RawServer) -> None:
    """§6.5: empty dict → Content-Type line, ``Content-Length: 0``, no body, method POST."""
    cli = client_for(srv)
    cli.setData({})
    await cli.execute("/e")
    assert wire(srv) == (
        f"POST /e HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nConnection: keep-alive\r\nAccept-Encoding: {AE}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\n\r\n"
    ).encode()
    cli.close()


@pytest.mark.parametrize(
    ("data", "payload"),
    [
        ("text body", b"text body"),
        ("é€", "é€".encode()),
        (b"\x00\xffraw", b"\x00\xffraw"),
        (bytearray(b"ba"), b"ba"),
        (123, b"123"),
        (1.5, b"1.5"),
        ("", b""),
    ],
)
async def test_raw_body(srv: RawServer, data: Any, payload: bytes) -> None:
    """§6.4: str (UTF-8), bytes, numbers; no Content-Type added; empty string → Content-Length 0."""
    cli = client_for(srv)
    cli.setData(data)
    await cli.execute("/r")
    assert wire(srv) == (
        f"POST /r HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nConnection: keep-alive\r\nAccept-Encoding: {AE}\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload
    cli.close()


async def test_large_raw_body_sent_whole(srv: RawServer) -> None:
    """A body much larger than the socket buffers arrives intact."""
    payload = bytes(range(256)) * 8192  # 2 MiB
    cli = client_for(srv)
    assert await cli.post("/big", payload) is True
    head, _, body = wire(srv).partition(b"\r\n\r\n")
    assert body == payload
    assert head.endswith(f"Content-Length: {len(payload)}".encode())
    cli.close()


# --------------------------------------------------------------------------- proxy absolute form


async def test_http_proxy_absolute_form(srv: RawServer) -> None:
    """§8.4: plain-TCP proxying uses an absolute URI, Proxy-Authorization after user headers."""
    cli = Client("example.org", 8080)
    cli.set(
        {
            "http_proxy_host": "127.0.0.1",
            "http_proxy_port": srv.port,
            "http_proxy_username": "u",
            "http_proxy_password": "p",
        }
    )
    assert await cli.get("/px?q=1") is True
    assert srv.requests[0] == (
        "GET http://example.org:8080/px?q=1 HTTP/1.1\r\nHost: example.org:8080\r\n"
        f"Proxy-Authorization: Basic dTpw\r\nConnection: keep-alive\r\nAccept-Encoding: {AE}\r\n\r\n"
    ).encode()
    cli.close()


async def test_http_proxy_user_host_and_default_port(srv: RawServer) -> None:
    """§8.4: the user Host value (with a port) is the authority; with port 80 the Host header
    has no port but the absolute URI gets ``:80``; no credentials → no Proxy-Authorization."""
    cli = Client("example.org", 80)
    cli.set({"http_proxy_host": "127.0.0.1", "http_proxy_port": srv.port})
    cli.setHeaders({"Host": "h.example:81"})
    assert await cli.get("/py") is True
    cli.setHeaders({})
    cli.setBasicAuth("a", "b")
    assert await cli.get("/pz") is True
    assert srv.requests[0] == (
        f"GET http://h.example:81/py HTTP/1.1\r\nHost: h.example:81\r\nConnection: keep-alive\r\nAccept-Encoding: {AE}\r\n\r\n"
    ).encode()
    assert srv.requests[1] == (
        "GET http://example.org:80/pz HTTP/1.1\r\nHost: example.org\r\nAuthorization: Basic YTpi\r\n"
        f"Connection: keep-alive\r\nAccept-Encoding: {AE}\r\n\r\n"
    ).encode()
    cli.close()


async def test_http_proxy_user_without_password_no_auth(srv: RawServer) -> None:
    """Proxy-Authorization needs both user and password (the username alone warns)."""
    cli = Client("example.org", 8080)
    cli.set({"http_proxy_host": "127.0.0.1", "http_proxy_port": srv.port, "http_proxy_user": "u"})
    with pytest.warns(Warning, match="socks5_password should not be null"):
        assert await cli.get("/n") is True
    assert b"Proxy-Authorization" not in srv.requests[0]
    cli.close()


# --------------------------------------------------------------------------- getHeaderOut


async def test_get_header_out_lifecycle(srv: RawServer) -> None:
    """§9: False before any request and after a failed first connect; the last head after a
    request, still there after close()."""
    cli = client_for(srv)
    assert cli.getHeaderOut() is False
    await cli.post("/one", "abc")
    first = cli.getHeaderOut()
    assert first == (
        f"POST /one HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nConnection: keep-alive\r\nAccept-Encoding: {AE}\r\n"
        "Content-Length: 3"
    )
    await cli.get("/two")
    second = cli.getHeaderOut()
    assert isinstance(second, str) and second.startswith("GET /two HTTP/1.1\r\n")
    assert cli.close() is True
    assert cli.getHeaderOut() == second

    # A refused first connect wrote nothing.
    port = srv.port
    await srv.kill()
    dead = Client("127.0.0.1", port)
    assert await dead.get("/x") is False
    assert dead.errCode == 111
    assert dead.getHeaderOut() is False


async def test_get_header_out_after_multipart_is_request_head(srv: RawServer) -> None:
    """Deviation Q14: after a multipart request the request head is returned."""
    cli = client_for(srv)
    cli.addData("DATA", "d1")
    await cli.post("/m", {"a": "b"})
    out = cli.getHeaderOut()
    assert isinstance(out, str)
    assert out.startswith("POST /m HTTP/1.1\r\n")
    assert re.search(r"Content-Length: \d+$", out)
    assert "\r\n\r\n" not in out
    cli.close()


async def test_getheaderout_server_reads_same_head() -> None:
    """What the server reads as the head equals getHeaderOut() + blank line."""

    async def handler(reader: Any, writer: Any) -> None:
        await read_request_head(reader)
        writer.write(OK)
        await writer.drain()

    async with raw_server(handler) as server:
        cli = client_for(server)
        cli.setHeaders({"X-Test": "1"})
        await cli.get("/g")
        out = cli.getHeaderOut()
        assert isinstance(out, str)
        assert server.requests[0] == out.encode() + b"\r\n\r\n"
        cli.close()

