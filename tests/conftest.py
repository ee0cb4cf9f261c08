"""Root pytest configuration: makes ``tests/support`` importable and defines the shared fixtures.

``tests/`` is put on ``sys.path`` here (pytest runs with ``--import-mode=importlib``, which does
not do it), so every test module can write ``from support.raw import raw_server`` etc.

Fixture overview (details in ``tests/support/README.md``):

* session: ``tls`` (all certificate material), ``tls_ca``, ``ca_file``, ``client_cert``,
  ``self_signed_cert``, ``pressure``;
* per test: ``assert_bag``, ``swoole_log`` (autouse: unexpected WARNING records from the
  ``swoole_compat`` logger fail the test unless marked ``expect_swoole_warnings``),
  ``tls_server_context``, ``tls_client_context``, ``self_signed_context``, ``sni_recorder``,
  ``test_image``, ``unix_path``, ``ipv6_host``;
* server factories (await them; every server is killed at teardown and reports handler failures
  to ``assert_bag``): ``raw_server``, ``http_server``, ``ws_server``, ``connect_proxy``,
  ``socks5_proxy``; ready-made servers: ``api_server``, ``httpbin``, ``httpbin_tls``,
  ``blackhole``.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import ssl
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import pytest_asyncio

_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

import trustme  # noqa: E402

from support import http as support_http  # noqa: E402
from support.bag import AssertBag  # noqa: E402
from support.blackhole import Blackhole, BlackholeUnavailable  # noqa: E402
from support.helpers import PRESSURE, Pressure, make_test_image  # noqa: E402
from support.listener import LoopbackServer, ipv6_available, make_short_unix_dir  # noqa: E402
from support.proxy import ConnectProxy, Socks5Proxy  # noqa: E402
from support.raw import RawServer  # noqa: E402
from support.tls import SniRecorder, TlsMaterial, make_tls_material  # noqa: E402
from support.ws import WSServer  # noqa: E402

SWOOLE_LOGGER = "swoole_compat"


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers used by the shared fixtures."""
    config.addinivalue_line(
        "markers",
        "expect_swoole_warnings(*patterns): WARNING (or higher) records of the 'swoole_compat' "
        "logger whose message matches one of the regexes (re.search) are expected; with no "
        "pattern every such record is expected.",
    )


# --------------------------------------------------------------------------- assertion bag


@pytest.fixture
def assert_bag() -> Iterator[AssertBag]:
    """Collects server-side assertion failures; the test errors at teardown if any exist."""
    bag = AssertBag()
    yield bag
    if bag:
        pytest.fail("\n---\n".join(["server-side assertion(s) failed:", *bag.failures]), pytrace=False)


# --------------------------------------------------------------------------- swoole_compat log


