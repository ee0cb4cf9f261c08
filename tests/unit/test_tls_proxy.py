"""Feature tests for TLS, proxies, IPv6 and bind options (client.md §4.3, §8.1, §8.3, §8.4).

Every case runs the real client against real loopback servers: aiohttp over TLS (trustme
certificates from ``support.tls``), the RAW scripted server for bytes no real server sends, and
the recording HTTP CONNECT / SOCKS5 proxies of ``support.proxy``.

Error codes are written out here on purpose (not taken from ``swoole_compat.constants``) so that a
wrong constant in the package cannot make a test agree with it.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import socket
import ssl
import sys
import time
from typing import Any

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.x509.oid import NameOID
from support.listener import close_writer
from support.raw import close_without_reply, hold, read_head, respond, script, send, sleep
from support.tls import SniRecorder, TlsMaterial

from swoole_compat import SwooleException, SwooleWarning
from swoole_compat.coroutine.http import Client

# errno / Swoole codes (errors.md §3, §5)
ETIMEDOUT = errno.ETIMEDOUT  # 110
ECONNRESET = errno.ECONNRESET  # 104
SW_ERROR_OPERATION_NOT_SUPPORT = 507
SW_ERROR_SSL_EMPTY_PEER_CERTIFICATE = 1013
SW_ERROR_SSL_VERIFY_FAILED = 1014
SW_ERROR_SSL_HANDSHAKE_FAILED = 1018
SW_ERROR_CLIENT_NO_CONNECTION = 5001
SW_ERROR_SOCKS5_HANDSHAKE_FAILED = 7005
SW_ERROR_HTTP_PROXY_HANDSHAKE_FAILED = 7103
ESTATUS_CONNECT_FAILED = -1

SWOOLE_SSL_TLSv1_2 = 32
SWOOLE_SSL_TLSv1_3 = 64

VERIFY_ENV = "SWOOLE_COMPAT_SSL_VERIFY_PEER"


# --------------------------------------------------------------------------- helpers


async def _hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


async def _tls_info(request: web.Request) -> web.Response:
    """What the server knows about the TLS session of this request."""
    transport = request.transport
    assert transport is not None
    sslobj = transport.get_extra_info("ssl_object")
    peercert = transport.get_extra_info("peercert")
    subject = None
    if peercert:
        subject = {key: value for rdn in peercert.get("subject", ()) for key, value in rdn}
    return web.json_response(
        {
            "version": sslobj.version() if sslobj else None,
            "cipher": sslobj.cipher()[0] if sslobj else None,
            "client_subject": subject,
        }
    )


ROUTES = [web.get("/", _hello), web.get("/tls", _tls_info)]


async def _tls_server(http_server: Any, context: ssl.SSLContext, **options: Any) -> Any:
    return await http_server(routes=ROUTES, ssl=context, **options)


def _assert_connect_failed(cli: Client, code: int) -> None:
    assert cli.statusCode == ESTATUS_CONNECT_FAILED
    assert cli.errCode == code, (cli.errCode, cli.errMsg)
    assert cli.connected is False


def _free_port(host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True)
def _no_verify_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts without the verify-by-default switch (tests set it when they need it)."""
    monkeypatch.delenv(VERIFY_ENV, raising=False)


# --------------------------------------------------------------------------- verification


async def test_verify_peer_with_ca_file(http_server: Any, tls_server_context: ssl.SSLContext, ca_file: str) -> None:
    srv = await _tls_server(http_server, tls_server_context)
    cli = Client("localhost", srv.port, True)
    cli.set({"ssl_verify_peer": True, "ssl_cafile": ca_file, "timeout": 5})
    assert await cli.get("/") is True, (cli.errCode, cli.errMsg)
    assert (cli.statusCode, cli.errCode, cli.errMsg, cli.body) == (200, 0, "", b"hello")
    cli.close()


async def test_verify_peer_with_ca_path(
    http_server: Any, tls_server_context: ssl.SSLContext, tls: TlsMaterial, tmp_path: Any
) -> None:
    # ssl_capath: a hashed directory of trust anchors (c_rehash layout).
    cert = x509.load_pem_x509_certificate(tls.ca.cert_pem.bytes())
    name_hash = _openssl_subject_hash(cert)
    (tmp_path / f"{name_hash}.0").write_bytes(tls.ca.cert_pem.bytes())
    srv = await _tls_server(http_server, tls_server_context)
    cli = Client("localhost", srv.port, True)
    cli.set({"ssl_verify_peer": True, "ssl_capath": str(tmp_path), "timeout": 5})
    assert await cli.get("/") is True, (cli.errCode, cli.errMsg)
    cli.close()


def _openssl_subject_hash(cert: x509.Certificate) -> str:
    """OpenSSL's ``X509_subject_name_hash`` (the ``c_rehash`` file name of a CA directory).

    No Python API exposes it; like OpenSSL: the first 4 bytes (little endian) of the SHA-1 of the
    canonical DER encoding of the subject. Checked against ``openssl x509 -hash``.
    """
    digest = hashlib.sha1(_canonical_name_der(cert.subject)).digest()
    return f"{int.from_bytes(digest[:4], 'little'):08x}"


