"""TLS material for the test servers: a trustme CA, leaves, a self-signed leaf, SNI recording.

Build everything once per session (the conftest does it in a session temp dir)::

    material = make_tls_material(directory)
    material.ca_file                    # PEM of the test CA -> client option ssl_cafile
    material.server_context()           # server SSLContext, leaf for localhost/127.0.0.1/::1
    material.server_context(require_client_cert=True)   # also demands a CA-signed client cert
    material.client_cert_file, material.client_key_file          # client certificate (PEM)
    material.client_key_encrypted_file, material.client_key_passphrase  # same key, encrypted
    material.self_signed_cert_file / self_signed_key_file / self_signed_context()
                                        # SELF-SIGNED leaf (subject == issuer, no CA) for
                                        # localhost/127.0.0.1/::1: OpenSSL verification fails
                                        # with X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT (18)
    material.other_ca_file              # a CA that signed nothing we serve (wrong-CA cases)
    material.client_context()           # a client SSLContext trusting the CA (self-tests)
    material.issue_server_context("www.example.test")   # extra names when a test needs them
    rec = material.sni_recorder()       # fresh server context whose sni_callback records
    rec.context, rec.names              # the SNI names seen, in handshake order (None = no SNI)

All certificates are valid from yesterday for ten years. The CA certificate, leaves and keys are
written to ``directory`` so clients that need file paths can use them.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

#: Identities of the default server certificate.
SERVER_IDENTITIES = ("localhost", "127.0.0.1", "::1")
#: Passphrase of :attr:`TlsMaterial.client_key_encrypted_file`.
CLIENT_KEY_PASSPHRASE = "swoole-test-passphrase"


class SniRecorder:
    """A server ``SSLContext`` whose ``sni_callback`` records each handshake's server name."""

    def __init__(self, context: ssl.SSLContext) -> None:
        """Install the recording callback on ``context`` (which must not be shared)."""
        self.names: list[str | None] = []
        self.context = context
        context.sni_callback = self._callback

    def _callback(self, sslobj: ssl.SSLObject, server_name: str | None, context: ssl.SSLContext) -> None:
        """Record ``server_name`` (None when the client sent no SNI)."""
        self.names.append(server_name)

    @property
    def last(self) -> str | None:
        """The most recent SNI value (None if none or no handshake yet)."""
        return self.names[-1] if self.names else None


def _server_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """A TLS server context presenting ``cert_file``/``key_file``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


def make_self_signed(*identities: str, common_name: str = "localhost") -> tuple[bytes, bytes]:
    """Create a self-signed leaf; return ``(cert_pem, key_pem)``.

    Subject equals issuer, the certificate signs itself, ``BasicConstraints`` says ``CA:FALSE``
    and there is no ``KeyUsage`` extension, so OpenSSL classifies it as self-signed and a verifying
    client fails with error 18 ("self-signed certificate") at depth 0.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    alt_names: list[x509.GeneralName] = []
    for identity in identities or SERVER_IDENTITIES:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(identity)))
        except ValueError:
            alt_names.append(x509.DNSName(identity))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert_pem, key_pem


def encrypt_key_pem(key_pem: bytes, passphrase: str) -> bytes:
    """Re-serialise an unencrypted PEM private key as encrypted PKCS#8."""
    key = serialization.load_pem_private_key(key_pem, password=None)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode()),
    )


@dataclass
class TlsMaterial:
    """Every certificate and key a test may need, with files in :attr:`directory`."""

    directory: Path
    ca: trustme.CA
    ca_file: str
    server: trustme.LeafCert
    server_cert_file: str
    server_key_file: str
    client: trustme.LeafCert
    client_cert_file: str
    client_key_file: str
    client_key_encrypted_file: str
    client_key_passphrase: str
    self_signed_pem: bytes
    self_signed_cert_file: str
    self_signed_key_file: str
    other_ca: trustme.CA
    other_ca_file: str

    def server_context(self, *, require_client_cert: bool = False) -> ssl.SSLContext:
        """A fresh server context for the default leaf (localhost, 127.0.0.1, ::1).

        With ``require_client_cert`` the handshake demands a client certificate signed by the
        test CA (``transport.get_extra_info("peercert")`` then shows it).
        """
        context = _server_context(self.server_cert_file, self.server_key_file)
        if require_client_cert:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(self.ca_file)
        return context

    def self_signed_context(self) -> ssl.SSLContext:
        """A fresh server context presenting the self-signed leaf."""
        return _server_context(self.self_signed_cert_file, self.self_signed_key_file)

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts the test CA (hostname checking on)."""
        context = ssl.create_default_context(cafile=self.ca_file)
        return context

    def sni_recorder(self) -> SniRecorder:
        """A fresh server context (default leaf) that records SNI names."""
        return SniRecorder(self.server_context())

    def issue_server_context(self, *identities: str) -> ssl.SSLContext:
        """A fresh server context with a new CA-signed leaf for ``identities``."""
        leaf = self.ca.issue_cert(*identities, common_name=identities[0] if identities else None)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        leaf.configure_cert(context)
        return context


def make_tls_material(directory: str | Path) -> TlsMaterial:
    """Generate the CA, leaves and keys, and write them under ``directory``."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)

    def write(name: str, data: bytes) -> str:
        target = path / name
        target.write_bytes(data)
        return str(target)

    ca = trustme.CA(organization_name="swoole_compat tests")
    server = ca.issue_cert(*SERVER_IDENTITIES, common_name="localhost")
    client = ca.issue_cert("client.localhost", "client@localhost", common_name="swoole-test-client")
    other_ca = trustme.CA(organization_name="swoole_compat tests (untrusted)")
    ss_cert, ss_key = make_self_signed(*SERVER_IDENTITIES)
    client_key = client.private_key_pem.bytes()
    return TlsMaterial(
        directory=path,
        ca=ca,
        ca_file=write("ca.pem", ca.cert_pem.bytes()),
        server=server,
        server_cert_file=write("server.crt", b"".join(b.bytes() for b in server.cert_chain_pems)),
        server_key_file=write("server.key", server.private_key_pem.bytes()),
        client=client,
        client_cert_file=write("client.crt", client.cert_chain_pems[0].bytes()),
        client_key_file=write("client.key", client_key),
        client_key_encrypted_file=write(
            "client.encrypted.key", encrypt_key_pem(client_key, CLIENT_KEY_PASSPHRASE)
        ),
        client_key_passphrase=CLIENT_KEY_PASSPHRASE,
        self_signed_pem=ss_cert,
        self_signed_cert_file=write("self-signed.crt", ss_cert),
        self_signed_key_file=write("self-signed.key", ss_key),
        other_ca=other_ca,
        other_ca_file=write("other-ca.pem", other_ca.cert_pem.bytes()),
    )