class SwooleLogCapture(logging.Handler):
    """Captures the ``swoole_compat`` logger's records during one test."""

    def __init__(self) -> None:
        """Capture everything that reaches the handler."""
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.patterns: list[str] = []
        self.allow_all = False

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record."""
        self.records.append(record)

    def expect(self, *patterns: str) -> None:
        """Declare WARNING records matching ``patterns`` as expected (none given: all)."""
        if patterns:
            self.patterns.extend(patterns)
        else:
            self.allow_all = True

    @property
    def warnings(self) -> list[logging.LogRecord]:
        """Records at WARNING or above."""
        return [r for r in self.records if r.levelno >= logging.WARNING]

    def messages(self, level: int = logging.DEBUG) -> list[str]:
        """Formatted messages of the records at ``level`` or above."""
        return [r.getMessage() for r in self.records if r.levelno >= level]

    def unexpected(self) -> list[logging.LogRecord]:
        """WARNING records not covered by :meth:`expect` or the marker."""
        if self.allow_all:
            return []
        return [r for r in self.warnings if not any(re.search(p, r.getMessage()) for p in self.patterns)]


@pytest.fixture(autouse=True)
def swoole_log(request: pytest.FixtureRequest) -> Iterator[SwooleLogCapture]:
    """Fail the test on WARNING records from ``swoole_compat`` that were not expected.

    Expect them with ``@pytest.mark.expect_swoole_warnings("regex", ...)`` or at run time with
    ``swoole_log.expect("regex")``. INFO records (PHP NOTICEs) are captured too, for assertions.
    A test that requests ``caplog`` owns its log assertions and is not checked here.
    """
    capture = SwooleLogCapture()
    if "caplog" in request.fixturenames:
        capture.expect()
    for marker in request.node.iter_markers("expect_swoole_warnings"):
        capture.expect(*marker.args)
    logger = logging.getLogger(SWOOLE_LOGGER)
    old_level = logger.level
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    logger.addHandler(capture)
    try:
        yield capture
    finally:
        logger.removeHandler(capture)
        logger.setLevel(old_level)
    unexpected = capture.unexpected()
    if unexpected:
        lines = [f"{r.levelname} {r.name}: {r.getMessage()}" for r in unexpected]
        pytest.fail("unexpected swoole_compat warning(s):\n" + "\n".join(lines), pytrace=False)


# --------------------------------------------------------------------------- TLS material


class ClientCert(NamedTuple):
    """Client certificate files."""

    cert_file: str
    key_file: str
    encrypted_key_file: str
    passphrase: str


class SelfSignedCert(NamedTuple):
    """The self-signed leaf (localhost, 127.0.0.1, ::1)."""

    cert_file: str
    key_file: str
    pem: bytes


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsMaterial:
    """All certificate material (trustme CA, leaves, self-signed leaf), files in a session dir."""
    return make_tls_material(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def tls_ca(tls: TlsMaterial) -> trustme.CA:
    """The test CA (trustme)."""
    return tls.ca


@pytest.fixture(scope="session")
def ca_file(tls: TlsMaterial) -> str:
    """Path of the test CA certificate (PEM) - the client's ``ssl_cafile``."""
    return tls.ca_file


@pytest.fixture(scope="session")
def client_cert(tls: TlsMaterial) -> ClientCert:
    """A CA-signed client certificate, its key, and the same key encrypted with a passphrase."""
    return ClientCert(tls.client_cert_file, tls.client_key_file, tls.client_key_encrypted_file, tls.client_key_passphrase)


@pytest.fixture(scope="session")
def self_signed_cert(tls: TlsMaterial) -> SelfSignedCert:
    """The self-signed leaf's files (verification fails with error 18 at depth 0)."""
    return SelfSignedCert(tls.self_signed_cert_file, tls.self_signed_key_file, tls.self_signed_pem)


@pytest.fixture
def tls_server_context(tls: TlsMaterial) -> ssl.SSLContext:
    """A fresh server context presenting the CA-signed leaf for localhost/127.0.0.1/::1."""
    return tls.server_context()


@pytest.fixture
def tls_client_context(tls: TlsMaterial) -> ssl.SSLContext:
    """A client context trusting the test CA (for self-tests with non-swoole clients)."""
    return tls.client_context()


@pytest.fixture
def self_signed_context(tls: TlsMaterial) -> ssl.SSLContext:
    """A fresh server context presenting the self-signed leaf."""
    return tls.self_signed_context()


@pytest.fixture
def sni_recorder(tls: TlsMaterial) -> SniRecorder:
    """A server context recording SNI names: pass ``sni_recorder.context`` as ``ssl=``."""
    return tls.sni_recorder()


# --------------------------------------------------------------------------- data and env


@pytest.fixture(scope="session")
def pressure() -> Pressure:
    """The MAX_* counts for the configured pressure level."""
    return PRESSURE


@pytest.fixture
def test_image(tmp_path: Path) -> Path:
    """A random 218,787-byte ``test.jpg`` (upstream ``TEST_IMAGE``)."""
    return make_test_image(tmp_path)