def _canonical_name_der(name: x509.Name) -> bytes:
    """OpenSSL's canonical encoding of a Name: each RDN set, values lower-cased UTF8String."""

    def der_len(n: int) -> bytes:
        if n < 0x80:
            return bytes([n])
        body = n.to_bytes((n.bit_length() + 7) // 8, "big")
        return bytes([0x80 | len(body)]) + body

    def tlv(tag: int, body: bytes) -> bytes:
        return bytes([tag]) + der_len(len(body)) + body

    def oid_der(dotted: str) -> bytes:
        parts = [int(p) for p in dotted.split(".")]
        body = bytearray([parts[0] * 40 + parts[1]])
        for value in parts[2:]:
            chunk = [value & 0x7F]
            value >>= 7
            while value:
                chunk.append(0x80 | (value & 0x7F))
                value >>= 7
            body += bytes(reversed(chunk))
        return tlv(0x06, bytes(body))

    out = b""
    for rdn in name.rdns:
        atvs = b""
        for attr in rdn:
            value = " ".join(str(attr.value).split()).lower().encode()
            atvs += tlv(0x30, oid_der(attr.oid.dotted_string) + tlv(0x0C, value))
        out += tlv(0x31, atvs)
    return out


async def test_wrong_ca_fails_1014(http_server: Any, tls_server_context: ssl.SSLContext, tls: TlsMaterial) -> None:
    srv = await _tls_server(http_server, tls_server_context)
    cli = Client("localhost", srv.port, True)
    cli.set({"ssl_verify_peer": True, "ssl_cafile": tls.other_ca_file, "timeout": 5})
    assert await cli.get("/") is False
    _assert_connect_failed(cli, SW_ERROR_SSL_VERIFY_FAILED)
    assert cli.errMsg == "SSL verify failed"
    assert srv.requests == []


async def test_no_verification_by_default(http_server: Any, self_signed_context: ssl.SSLContext) -> None:
    # ssl_verify_peer defaults to False: an untrusted self-signed server is accepted.
    srv = await _tls_server(http_server, self_signed_context)
    cli = Client("localhost", srv.port, True)
    cli.set({"timeout": 5})
    assert await cli.get("/") is True
    assert cli.body == b"hello"
    cli.close()


@pytest.mark.parametrize("allow", [False, True])
async def test_self_signed_leaf(http_server: Any, self_signed_context: ssl.SSLContext, allow: bool) -> None:
    srv = await _tls_server(http_server, self_signed_context)
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({"ssl_verify_peer": True, "ssl_allow_self_signed": allow, "timeout": 5})
    result = await cli.get("/")
    if allow:
        assert result is True, (cli.errCode, cli.errMsg)
        assert (cli.statusCode, cli.body) == (200, b"hello")
        assert cli.getPeerCert() is not False
        cli.close()
    else:
        assert result is False
        _assert_connect_failed(cli, SW_ERROR_SSL_VERIFY_FAILED)
        assert srv.requests == []


async def test_allow_self_signed_does_not_forgive_untrusted_ca(
    http_server: Any, tls: TlsMaterial, tmp_path: Any
) -> None:
    # A leaf signed by an unknown CA fails with "unable to get local issuer" (error 20), not
    # "self-signed leaf" (18): ssl_allow_self_signed must not help.
    leaf = tls.other_ca.issue_cert("localhost", "127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    leaf.configure_cert(context)
    srv = await _tls_server(http_server, context)
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({"ssl_verify_peer": True, "ssl_allow_self_signed": True, "timeout": 5})
    assert await cli.get("/") is False
    _assert_connect_failed(cli, SW_ERROR_SSL_VERIFY_FAILED)
    assert srv.requests == []


async def test_allow_self_signed_does_not_forgive_a_self_signed_ca_in_chain(
    http_server: Any, tls: TlsMaterial
) -> None:
    # The untrusted CA sends its own (self-signed) certificate along: the self-signed one is at
    # depth 1 (error 19), which is not forgiven either.
    leaf = tls.other_ca.issue_cert("localhost", "127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    leaf.configure_cert(context)
    chain = b"".join(pem.bytes() for pem in leaf.cert_chain_pems) + tls.other_ca.cert_pem.bytes()
    chain_file = tls.directory / "other-leaf-with-ca.pem"
    chain_file.write_bytes(chain)
    key_file = tls.directory / "other-leaf.key"
    key_file.write_bytes(leaf.private_key_pem.bytes())
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(chain_file), str(key_file))
    srv = await _tls_server(http_server, context)
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({"ssl_verify_peer": True, "ssl_allow_self_signed": True, "timeout": 5})
    assert await cli.get("/") is False
    _assert_connect_failed(cli, SW_ERROR_SSL_VERIFY_FAILED)


# --------------------------------------------------------------------------- host name check


async def test_hostname_not_checked_without_ssl_host_name(http_server: Any, tls: TlsMaterial, ca_file: str) -> None:
    # The certificate names only www.example.test; the client connects to 127.0.0.1 with full
    # chain verification but no ssl_host_name: Swoole runs no host check, so this succeeds.
    srv = await _tls_server(http_server, tls.issue_server_context("www.example.test"))
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({"ssl_verify_peer": True, "ssl_cafile": ca_file, "timeout": 5})
    assert await cli.get("/") is True, (cli.errCode, cli.errMsg)
    cli.close()
    # Same for a DNS host name that does not match the certificate.
    cli = Client("localhost", srv.port, True)
    cli.set({"ssl_verify_peer": True, "ssl_cafile": ca_file, "timeout": 5})
    assert await cli.get("/") is True, (cli.errCode, cli.errMsg)
    cli.close()


@pytest.mark.parametrize(
    ("name", "ok"),
    [("www.example.test", True), ("WWW.Example.Test", True), ("other.example.test", False), ("example.test", False)],
)
async def test_hostname_checked_with_ssl_host_name(
    http_server: Any, tls: TlsMaterial, ca_file: str, name: str, ok: bool
) -> None:
    srv = await _tls_server(http_server, tls.issue_server_context("www.example.test"))
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({"ssl_verify_peer": True, "ssl_cafile": ca_file, "ssl_host_name": name, "timeout": 5})
    result = await cli.get("/")
    if ok:
        assert result is True, (cli.errCode, cli.errMsg)
        cli.close()
    else:
        assert result is False
        _assert_connect_failed(cli, SW_ERROR_SSL_VERIFY_FAILED)
        assert srv.requests == []


async def test_hostname_wildcard_certificate(http_server: Any, tls: TlsMaterial, ca_file: str) -> None:
    srv = await _tls_server(http_server, tls.issue_server_context("*.example.test"))
    for name, ok in (("a.example.test", True), ("a.b.example.test", False)):
        cli = Client("127.0.0.1", srv.port, True)
        cli.set({"ssl_verify_peer": True, "ssl_cafile": ca_file, "ssl_host_name": name, "timeout": 5})
        assert await cli.get("/") is ok, (name, cli.errCode)
        if not ok:
            _assert_connect_failed(cli, SW_ERROR_SSL_VERIFY_FAILED)
        cli.close()


@pytest.mark.parametrize(("name", "ok"), [("localhost", True), ("127.0.0.1", True), ("wrong.example.test", False)])
async def test_hostname_checked_for_forgiven_self_signed_leaf(
    http_server: Any, self_signed_context: ssl.SSLContext, name: str, ok: bool
) -> None:
    # ssl_allow_self_signed forgives the chain, not the host name (Socket::ssl_verify). An IP
    # literal is matched against IP-address SANs (docs/deviations.md S8).
    srv = await _tls_server(http_server, self_signed_context)
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({"ssl_verify_peer": True, "ssl_allow_self_signed": True, "ssl_host_name": name, "timeout": 5})
    result = await cli.get("/")
    if ok:
        assert result is True, (cli.errCode, cli.errMsg)
        cli.close()
    else:
        assert result is False
        _assert_connect_failed(cli, SW_ERROR_SSL_VERIFY_FAILED)
        assert srv.requests == []


# --------------------------------------------------------------------------- SNI


@pytest.mark.parametrize(
    ("host", "options", "expected"),
    [
        ("localhost", {}, "localhost"),
        ("127.0.0.1", {}, None),
        ("localhost", {"ssl_host_name": "sni.example.test"}, "sni.example.test"),
        ("127.0.0.1", {"ssl_host_name": "sni.example.test"}, "sni.example.test"),
        ("localhost", {"ssl_host_name": ""}, None),
    ],
    ids=["host-name", "ipv4-literal", "option-over-name", "option-over-literal", "empty-option-disables"],
)
async def test_sni(
    http_server: Any, sni_recorder: SniRecorder, host: str, options: dict[str, Any], expected: str | None
) -> None:
    srv = await _tls_server(http_server, sni_recorder.context)
    cli = Client(host, srv.port, True)
    cli.set({"timeout": 5, **options})
    assert await cli.get("/") is True, (cli.errCode, cli.errMsg)
    assert sni_recorder.names == [expected]
    cli.close()


async def test_sni_ipv6_literal(http_server: Any, sni_recorder: SniRecorder, ipv6_host: str) -> None:
    srv = await _tls_server(http_server, sni_recorder.context, host=ipv6_host)
    cli = Client(ipv6_host, srv.port, True)
    cli.set({"timeout": 5})
    assert await cli.get("/") is True, (cli.errCode, cli.errMsg)
    assert sni_recorder.names == [None]
    cli.close()


# --------------------------------------------------------------------------- client certificates


async def test_client_certificate_required(http_server: Any, tls: TlsMaterial) -> None:
    srv = await _tls_server(http_server, tls.server_context(require_client_cert=True))
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({"ssl_cert_file": tls.client_cert_file, "ssl_key_file": tls.client_key_file, "timeout": 5})
    assert await cli.get("/tls") is True, (cli.errCode, cli.errMsg)
    assert json.loads(cli.body)["client_subject"]["commonName"] == "swoole-test-client"
    cli.close()


async def test_client_certificate_encrypted_key(http_server: Any, tls: TlsMaterial) -> None:
    srv = await _tls_server(http_server, tls.server_context(require_client_cert=True))
    cli = Client("127.0.0.1", srv.port, True)
    cli.set(
        {
            "ssl_cert_file": tls.client_cert_file,
            "ssl_key_file": tls.client_key_encrypted_file,
            "ssl_passphrase": tls.client_key_passphrase,
            "timeout": 5,
        }
    )
    assert await cli.get("/tls") is True, (cli.errCode, cli.errMsg)
    assert json.loads(cli.body)["client_subject"]["commonName"] == "swoole-test-client"
    cli.close()


@pytest.mark.expect_swoole_warnings("SSLContext::create")
@pytest.mark.parametrize("passphrase", [None, "wrong-passphrase"])
async def test_client_certificate_encrypted_key_bad_passphrase(
    http_server: Any, tls: TlsMaterial, passphrase: str | None, swoole_log: Any
) -> None:
    # The key cannot be loaded: the TLS context is not created, the connect fails with 1018
    # (and, without a passphrase, nothing ever prompts on a terminal).
    srv = await _tls_server(http_server, tls.server_context(require_client_cert=True))
    cli = Client("127.0.0.1", srv.port, True)
    options: dict[str, Any] = {
        "ssl_cert_file": tls.client_cert_file,
        "ssl_key_file": tls.client_key_encrypted_file,
        "timeout": 5,
    }
    if passphrase is not None:
        options["ssl_passphrase"] = passphrase
    cli.set(options)
    assert await cli.get("/tls") is False
    _assert_connect_failed(cli, SW_ERROR_SSL_HANDSHAKE_FAILED)
    assert any("SSLContext::create" in m for m in swoole_log.messages())
    assert srv.requests == []


async def test_client_certificate_missing_is_refused_by_server(http_server: Any, tls: TlsMaterial) -> None:
    srv = await _tls_server(http_server, tls.server_context(require_client_cert=True))
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({"timeout": 5})
    # Under TLS 1.3 the refusal (a "certificate required" alert) arrives after the client's side
    # of the handshake finished, so it may surface at connect (-1) or while reading (-3).
    assert await cli.get("/tls") is False
    assert cli.statusCode in (-1, -3)
    assert cli.errCode != 0
    assert srv.requests == []


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("cert", "ssl cert file[{missing}] not found"),
        ("key", "ssl key file[{missing}] not found"),
        ("cert-only", "ssl require key file"),
        # key-only fails the connect: test_tls_proxy_issue15.py
    ],
)
async def test_client_certificate_file_warnings(
    http_server: Any, tls_server_context: ssl.SSLContext, tls: TlsMaterial, tmp_path: Any, which: str, message: str
) -> None:
    missing = str(tmp_path / "does-not-exist.pem")
    options = {
        "cert": {"ssl_cert_file": missing, "ssl_key_file": tls.client_key_file},
        "key": {"ssl_cert_file": tls.client_cert_file, "ssl_key_file": missing},
        "cert-only": {"ssl_cert_file": tls.client_cert_file},
        "key-only": {"ssl_key_file": tls.client_key_file},
    }[which]
    srv = await _tls_server(http_server, tls_server_context)
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({"timeout": 5, **options})
    with pytest.warns(SwooleWarning) as caught:
        result = await cli.get("/")
    texts = [str(w.message) for w in caught if issubclass(w.category, SwooleWarning)]
    expected = message.format(missing=missing)
    assert len(texts) == 1, texts
    assert texts[0].startswith("Swoole\\Coroutine\\Http\\Client::")
    assert texts[0].endswith("(): " + expected)
    # The server does not ask for a client certificate: the request still succeeds.
    assert result is True, (cli.errCode, cli.errMsg)
    cli.close()


