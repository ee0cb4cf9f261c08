"""What every command shares: URL and option parsing, building the client, printing results.

Everything goes through :class:`swoole_compat.coroutine.http.Client`; the command line only
translates its arguments into constructor arguments, ``set()`` options, ``setHeaders()``,
``setCookies()`` and ``setBasicAuth()`` calls.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from typing import Any, Mapping, TextIO
from urllib.parse import SplitResult, unquote, urlsplit

from ..coroutine.http import Client

EXIT_OK = 0
EXIT_FAILED = 1  # the client returned False (statusCode/errCode/errMsg are printed) or raised
EXIT_USAGE = 2  # bad arguments (argparse uses 2 as well)
EXIT_HTTP_ERROR = 3  # --fail and a status >= 400
EXIT_INTERRUPTED = 130

PROG = "swoole-compat"


class UsageError(Exception):
    """Bad command-line input: printed as ``swoole-compat: error: ...`` with exit status 2."""


def eprint(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# URLs
# ---------------------------------------------------------------------------------------------
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


@dataclass
class Endpoint:
    """Where a URL points, in the terms of ``Client(host, port, ssl)`` plus the request target."""

    url: str
    scheme: str
    host: str  # as the URL names it, without IPv6 brackets
    port: int
    ssl: bool
    target: str  # path and query, at least "/"
    unix_socket: str | None = None

    @property
    def client_host(self) -> str:
        """The constructor's ``host``: the URL host, or ``unix:/path`` with ``--unix-socket``."""
        return f"unix:{self.unix_socket}" if self.unix_socket else self.host

    @property
    def host_header(self) -> str:
        """``Host`` as the URL names it (sent explicitly only over a UNIX socket)."""
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == _DEFAULT_PORTS[self.scheme] else f"{name}:{self.port}"


def _split(url: str, default_scheme: str, what: str) -> tuple[str, SplitResult, int | None]:
    """``url`` (``default_scheme://`` added when it has no scheme), its parts and its port;
    a malformed one (a bad port, say) is a :class:`UsageError` naming it as ``what``."""
    if "://" not in url:
        url = f"{default_scheme}://{url}"
    try:
        parts = urlsplit(url)
        return url, parts, parts.port
    except ValueError as exc:
        raise UsageError(f"invalid {what} {url!r}: {exc}") from None


def parse_url(url: str, *, websocket: bool = False, unix_socket: str | None = None) -> Endpoint:
    """Split ``url``; a URL without ``scheme://`` is taken as ``http://`` (``ws://`` for ``ws``)."""
    url, parts, port = _split(url, "ws" if websocket else "http", "URL")
    scheme = parts.scheme.lower()
    allowed = ("ws", "wss", "http", "https") if websocket else ("http", "https")
    if scheme not in allowed:
        raise UsageError(f"unsupported scheme {parts.scheme!r} in {url!r} (use {', '.join(allowed)})")
    host = parts.hostname or ""
    if not host:
        raise UsageError(f"no host in URL {url!r}")
    if port is None:
        port = _DEFAULT_PORTS[scheme]
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return Endpoint(url, scheme, host, port, scheme in ("https", "wss"), target, unix_socket)


# ---------------------------------------------------------------------------------------------
# options
# ---------------------------------------------------------------------------------------------
def parse_header(text: str) -> tuple[str, str]:
    """``"Name: value"`` → ``("Name", "value")``; any spelling of Host becomes ``Host``."""
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not name:
        raise UsageError(f"bad header {text!r}: expected 'Name: value'")
    if name.lower() == "host":
        name = "Host"  # Swoole only recognises "Host"/"host" (client.md §6.3 Q4)
    return name, value.strip()


def parse_cookies(items: list[str]) -> dict[str, str]:
    """``--cookie k=v`` (repeatable; ``"a=1; b=2"`` also works) → ``setCookies()`` dict."""
    cookies: dict[str, str] = {}
    for item in items:
        for piece in item.split(";"):
            piece = piece.strip()
            if not piece:
                continue
            name, sep, value = piece.partition("=")
            if not sep or not name.strip():
                raise UsageError(f"bad cookie {piece!r}: expected name=value")
            cookies[name.strip()] = value
    return cookies


def parse_set_options(items: list[str]) -> dict[str, Any]:
    """``--set key=value``: the value is read as JSON when it parses (``5``, ``true``,
    ``"x"``, ``[1]``), else kept as a string."""
    options: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"bad --set {item!r}: expected key=value")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        options[key.strip()] = value
    return options


def proxy_options(proxy: str) -> dict[str, Any]:
    """``--proxy http://[user:pass@]host:port`` or ``socks5://…`` → ``set()`` options."""
    proxy, parts, port = _split(proxy, "http", "proxy")
    scheme = parts.scheme.lower()
    if not parts.hostname:
        raise UsageError(f"no host in proxy {proxy!r}")
    user = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    if scheme == "http":
        options: dict[str, Any] = {"http_proxy_host": parts.hostname, "http_proxy_port": port or 8080}
        if user:
            options["http_proxy_username"] = user
            options["http_proxy_password"] = password or ""
        return options
    if scheme in ("socks5", "socks5h"):
        options = {"socks5_host": parts.hostname, "socks5_port": port or 1080}
        if user:
            options["socks5_username"] = user
            options["socks5_password"] = password or ""
        return options
    raise UsageError(f"unsupported proxy scheme {parts.scheme!r} (use http:// or socks5://)")