@pytest.fixture
def unix_path() -> Iterator[str]:
    """A short, unused UNIX socket path in a private temp dir (removed afterwards)."""
    directory = make_short_unix_dir()
    try:
        yield str(Path(directory) / "s.sock")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def ipv6_host() -> str:
    """``::1``, or skip when IPv6 loopback is unavailable."""
    if not ipv6_available():
        pytest.skip("IPv6 loopback (::1) is not available")
    return "::1"


# --------------------------------------------------------------------------- server factories

ServerFactory = Callable[..., Awaitable[Any]]


@contextlib.asynccontextmanager
async def _serve_many(
    bag: AssertBag, build: Callable[..., LoopbackServer]
) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """Yield a factory starting servers built by ``build``; close them all afterwards."""
    servers: list[LoopbackServer] = []

    async def start(*args: Any, **options: Any) -> Any:
        options.setdefault("bag", bag)
        server = build(*args, **options)
        await server.start()
        servers.append(server)
        return server

    try:
        yield start
    finally:
        for server in reversed(servers):
            await server.close()


@pytest_asyncio.fixture
async def raw_server(assert_bag: AssertBag) -> AsyncIterator[ServerFactory]:
    """``srv = await raw_server(handler=None, **options)`` -> started ``RawServer``."""
    async with _serve_many(assert_bag, RawServer) as factory:
        yield factory


@pytest_asyncio.fixture
async def http_server(assert_bag: AssertBag) -> AsyncIterator[ServerFactory]:
    """``srv = await http_server(app=None, routes=(), ssl=None, unix=None, host=..., ...)``
    -> started ``HttpServer`` (aiohttp; httpbin routes when ``app`` is None)."""
    async with _serve_many(assert_bag, support_http.HttpServer) as factory:
        yield factory


@pytest_asyncio.fixture
async def ws_server(assert_bag: AssertBag) -> AsyncIterator[ServerFactory]:
    """``srv = await ws_server(handler=None, deflate=False, ...)`` -> started ``WSServer``."""
    async with _serve_many(assert_bag, WSServer) as factory:
        yield factory


@pytest_asyncio.fixture
async def connect_proxy(assert_bag: AssertBag) -> AsyncIterator[ServerFactory]:
    """``proxy = await connect_proxy(credentials=None, resolve=None, ...)`` -> ``ConnectProxy``."""
    async with _serve_many(assert_bag, ConnectProxy) as factory:
        yield factory


@pytest_asyncio.fixture
async def socks5_proxy(assert_bag: AssertBag) -> AsyncIterator[ServerFactory]:
    """``socks = await socks5_proxy(credentials=None, resolve=None, ...)`` -> ``Socks5Proxy``."""
    async with _serve_many(assert_bag, Socks5Proxy) as factory:
        yield factory


@pytest_asyncio.fixture
async def api_server(http_server: ServerFactory, test_image: Path) -> support_http.HttpServer:
    """SHS with upstream ``api/http_server.php`` routes; ``/get_file`` serves ``test_image``."""
    return await http_server(support_http.api_app(test_image))  # type: ignore[no-any-return]


@pytest_asyncio.fixture
async def httpbin(http_server: ServerFactory) -> support_http.HttpServer:
    """HB: the httpbin-like app over plain HTTP."""
    return await http_server()  # type: ignore[no-any-return]


@pytest_asyncio.fixture
async def httpbin_tls(http_server: ServerFactory, tls_server_context: ssl.SSLContext) -> support_http.HttpServer:
    """HB over TLS (CA-signed leaf for localhost/127.0.0.1/::1; trust ``ca_file``)."""
    return await http_server(ssl=tls_server_context)  # type: ignore[no-any-return]


@pytest_asyncio.fixture
async def blackhole() -> AsyncIterator[Blackhole]:
    """A loopback address whose connect hangs; skips where the backlog trick does not work."""
    hole = Blackhole()
    try:
        await hole.start()
    except BlackholeUnavailable as exc:
        pytest.skip(f"no connect black hole on this platform: {exc}")
    try:
        yield hole
    finally:
        hole.close()