async def test_missing_cert_file_keeps_verification(
    http_server: Any, tls_server_context: ssl.SSLContext, tls: TlsMaterial, tmp_path: Any
) -> None:
    # Upstream stops applying the remaining ssl_* options after this warning (so verification
    # silently turns off); the port keeps verifying (docs/deviations.md S5).
    srv = await _tls_server(http_server, tls_server_context)
    cli = Client("localhost", srv.port, True)
    cli.set(
        {
            "ssl_cert_file": str(tmp_path / "missing.pem"),
            "ssl_key_file": tls.client_key_file,
            "ssl_verify_peer": True,
            "ssl_cafile": tls.other_ca_file,
            "timeout": 5,
        }
    )
    with pytest.warns(SwooleWarning, match=r"ssl cert file\[.*missing\.pem\] not found"):
        assert await cli.get("/") is False
    _assert_connect_failed(cli, SW_ERROR_SSL_VERIFY_FAILED)


# --------------------------------------------------------------------------- protocols and ciphers


def _tls13_only(tls: TlsMaterial) -> ssl.SSLContext:
    context = tls.server_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    return context


def _tls12_only(tls: TlsMaterial) -> ssl.SSLContext:
    context = tls.server_context()
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    return context


async def test_ssl_protocols_tls12_only_against_tls13_server(http_server: Any, tls: TlsMaterial) -> None:
    srv = await _tls_server(http_server, _tls13_only(tls))
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({"ssl_protocols": SWOOLE_SSL_TLSv1_2, "timeout": 5})
    assert await cli.get("/") is False
    _assert_connect_failed(cli, SW_ERROR_SSL_HANDSHAKE_FAILED)
    assert cli.errMsg == "SSL handshake failed"


