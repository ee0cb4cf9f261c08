"""Port of tests/swoole_http_client_coro/ssl_verify_peer_2.phpt (swoole-src a281145a1): "swoole_http_client_coro: ssl_verify_peer [2]".

``ssl_verify_peer`` (+ ``ssl_allow_self_signed``) against a server whose certificate chains to a
trusted CA: status 200, ``getPeerCert()`` returns a PEM certificate whose subject names the host,
and the body contains the expected marker.

Port: re-targeted (www.baidu.com with the system trust store becomes a local TLS server whose test
CA is made the default store)

Deviations: www.baidu.com with the system CA store is re-targeted to a local aiohttp TLS server
whose trustme leaf (localhost, 127.0.0.1, ::1) is signed by a trustme CA. The upstream form (no
CA file: the default trust store) runs with ``SSL_CERT_FILE`` pointing at the test CA and
``SSL_CERT_DIR`` at an empty directory, so OpenSSL's default store holds that CA alone; a second
case passes the same CA as ``ssl_cafile``. PHP's ``openssl_x509_parse`` becomes
``cryptography``. Added: negative cases with the wrong CA, as ``ssl_cafile`` and as the default
store (statusCode -1, errCode 1014), as the catalogue suggests.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.x509.oid import NameOID

from swoole_compat.coroutine.http import Client

SWOOLE_ERROR_SSL_VERIFY_FAILED = 1014


async def _server(http_server: Any, context: Any) -> Any:
    async def index(request: web.Request) -> web.Response:
        return web.Response(text="<html><title>localhost baidu</title></html>", content_type="text/html")

    return await http_server(routes=[web.get("/", index)], ssl=context)


def _use_default_store(monkeypatch: Any, tmp_path: Any, cafile: str) -> None:
    """Make ``cafile`` the whole of OpenSSL's default trust store for this test."""
    empty = tmp_path / "empty-cert-dir"
    empty.mkdir()
    monkeypatch.setenv("SSL_CERT_FILE", cafile)
    monkeypatch.setenv("SSL_CERT_DIR", str(empty))


async def _check_verified(client: Client) -> None:
    result = await client.get("/")
    assert result is True, (client.errCode, client.errMsg)
    assert client.getStatusCode() == 200
    pem = client.getPeerCert()
    assert isinstance(pem, str)
    assert pem.startswith("-----BEGIN CERTIFICATE-----\n")
    cert = x509.load_pem_x509_certificate(pem.encode())
    common_names = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    assert any("localhost" in str(name) for name in common_names)  # Assert::contains($info['name'], ...)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    assert b"baidu" in client.getBody()
    client.close()


async def test_ssl_verify_peer_2(http_server: Any, tls_server_context: Any, ca_file: str, monkeypatch: Any, tmp_path: Any) -> None:
    # Upstream's form: no ssl_cafile, the default trust store decides.
    _use_default_store(monkeypatch, tmp_path, ca_file)
    srv = await _server(http_server, tls_server_context)
    client = Client("localhost", srv.port, True)
    client.set({"ssl_verify_peer": True, "ssl_allow_self_signed": True})
    await _check_verified(client)
    assert len(srv.requests) == 1


async def test_ssl_verify_peer_2_default_store_wrong_ca(
    http_server: Any, tls_server_context: Any, tls: Any, monkeypatch: Any, tmp_path: Any
) -> None:
    # The same with a default store that does not hold the server's CA: verification fails.
    _use_default_store(monkeypatch, tmp_path, tls.other_ca_file)
    srv = await _server(http_server, tls_server_context)
    client = Client("localhost", srv.port, True)
    client.set({"ssl_verify_peer": True, "ssl_allow_self_signed": True})
    assert await client.get("/") is False
    assert client.getStatusCode() == -1
    assert client.errCode == SWOOLE_ERROR_SSL_VERIFY_FAILED
    assert srv.requests == []


async def test_ssl_verify_peer_2_cafile(http_server: Any, tls_server_context: Any, ca_file: str) -> None:
    srv = await _server(http_server, tls_server_context)
    client = Client("localhost", srv.port, True)
    client.set({"ssl_verify_peer": True, "ssl_allow_self_signed": True, "ssl_cafile": ca_file})
    await _check_verified(client)


async def test_ssl_verify_peer_2_wrong_ca(http_server: Any, tls_server_context: Any, tls: Any) -> None:
    srv = await _server(http_server, tls_server_context)
    client = Client("localhost", srv.port, True)
    client.set({"ssl_verify_peer": True, "ssl_allow_self_signed": True, "ssl_cafile": tls.other_ca_file})
    assert await client.get("/") is False
    assert client.getStatusCode() == -1
    assert client.errCode == SWOOLE_ERROR_SSL_VERIFY_FAILED
    assert client.getPeerCert() is False  # not connected
    assert client.errCode == 5001
    assert srv.requests == []
