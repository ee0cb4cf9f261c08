"""Branches of ``request_with_http_client`` (php_swoole_library.h) and of PHP ``parse_url``
(``php_url_parse_ex2``), which splits the helper's URL (functions.md §2-§3).

``php_parse_url`` is sans-I/O and tested from strings; the helper's use of each component is
tested through a recording raw server acting as a plain HTTP proxy (absolute-form request line).
"""

from __future__ import annotations

from typing import Any

import pytest
from support.raw import RawServer, raw_server, respond

from swoole_compat import SwooleWarning
from swoole_compat._php import php_parse_url
from swoole_compat.coroutine.http import ClientException, get, request

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def via(proxy: RawServer) -> dict[str, Any]:
    return {"http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port, "timeout": 2}


# --------------------------------------------------------------------------- parse_url


@pytest.mark.parametrize(
    ("url", "parts"),
    [
        # scheme valid, "//" follows → host part
        ("http://h", {"scheme": "http", "host": "h"}),
        ("https://u:p@h:8443/a?q#f", {"scheme": "https", "host": "h", "port": 8443, "user": "u", "pass": "p", "path": "/a", "query": "q", "fragment": "f"}),
        ("http://u@h/", {"scheme": "http", "host": "h", "user": "u", "path": "/"}),
        ("http://a@b@h/", {"scheme": "http", "host": "h", "user": "a@b", "path": "/"}),
        # scheme only
        ("http:", {"scheme": "http"}),
        # "scheme:" without "/" and not a port → scheme + path
        ("http:foo", {"scheme": "http", "path": "foo"}),
        ("mailto:a@b", {"scheme": "mailto", "path": "a@b"}),
        # "scheme:/x" (one slash) → path
        ("https:/x", {"scheme": "https", "path": "/x"}),
        # "name:digits" (< 6 digits) is host:port, not a scheme
        ("h:80", {"host": "h", "port": 80}),
        ("h:80/p", {"host": "h", "port": 80, "path": "/p"}),
        ("h:123456", {"scheme": "h", "path": "123456"}),
        # invalid scheme characters: port, "//" host, or path
        ("a_b:80/x", {"host": "a_b", "port": 80, "path": "/x"}),
        ("//h:5/x", {"host": "h", "port": 5, "path": "/x"}),
        ("a_b/c:d", {"path": "a_b/c:d"}),
        ("/p?a:b", {"path": "/p", "query": "a:b"}),
        # no colon at all
        ("//h/p", {"host": "h", "path": "/p"}),
        ("h/path", {"path": "h/path"}),
        # port scan in the host part: strtol semantics, at most 5 characters
        ("http://h:8a/", {"scheme": "http", "host": "h", "port": 8, "path": "/"}),
        ("http://h:+80", {"scheme": "http", "host": "h", "port": 80}),
        ("http://h: 80/", {"scheme": "http", "host": "h", "port": 80, "path": "/"}),
        ("http://h:/", {"scheme": "http", "host": "h", "path": "/"}),
        ("http://h:0/", {"scheme": "http", "host": "h", "port": 0, "path": "/"}),
        # IPv6 literal: brackets kept, no port scan inside
        ("http://[::1]/", {"scheme": "http", "host": "[::1]", "path": "/"}),
        ("http://[::1]:81/", {"scheme": "http", "host": "[::1]", "port": 81, "path": "/"}),
        # empty query / fragment are present but empty
        ("http://h?", {"scheme": "http", "host": "h", "query": ""}),
        ("http://h#", {"scheme": "http", "host": "h", "fragment": ""}),
        ("http://h/#a?b", {"scheme": "http", "host": "h", "path": "/", "fragment": "a?b"}),
        # file:/// keeps the path; a drive letter drops the leading slash
        ("file:///etc/x", {"scheme": "file", "path": "/etc/x"}),
        ("file:///c:/x", {"scheme": "file", "path": "c:/x"}),
        # control bytes become "_" in every component
        ("http://a\x01b/p\r\nq?x\x7f#\x00", {"scheme": "http", "host": "a_b", "path": "/p__q", "query": "x_", "fragment": "_"}),
        # non-ASCII: not alphanumeric for the scheme check ("C" locale)
        ("é:1", {"host": "é", "port": 1}),
        ("h:", {"scheme": "h"}),
    ],
)
def test_parse_url_components(url: str, parts: dict[str, Any]) -> None:
    """php_url_parse_ex2: each scheme/port/host/path branch."""
    assert php_parse_url(url) == parts


@pytest.mark.parametrize(
    "url",
    [
        "http:///x",  # empty host
        "http://h:99999/",  # port > 65535
        "http://h:-1/",  # strtol gives a negative port
        "http://h:abc/",  # strtol converts nothing
        "http://h:123456/",  # port longer than 5 characters
        "http://u@:80/",  # empty host after the user info
        ":80",  # port but no host
        ":",  # port branch with nothing after the colon
        "a_b:99999",  # port branch, out of range
        "//",  # relative-scheme URL without host
    ],
)
def test_parse_url_false(url: str) -> None:
    """php_url_parse_ex2: every `return NULL` (parse_url() === false)."""
    assert php_parse_url(url) is None


def test_parse_url_bytes_in_bytes_out() -> None:
    """Bytes input gives bytes components (PHP strings are bytes)."""
    assert php_parse_url(b"http://h/\xff") == {"scheme": b"http", "host": b"h", "path": b"/\xff"}


# --------------------------------------------------------------------------- request()


@pytest.mark.parametrize(
    "url",
    ["0://h/", "http:///x", "//h/p", ":80"],
)
async def test_empty_scheme_is_no_scheme(url: str) -> None:
    """request_with_http_client: empty($info['scheme']) — parse_url false, no scheme, or the
    scheme "0" (PHP's empty("0") is true) → "The URL given is illegal [no scheme]"."""
    with pytest.raises(ClientException) as info:
        await get(url)
    assert (info.value.code, str(info.value)) == (0, "The URL given is illegal [no scheme]")


@pytest.mark.parametrize(("url", "scheme"), [("Http://h/", "Http"), ("h:123456", "h"), ("file:///x", "file")])
async def test_scheme_compared_case_sensitively(url: str, scheme: str) -> None:
    """request_with_http_client: neither 'http' nor 'https' → unknown scheme."""
    with pytest.raises(ClientException, match=f'^unknown scheme "{scheme}"$'):
        await get(url)


async def test_missing_host_warns_then_type_error() -> None:
    """request_with_http_client: $info['host'] undefined → warning, then null to Client."""
    with pytest.warns(SwooleWarning, match='^Undefined array key "host"$'):
        with pytest.raises(TypeError, match=r"Argument #1 \(\$host\) must be of type string, null given"):
            await request("http:foo", "GET")


@pytest.mark.parametrize(
    ("url", "line"),
    [
        # control bytes in the path become "_" before the request is built
        ("http://h/a\r\nb", "GET http://h:80/a__b HTTP/1.1"),
        # strtol port scan: "8a" is port 8
        ("http://h:8a/x", "GET http://h:8/x HTTP/1.1"),
        # empty query: !empty() false → no "?"
        ("http://h/p?", "GET http://h:80/p HTTP/1.1"),
        # a query after a fragment mark belongs to the fragment
        ("http://h/p#f?q=1", "GET http://h:80/p HTTP/1.1"),
    ],
)
async def test_request_target_and_port(url: str, line: str) -> None:
    """request_with_http_client: host/port/path/query from parse_url (default port 80,
    path '/' only when absent)."""
    async with raw_server(respond(OK)) as proxy:
        result = await get(url, via(proxy))
        assert result.getStatusCode() == 200
        assert proxy.requests[0].split(b"\r\n", 1)[0] == line.encode()


async def test_helper_returns_given_and_server_cookies() -> None:
    """request_with_http_client: success → ClientProxy(body, status, headers ?: [],
    cookies ?: []): the given cookies plus Set-Cookie ones, with PHP array keys."""
    resp = b"HTTP/1.1 200 OK\r\nSet-Cookie: 7=seven\r\nSet-Cookie: x\r\nContent-Length: 2\r\n\r\nok"
    async with raw_server(respond(resp)) as srv:
        result = await get(f"http://127.0.0.1:{srv.port}/", None, None, {"c": "d", "5": "five"})
        assert list(result.getCookies().items()) == [("c", "d"), (5, "five"), (7, "seven"), (8, "x")]
        assert srv.requests[0].split(b"\r\n")[-3] == b"Cookie: c=d; "


async def test_empty_options_headers_cookies() -> None:
    """request_with_http_client: `$options ?: []` etc. — falsy arguments become []: an empty
    Cookie line, no user headers."""
    async with raw_server(respond(OK)) as srv:
        await request(f"http://127.0.0.1:{srv.port}/p", "GET", None, {}, {}, {})
        head = srv.requests[0]
        assert head.endswith(b"Cookie: \r\n\r\n")