@pytest.mark.parametrize(
    ("mask", "server", "version"),
    [
        (SWOOLE_SSL_TLSv1_3, "tls13", "TLSv1.3"),
        (SWOOLE_SSL_TLSv1_2, "any", "TLSv1.2"),
        (SWOOLE_SSL_TLSv1_2 | SWOOLE_SSL_TLSv1_3, "tls12", "TLSv1.2"),
        (0, "any", "TLSv1.3"),  # 0 means every protocol
    ],
)
async def test_ssl_protocols_negotiated(http_server: Any, tls: TlsMaterial, mask: int, server: str, version: str) -> None:
    context = {"tls13": _tls13_only, "tls12": _tls12_only, "any": lambda t: t.server_context()}[server](tls)
    srv = await _tls_server(http_server, context)
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({"ssl_protocols": mask, "timeout": 5})
    assert await cli.get("/tls") is True, (cli.errCode, cli.errMsg)
    assert json.loads(cli.body)["version"] == version
    cli.close()


async def test_ssl_ciphers(http_server: Any, tls: TlsMaterial) -> None:
    # The test leaf has an ECDSA key; TLS 1.2 so that the cipher list applies.
    srv = await _tls_server(http_server, _tls12_only(tls))
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({"ssl_ciphers": "ECDHE-ECDSA-AES256-GCM-SHA384", "timeout": 5})
    assert await cli.get("/tls") is True, (cli.errCode, cli.errMsg)
    assert json.loads(cli.body)["cipher"] == "ECDHE-ECDSA-AES256-GCM-SHA384"
    cli.close()

    # Only RSA suites offered to an ECDSA server: no shared cipher, the handshake fails.
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({"ssl_ciphers": "ECDHE-RSA-AES128-GCM-SHA256", "ssl_protocols": SWOOLE_SSL_TLSv1_2, "timeout": 5})
    assert await cli.get("/tls") is False
    _assert_connect_failed(cli, SW_ERROR_SSL_HANDSHAKE_FAILED)


@pytest.mark.expect_swoole_warnings("SSLContext::create")
async def test_ssl_ciphers_invalid(http_server: Any, tls_server_context: ssl.SSLContext, swoole_log: Any) -> None:
    srv = await _tls_server(http_server, tls_server_context)
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({"ssl_ciphers": "NO-SUCH-CIPHER", "timeout": 5})
    assert await cli.get("/") is False
    _assert_connect_failed(cli, SW_ERROR_SSL_HANDSHAKE_FAILED)
    assert [m for m in swoole_log.messages() if "SSLContext::create" in m]
    assert srv.connections == 0


# --------------------------------------------------------------------------- handshake failures


async def test_tls_to_plain_http_port(http_server: Any) -> None:
    srv = await http_server(routes=ROUTES)
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({"timeout": 5})
    assert await cli.get("/") is False
    _assert_connect_failed(cli, SW_ERROR_SSL_HANDSHAKE_FAILED)
    assert cli.errMsg == "SSL handshake failed"


async def test_tls_peer_closes_during_handshake(raw_server: Any) -> None:
    async def read_then_close(reader: Any, writer: Any) -> None:
        await reader.read(65536)  # the ClientHello
        close_writer(writer)

    srv = await raw_server(read_then_close)
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({"timeout": 5})
    assert await cli.get("/") is False
    _assert_connect_failed(cli, SW_ERROR_SSL_HANDSHAKE_FAILED)


@pytest.mark.parametrize("option", ["timeout", "read_timeout"])
async def test_tls_handshake_timeout(raw_server: Any, option: str) -> None:
    srv = await raw_server(hold)  # accepts, never answers the ClientHello
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({option: 0.3})
    started = time.monotonic()
    assert await cli.get("/") is False
    elapsed = time.monotonic() - started
    _assert_connect_failed(cli, ETIMEDOUT)
    assert cli.errMsg == "Connection timed out"
    assert 0.25 <= elapsed < 3.0


# --------------------------------------------------------------------------- getPeerCert


async def test_get_peer_cert(http_server: Any, tls_server_context: ssl.SSLContext, tls: TlsMaterial) -> None:
    cli = Client("localhost", 1, True)
    assert cli.getPeerCert() is False  # never connected
    assert cli.errCode == SW_ERROR_CLIENT_NO_CONNECTION
    assert cli.errMsg == "Client no connection"

    srv = await _tls_server(http_server, tls_server_context)
    cli = Client("localhost", srv.port, True)
    cli.set({"timeout": 5})  # no verification: the certificate is still available
    assert await cli.get("/") is True
    pem = cli.getPeerCert()
    assert isinstance(pem, str)
    assert pem.startswith("-----BEGIN CERTIFICATE-----\n")
    assert pem.rstrip("\n").endswith("-----END CERTIFICATE-----")
    cert = x509.load_pem_x509_certificate(pem.encode())
    expected = x509.load_pem_x509_certificate(tls.server.cert_chain_pems[0].bytes())
    assert cert == expected
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "localhost"
    assert cli.errCode == 0

    cli.close()
    assert cli.getPeerCert() is False
    assert cli.errCode == SW_ERROR_CLIENT_NO_CONNECTION