def client_options(endpoint: Endpoint, args: Any) -> dict[str, Any]:
    """The ``set()`` options the arguments ask for (``--set`` entries last, so they win)."""
    options: dict[str, Any] = {}
    if getattr(args, "timeout", None) is not None:
        options["timeout"] = args.timeout
    if getattr(args, "connect_timeout", None) is not None:
        options["connect_timeout"] = args.connect_timeout
    if endpoint.ssl:
        # Swoole does not verify certificates unless asked; the command line asks by default.
        if getattr(args, "insecure", False):
            options["ssl_verify_peer"] = False
        else:
            options["ssl_verify_peer"] = True
            options["ssl_host_name"] = endpoint.host
            if getattr(args, "cafile", None):
                options["ssl_cafile"] = args.cafile
    if getattr(args, "proxy", None):
        options.update(proxy_options(args.proxy))
    options.update(parse_set_options(getattr(args, "set", None) or []))
    return options


def request_headers(endpoint: Endpoint, args: Any) -> dict[str, str]:
    headers: dict[str, str] = {}
    for text in getattr(args, "header", None) or []:
        name, value = parse_header(text)
        headers[name] = value
    if endpoint.unix_socket and "Host" not in headers:
        headers["Host"] = endpoint.host_header
    return headers


def has_header(headers: Mapping[str, Any], name: str) -> bool:
    name = name.lower()
    return any(key.lower() == name for key in headers)


def make_client(endpoint: Endpoint, args: Any, extra_headers: Mapping[str, str] | None = None) -> Client:
    """``Client(host, port, ssl)`` configured from the arguments."""
    cli = Client(endpoint.client_host, endpoint.port, endpoint.ssl)
    options = client_options(endpoint, args)
    try:
        accepted = cli.set(options) if options else True
    except (TypeError, ValueError) as exc:  # swoole_compat's own options validate strictly
        raise UsageError(f"Client.set() rejected an option: {exc}") from None
    if not accepted:
        raise UsageError("Client.set() refused the options (see the warning above)")
    headers = request_headers(endpoint, args)
    for name, value in (extra_headers or {}).items():
        if not has_header(headers, name):
            headers[name] = value
    if headers:
        cli.setHeaders(headers)
    cookies = parse_cookies(getattr(args, "cookie", None) or [])
    if cookies:
        cli.setCookies(cookies)
    user = getattr(args, "user", None)
    if user:
        name, _, password = user.partition(":")
        cli.setBasicAuth(name, password)
    return cli


# ---------------------------------------------------------------------------------------------
# output
# ---------------------------------------------------------------------------------------------
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript", "+json", "+xml",
               "application/x-www-form-urlencoded")


def header_value(headers: Mapping[str, Any] | None, name: str) -> str | None:
    """A response header whatever the case of its name (the last value of a repeated one)."""
    if not headers:
        return None
    name = name.lower()
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == name:
            return value[-1] if isinstance(value, list) else str(value)
    return None


def is_text(body: bytes, content_type: str | None) -> bool:
    """True when ``body`` can be printed: valid UTF-8 without control bytes other than
    whitespace and escape (a textual ``Content-Type`` only needs valid UTF-8)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if content_type and any(t in content_type.lower() for t in _TEXT_TYPES):
        return True
    return not any(ord(ch) < 32 and ch not in "\t\n\r\f\v\x1b" for ch in text)


def print_head(cli: Client, out: TextIO) -> None:
    """``statusCode <n>`` and one ``name: value`` line per response header (and per value of a
    repeated header)."""
    out.write(f"statusCode {cli.statusCode}\n")
    for name, value in (cli.headers or {}).items():
        for item in value if isinstance(value, list) else [value]:
            out.write(f"{name}: {item}\n")


def body_summary(body: bytes, content_type: str | None) -> str:
    kind = f", {content_type}" if content_type else ""
    return f"[binary body: {len(body)} bytes{kind}, sha256 {hashlib.sha256(body).hexdigest()[:16]}…]"


def print_body(cli: Client, out: TextIO, raw: bool = False) -> None:
    body = cli.body
    if raw:
        out.flush()
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
        return
    content_type = header_value(cli.headers, "content-type")
    if is_text(body, content_type):
        text = body.decode("utf-8")
        out.write(text if text.endswith("\n") or not text else text + "\n")
    else:
        out.write(body_summary(body, content_type) + "\n")


def print_request_head(cli: Client) -> None:
    """``-v``: the request head the client wrote (``getHeaderOut()``), on stderr."""
    head = cli.getHeaderOut()
    if head is not False:
        for line in str(head).split("\r\n"):
            eprint(f"> {line}")
        eprint(">")


def failure_text(cli: Client) -> str:
    return f"statusCode={cli.statusCode} errCode={cli.errCode} errMsg={cli.errMsg}"


def report_failure(cli: Client, what: str = "request") -> int:
    eprint(f"{PROG}: {what} failed: {failure_text(cli)}")
    return EXIT_FAILED