async def test_get_peer_cert_without_tls(http_server: Any) -> None:
    srv = await http_server(routes=ROUTES)
    cli = Client("127.0.0.1", srv.port)
    assert await cli.get("/") is True
    assert cli.getPeerCert() is False
    assert cli.errCode == SW_ERROR_SSL_EMPTY_PEER_CERTIFICATE
    assert cli.errMsg == "SSL empty peer certificate"
    assert cli.statusCode == 200  # unchanged
    cli.close()


# --------------------------------------------------------------------------- SWOOLE_COMPAT_SSL_VERIFY_PEER


async def test_env_switch_makes_verification_the_default(
    http_server: Any, self_signed_context: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    srv = await _tls_server(http_server, self_signed_context)
    monkeypatch.setenv(VERIFY_ENV, "1")
    cli = Client("localhost", srv.port, True)
    cli.set({"timeout": 5})
    assert await cli.get("/") is False
    _assert_connect_failed(cli, SW_ERROR_SSL_VERIFY_FAILED)

    # An explicit ssl_verify_peer False still wins over the environment.
    cli = Client("localhost", srv.port, True)
    cli.set({"timeout": 5, "ssl_verify_peer": False})
    assert await cli.get("/") is True, (cli.errCode, cli.errMsg)
    assert cli.body == b"hello"
    cli.close()


async def test_env_switch_with_trusted_ca(
    http_server: Any, tls_server_context: ssl.SSLContext, ca_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    srv = await _tls_server(http_server, tls_server_context)
    monkeypatch.setenv(VERIFY_ENV, "1")
    cli = Client("localhost", srv.port, True)
    cli.set({"timeout": 5, "ssl_cafile": ca_file})
    assert await cli.get("/") is True, (cli.errCode, cli.errMsg)
    cli.close()


@pytest.mark.parametrize("value", ["", "0", "no"])
async def test_env_switch_off_values(
    http_server: Any, self_signed_context: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    srv = await _tls_server(http_server, self_signed_context)
    monkeypatch.setenv(VERIFY_ENV, value)
    cli = Client("localhost", srv.port, True)
    cli.set({"timeout": 5})
    assert await cli.get("/") is True, (value, cli.errCode, cli.errMsg)
    cli.close()


# --------------------------------------------------------------------------- HTTP proxy: plain targets


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def _backend(http_server: Any) -> Any:
    async def echo(request: web.Request) -> web.Response:
        return web.Response(text=f"{request.method} {request.raw_path} host={request.headers.get('Host')}")

    return await http_server(routes=[web.get("/{tail:.*}", echo)])


async def test_http_proxy_plain_target_absolute_form(http_server: Any, connect_proxy: Any) -> None:
    # client.md §8.4, first observed dump (example.org renamed to the reserved example.test).
    backend = await _backend(http_server)
    proxy = await connect_proxy(credentials=("u", "p"), resolve={"example.test:8080": ("127.0.0.1", backend.port)})
    cli = Client("example.test", 8080)
    cli.set(
        {
            "timeout": 5,
            "http_proxy_host": "127.0.0.1",
            "http_proxy_port": proxy.port,
            "http_proxy_username": "u",
            "http_proxy_password": "p",
        }
    )
    assert await cli.get("/px?q=1") is True, (cli.errCode, cli.errMsg)
    assert cli.body == b"GET /px?q=1 host=example.test:8080"
    assert await cli.get("/second") is True  # kept alive: same proxy connection
    assert [r.head for r in proxy.requests] == [
        b"GET http://example.test:8080/px?q=1 HTTP/1.1\r\nHost: example.test:8080\r\n"
        b"Proxy-Authorization: Basic dTpw\r\nConnection: keep-alive\r\nAccept-Encoding: gzip, deflate, br\r\n\r\n",
        b"GET http://example.test:8080/second HTTP/1.1\r\nHost: example.test:8080\r\n"
        b"Proxy-Authorization: Basic dTpw\r\nConnection: keep-alive\r\nAccept-Encoding: gzip, deflate, br\r\n\r\n",
    ]
    assert [r.conn_index for r in proxy.requests] == [0, 0]
    assert all(r.authorized for r in proxy.requests)
    assert proxy.connects == []
    cli.close()


async def test_http_proxy_plain_target_user_host_header(http_server: Any, connect_proxy: Any) -> None:
    # client.md §8.4, second observed dump: the user Host (with a port) names the target.
    backend = await _backend(http_server)
    proxy = await connect_proxy(resolve={"h.example:81": ("127.0.0.1", backend.port)})
    cli = Client("example.test", 80)
    cli.setHeaders({"Host": "h.example:81"})
    cli.set({"timeout": 5, "http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port})
    assert await cli.get("/py") is True, (cli.errCode, cli.errMsg)
    assert [r.head for r in proxy.requests] == [
        b"GET http://h.example:81/py HTTP/1.1\r\nHost: h.example:81\r\nConnection: keep-alive\r\n"
        b"Accept-Encoding: gzip, deflate, br\r\n\r\n"
    ]
    cli.close()


async def test_http_proxy_plain_target_host_header_without_port(raw_server: Any) -> None:
    # A user Host without ':' gets the client's port appended in the request line only; the
    # user's ``host`` key is written as ``Host`` (§6.3 step 1).
    proxy = await raw_server(respond(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
    cli = Client("127.0.0.1", 8081)
    cli.setHeaders({"host": "named.example"})
    cli.set({"timeout": 5, "http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port})
    assert await cli.get("/a") is True
    assert proxy.requests == [
        b"GET http://named.example:8081/a HTTP/1.1\r\nHost: named.example\r\nConnection: keep-alive\r\n"
        b"Accept-Encoding: gzip, deflate, br\r\n\r\n"
    ]
    cli.close()


async def test_http_proxy_plain_target_ipv6_literal(raw_server: Any) -> None:
    # The constructor host already contains ':' so no port is appended (and the Host header has
    # no brackets, Q16) - both replicated as upstream writes them.
    proxy = await raw_server(respond(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
    cli = Client("::1", 8080)
    cli.set({"timeout": 5, "http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port})
    assert await cli.get("/v6") is True, (cli.errCode, cli.errMsg)
    assert proxy.requests == [
        b"GET http://::1/v6 HTTP/1.1\r\nHost: ::1:8080\r\nConnection: keep-alive\r\n"
        b"Accept-Encoding: gzip, deflate, br\r\n\r\n"
    ]
    # The socket family follows the (IPv4) proxy, not the IPv6 target.
    assert proxy.records[0].peer[0] == "127.0.0.1"
    cli.close()


@pytest.mark.parametrize("user_key", ["http_proxy_username", "http_proxy_user"])
async def test_http_proxy_authorization_needs_user_and_password(raw_server: Any, user_key: str) -> None:
    proxy = await raw_server(respond(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
    cli = Client("127.0.0.1", 8080)
    cli.set({"timeout": 5, "http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port})
    cli.set({user_key: "lonely"})  # warns when the request connects, not here
    with pytest.warns(SwooleWarning, match=r"socks5_password should not be null$"):
        assert await cli.get("/x") is True
    assert b"Proxy-Authorization" not in proxy.requests[-1]

    cli.set({"http_proxy_password": "pw"})
    assert await cli.get("/y") is True
    assert f"Proxy-Authorization: {_basic('lonely', 'pw')}\r\n".encode() in proxy.requests[-1]
    cli.close()


async def test_http_proxy_refused(raw_server: Any) -> None:
    cli = Client("127.0.0.1", 8080)
    cli.set({"timeout": 5, "http_proxy_host": "127.0.0.1", "http_proxy_port": _free_port()})
    assert await cli.get("/") is False
    _assert_connect_failed(cli, errno.ECONNREFUSED)


# --------------------------------------------------------------------------- HTTP proxy: CONNECT


async def test_http_proxy_connect_bytes_with_ssl_host_name(
    http_server: Any, connect_proxy: Any, sni_recorder: SniRecorder, ca_file: str
) -> None:
    srv = await _tls_server(http_server, sni_recorder.context)
    proxy = await connect_proxy(credentials=("puser", "ppass"))
    cli = Client("127.0.0.1", srv.port, True)
    cli.set(
        {
            "timeout": 5,
            "http_proxy_host": "127.0.0.1",
            "http_proxy_port": proxy.port,
            "http_proxy_username": "puser",
            "http_proxy_password": "ppass",
            "ssl_host_name": "localhost",
            "ssl_verify_peer": True,
            "ssl_cafile": ca_file,
        }
    )
    assert await cli.get("/") is True, (cli.errCode, cli.errMsg)
    assert cli.body == b"hello"
    assert [r.head for r in proxy.requests] == [
        f"CONNECT 127.0.0.1:{srv.port} HTTP/1.1\r\n"
        f"Host: localhost:{srv.port}\r\n"
        "User-Agent: Swoole/6.2.1\r\n"
        "Proxy-Connection: Keep-Alive\r\n"
        f"Proxy-Authorization: {_basic('puser', 'ppass')}\r\n"
        "\r\n".encode()
    ]
    assert sni_recorder.names == ["localhost"]
    # Inside the tunnel: origin form, no proxy credentials, Host per §6.3.
    inner = srv.requests[0]
    assert inner.target == "/"
    assert inner.header("Proxy-Authorization") is None
    assert inner.header("Host") == f"127.0.0.1:{srv.port}"
    assert await cli.get("/tls") is True  # the tunnel is kept alive
    assert len(proxy.requests) == 1
    cli.close()


async def test_http_proxy_connect_ip_literal_sends_no_sni(
    http_server: Any, connect_proxy: Any, sni_recorder: SniRecorder
) -> None:
    srv = await _tls_server(http_server, sni_recorder.context)
    proxy = await connect_proxy()
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({"timeout": 5, "http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port})
    assert await cli.get("/") is True, (cli.errCode, cli.errMsg)
    assert proxy.requests[0].head.startswith(
        f"CONNECT 127.0.0.1:{srv.port} HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n".encode()
    )
    assert sni_recorder.names == [None]
    cli.close()


async def test_http_proxy_open_ssl_uses_connect(
    http_server: Any, connect_proxy: Any, tls_server_context: ssl.SSLContext
) -> None:
    # ``open_ssl`` turns TLS on for the socket: a CONNECT tunnel and an origin-form request
    # (upstream tests socket->ssl_is_enable(), not the constructor flag).
    srv = await _tls_server(http_server, tls_server_context)
    proxy = await connect_proxy()
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 5, "open_ssl": True, "http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port})
    assert await cli.get("/") is True, (cli.errCode, cli.errMsg)
    assert [r.method for r in proxy.requests] == ["CONNECT"]
    assert srv.requests[0].target == "/"
    assert cli.getPeerCert() is not False
    cli.close()


CONNECT_FAILURES = {
    "garbage": script(read_head(), send(b"garbage\r\n\r\n")),
    "forbidden": script(read_head(), send(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")),
    "http2": script(read_head(), send(b"HTTP/2 200 Connection established\r\n\r\n")),
    "closing": close_without_reply,
    "closing-mid-head": script(read_head(), send(b"HTTP/1.1 200 Connection established\r\n")),
}


@pytest.mark.parametrize("case", sorted(CONNECT_FAILURES))
async def test_http_proxy_connect_failures(raw_server: Any, case: str) -> None:
    proxy = await raw_server(CONNECT_FAILURES[case])
    cli = Client("localhost", 443, True)
    cli.set({"timeout": 5, "http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port})
    assert await cli.get("/") is False
    _assert_connect_failed(cli, SW_ERROR_HTTP_PROXY_HANDSHAKE_FAILED)
    assert cli.errMsg == "Http proxy handshake failed"
    assert proxy.requests[0].startswith(b"CONNECT localhost:443 HTTP/1.1\r\n")


async def test_http_proxy_connect_407(http_server: Any, connect_proxy: Any, tls_server_context: ssl.SSLContext) -> None:
    srv = await _tls_server(http_server, tls_server_context)
    proxy = await connect_proxy(credentials=("u", "p"))
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({"timeout": 5, "http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port})
    assert await cli.get("/") is False
    _assert_connect_failed(cli, SW_ERROR_HTTP_PROXY_HANDSHAKE_FAILED)
    assert [(r.status, r.authorized) for r in proxy.requests] == [(407, False)]
    assert srv.connections == 0


async def test_http_proxy_connect_timeout(raw_server: Any) -> None:
    # Socket::connect reports any proxy negotiation failure, a timeout included, as 7103.
    proxy = await raw_server(hold)
    cli = Client("localhost", 443, True)
    cli.set({"timeout": 0.3, "http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port})
    started = time.monotonic()
    assert await cli.get("/") is False
    assert time.monotonic() - started < 3.0
    _assert_connect_failed(cli, SW_ERROR_HTTP_PROXY_HANDSHAKE_FAILED)


@pytest.mark.parametrize(
    "reply",
    [
        b"HTTP/1.0 200 Connection established\r\nProxy-agent: test\r\n\r\n",
        b"http/1.1 200 connection established\r\n\r\n",  # the version is matched case-insensitively
        b"HTTP/1.1 \t200 Whatever, whatever, whatever\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-Padding: 0123456789abcdef\r\n\r\n",  # >= 37 bytes in all
    ],
)
async def test_http_proxy_connect_replies_accepted(
    http_server: Any, connect_proxy: Any, tls_server_context: ssl.SSLContext, reply: bytes
) -> None:
    srv = await _tls_server(http_server, tls_server_context)
    proxy = await connect_proxy(connect_reply=reply)
    cli = Client("127.0.0.1", srv.port, True)
    cli.set({"timeout": 5, "http_proxy_host": "127.0.0.1", "http_proxy_port": proxy.port})
    assert await cli.get("/") is True, (cli.errCode, cli.errMsg)
    assert cli.body == b"hello"
    cli.close()


async def test_socks5_takes_precedence_over_http_proxy(http_server: Any, socks5_proxy: Any, raw_server: Any) -> None:
    backend = await _backend(http_server)
    socks = await socks5_proxy()
    http_proxy = await raw_server(hold)
    cli = Client("127.0.0.1", backend.port)
    cli.set(
        {
            "timeout": 5,
            "socks5_host": "127.0.0.1",
            "socks5_port": socks.port,
            "http_proxy_host": "127.0.0.1",
            "http_proxy_port": http_proxy.port,
        }
    )
    assert await cli.get("/p") is True, (cli.errCode, cli.errMsg)
    assert cli.body == f"GET /p host=127.0.0.1:{backend.port}".encode()  # origin form, no proxy URI
    assert http_proxy.connections == 0
    assert len(socks.handshakes) == 1
    cli.close()


# --------------------------------------------------------------------------- SOCKS5


async def test_socks5_no_auth_ip_literal_sent_as_name(http_server: Any, socks5_proxy: Any) -> None:
    backend = await _backend(http_server)
    socks = await socks5_proxy()
    cli = Client("127.0.0.1", backend.port)
    cli.set({"timeout": 5, "socks5_host": "127.0.0.1", "socks5_port": socks.port})
    assert await cli.get("/s") is True, (cli.errCode, cli.errMsg)
    assert cli.body == f"GET /s host=127.0.0.1:{backend.port}".encode()
    [record] = socks.handshakes
    assert record.greeting == b"\x05\x01\x00"
    assert record.auth == b""
    # ATYP 3 (domain name) even for an IP literal: Swoole always lets the proxy resolve.
    assert record.request == b"\x05\x01\x00\x03\x09127.0.0.1" + backend.port.to_bytes(2, "big")
    assert (record.cmd, record.atyp, record.dst_host, record.dst_port) == (1, 3, "127.0.0.1", backend.port)
    assert backend.requests[0].peer[0] == "127.0.0.1"
    assert await cli.get("/again") is True  # same tunnel
    assert len(socks.handshakes) == 1
    cli.close()


async def test_socks5_user_password_bytes(http_server: Any, socks5_proxy: Any) -> None:
    backend = await _backend(http_server)
    socks = await socks5_proxy(credentials=("user-1", "pa55:word"), resolve={"svc.internal": "127.0.0.1"})
    cli = Client("svc.internal", backend.port)
    cli.set(
        {
            "timeout": 5,
            "socks5_host": "127.0.0.1",
            "socks5_port": socks.port,
            "socks5_username": "user-1",
            "socks5_password": "pa55:word",
        }
    )
    # The proxy resolves the name; the client never does (svc.internal does not exist).
    assert await cli.get("/u") is True, (cli.errCode, cli.errMsg)
    [record] = socks.handshakes
    assert record.greeting == b"\x05\x01\x02"
    assert record.auth == b"\x01\x06user-1\x09pa55:word"
    assert record.request == b"\x05\x01\x00\x03\x0csvc.internal" + backend.port.to_bytes(2, "big")
    cli.close()


async def test_socks5_username_without_password(http_server: Any, socks5_proxy: Any) -> None:
    backend = await _backend(http_server)
    socks = await socks5_proxy()
    cli = Client("127.0.0.1", backend.port)
    cli.set({"timeout": 5, "socks5_host": "127.0.0.1", "socks5_port": socks.port, "socks5_username": "u"})
    with pytest.warns(SwooleWarning, match=r"socks5_password should not be null$"):
        assert await cli.get("/") is True, (cli.errCode, cli.errMsg)
    assert socks.handshakes[0].greeting == b"\x05\x01\x00"  # no credentials offered
    cli.close()


SOCKS5_FAILURES: dict[str, dict[str, Any]] = {
    "wrong-password": {"credentials": ("u", "right")},
    "no-acceptable-method": {"method_reply": 0xFF},
    "auth-refused": {"auth_reply": 0x01},
    "general-failure": {"connect_reply": 0x01},
    "connection-refused": {"connect_reply": 0x05},
    "target-not-allowed": {},  # a non-loopback target is refused by the fixture (reply 0x04)
}


@pytest.mark.parametrize("case", sorted(SOCKS5_FAILURES))
async def test_socks5_failures(socks5_proxy: Any, case: str) -> None:
    socks = await socks5_proxy(**SOCKS5_FAILURES[case])
    host = "192.0.2.1" if case == "target-not-allowed" else "127.0.0.1"
    cli = Client(host, 80)
    options: dict[str, Any] = {"timeout": 5, "socks5_host": "127.0.0.1", "socks5_port": socks.port}
    if case in ("wrong-password", "auth-refused"):
        options.update(socks5_username="u", socks5_password="wrong")
    cli.set(options)
    assert await cli.get("/") is False
    _assert_connect_failed(cli, SW_ERROR_SOCKS5_HANDSHAKE_FAILED)
    assert cli.errMsg == "Socks5 handshake failed"
    assert len(socks.handshakes) == 1


async def test_socks5_garbage_and_timeout(raw_server: Any) -> None:
    bad_version = await raw_server(script(sleep(0.01), send(b"\x04\x00")))
    cli = Client("127.0.0.1", 80)
    cli.set({"timeout": 5, "socks5_host": "127.0.0.1", "socks5_port": bad_version.port})
    assert await cli.get("/") is False
    _assert_connect_failed(cli, SW_ERROR_SOCKS5_HANDSHAKE_FAILED)

    silent = await raw_server(hold)
    cli = Client("127.0.0.1", 80)
    cli.set({"timeout": 0.3, "socks5_host": "127.0.0.1", "socks5_port": silent.port})
    started = time.monotonic()
    assert await cli.get("/") is False
    assert time.monotonic() - started < 3.0
    _assert_connect_failed(cli, SW_ERROR_SOCKS5_HANDSHAKE_FAILED)
    assert silent.received(0) == b"\x05\x01\x00"


async def test_socks5_tls_target_sni_and_verification(
    http_server: Any, socks5_proxy: Any, sni_recorder: SniRecorder, ca_file: str
) -> None:
    srv = await _tls_server(http_server, sni_recorder.context)
    socks = await socks5_proxy(resolve={"localhost": "127.0.0.1"})
    cli = Client("localhost", srv.port, True)
    cli.set(
        {
            "timeout": 5,
            "socks5_host": "127.0.0.1",
            "socks5_port": socks.port,
            "ssl_verify_peer": True,
            "ssl_cafile": ca_file,
            "ssl_host_name": "localhost",
        }
    )
    assert await cli.get("/") is True, (cli.errCode, cli.errMsg)
    assert sni_recorder.names == ["localhost"]
    assert socks.handshakes[0].dst_host == "localhost"
    cli.close()

    cli = Client("localhost", srv.port, True)
    cli.set({"timeout": 5, "socks5_host": "127.0.0.1", "socks5_port": socks.port, "ssl_verify_peer": True,
             "ssl_cafile": ca_file, "ssl_host_name": "not-localhost.test"})
    assert await cli.get("/") is False
    _assert_connect_failed(cli, SW_ERROR_SSL_VERIFY_FAILED)


# --------------------------------------------------------------------------- UNIX hosts


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"socks5_host": "127.0.0.1", "socks5_port": 1080}, "Only tcp socket supports socks5 proxy settings"),
        ({"http_proxy_host": "127.0.0.1", "http_proxy_port": 8080}, "Only tcp socket supports http proxy settings"),
    ],
)
async def test_proxy_options_on_unix_host(unix_path: str, options: dict[str, Any], message: str) -> None:
    cli = Client("unix:" + unix_path)
    assert cli.set(options) is True
    with pytest.raises(SwooleException) as info:
        await cli.get("/")
    assert info.value.code == SW_ERROR_OPERATION_NOT_SUPPORT
    assert info.value.message == message
    assert cli.connected is False


# --------------------------------------------------------------------------- IPv6 and bind


async def test_ipv6_literal_host(http_server: Any, ipv6_host: str) -> None:
    srv = await http_server(routes=ROUTES, host=ipv6_host)
    cli = Client(ipv6_host, srv.port)
    cli.set({"timeout": 5})
    assert await cli.get("/") is True, (cli.errCode, cli.errMsg)
    assert cli.body == b"hello"
    assert srv.requests[0].header("Host") == f"::1:{srv.port}"  # no brackets (Q16)
    assert srv.requests[0].peer[0] == "::1"
    assert cli.getpeername() == {"address": "::1", "port": srv.port}
    sock = cli.getsockname()
    assert isinstance(sock, dict) and sock["address"] == "::1"
    cli.close()


async def test_ipv6_literal_against_ipv4_only_server(http_server: Any, ipv6_host: str) -> None:
    srv = await http_server(routes=ROUTES)  # 127.0.0.1 only
    port = srv.port
    cli = Client(ipv6_host, port)
    cli.set({"timeout": 5})
    assert await cli.get("/") is False
    _assert_connect_failed(cli, errno.ECONNREFUSED)


async def test_bind_address_and_port(http_server: Any) -> None:
    srv = await http_server(routes=ROUTES)
    port = _free_port()
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 5, "bind_address": "127.0.0.1", "bind_port": port})
    assert await cli.get("/") is True, (cli.errCode, cli.errMsg)
    assert srv.requests[0].peer == ("127.0.0.1", port)
    assert cli.getsockname() == {"address": "127.0.0.1", "port": port}
    cli.close()


async def test_bind_address_only_and_port_only(http_server: Any) -> None:
    srv = await http_server(routes=ROUTES)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 5, "bind_address": "127.0.0.1"})
    assert await cli.get("/") is True
    peer = srv.requests[0].peer
    assert peer[0] == "127.0.0.1" and peer[1] > 0
    cli.close()

    # bind_port without bind_address is ignored (ephemeral port).
    port = _free_port()
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 5, "bind_port": port})
    assert await cli.get("/") is True
    assert srv.requests[1].peer[1] != port
    cli.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="127.0.0.2 is a loopback address on Linux only")
async def test_bind_other_loopback_address(http_server: Any) -> None:
    srv = await http_server(routes=ROUTES)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 5, "bind_address": "127.0.0.2", "bind_port": -1})  # -1 clamps to 0
    assert await cli.get("/") is True, (cli.errCode, cli.errMsg)
    assert srv.requests[0].peer[0] == "127.0.0.2"
    cli.close()


async def test_bind_failure_is_ignored(http_server: Any) -> None:
    # Upstream bind_address.phpt: an unusable bind_address is silently ignored.
    srv = await http_server(routes=ROUTES)
    cli = Client("127.0.0.1", srv.port)
    cli.set({"timeout": 5, "bind_address": "11111"})
    assert await cli.get("/") is True, (cli.errCode, cli.errMsg)
    assert srv.requests[0].peer[0] == "127.0.0.1"
    cli.close()


async def test_bind_ipv6(http_server: Any, ipv6_host: str) -> None:
    srv = await http_server(routes=ROUTES, host=ipv6_host)
    port = _free_port(ipv6_host)
    cli = Client(ipv6_host, srv.port)
    cli.set({"timeout": 5, "bind_address": ipv6_host, "bind_port": port})
    assert await cli.get("/") is True, (cli.errCode, cli.errMsg)
    assert srv.requests[0].peer[:2] == (ipv6_host, port)
    cli.close()
