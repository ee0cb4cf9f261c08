"""TLS client contexts built from Swoole's ``ssl_*`` options (client.md §4.3, §8.3)."""

from __future__ import annotations

import ipaddress
import os
import ssl
import tempfile
import warnings
from typing import Any, Mapping

from .._php import php_int, php_str, php_truthy
from ..errors import CLIENT, logger, php_warning
from .errno import SW_ERROR_SSL_HANDSHAKE_FAILED, TransportError

SWOOLE_SSL_TLSv1 = 8
SWOOLE_SSL_TLSv1_1 = 16
SWOOLE_SSL_TLSv1_2 = 32
SWOOLE_SSL_TLSv1_3 = 64

_VERSIONS = (
    (SWOOLE_SSL_TLSv1, ssl.TLSVersion.TLSv1),
    (SWOOLE_SSL_TLSv1_1, ssl.TLSVersion.TLSv1_1),
    (SWOOLE_SSL_TLSv1_2, ssl.TLSVersion.TLSv1_2),
    (SWOOLE_SSL_TLSv1_3, ssl.TLSVersion.TLSv1_3),
)

#: OpenSSL's X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT: the only error ``ssl_allow_self_signed`` forgives.
X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT = 18

#: OpenSSL 3's packed error code of SSL_R_NO_CERTIFICATE_ASSIGNED (ERR_LIB_SSL << 23 | 177),
#: printed by upstream's ``ssl_error()`` after ``SSL_CTX_check_private_key() failed``.
_ERR_NO_CERTIFICATE_ASSIGNED = (20 << 23) | 177

VERIFY_BY_DEFAULT_ENV = "SWOOLE_COMPAT_SSL_VERIFY_PEER"
"""When this environment variable is truthy, ``ssl_verify_peer`` defaults to True."""


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def verify_by_default() -> bool:
    return os.environ.get(VERIFY_BY_DEFAULT_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def verify_peer_enabled(setting: Mapping[str, Any]) -> bool:
    """``ssl_verify_peer`` when given (explicit False wins), else the environment default."""
    verify = setting.get("ssl_verify_peer")
    return php_truthy(verify) if verify is not None else verify_by_default()


def tls_host_name(setting: Mapping[str, Any]) -> str | None:
    """The ``ssl_host_name`` option as a string (``""`` = explicitly empty), None when absent."""
    name = setting.get("ssl_host_name")
    return None if name is None else php_str(name)


def server_hostname(setting: Mapping[str, Any], host: str) -> str | None:
    """SNI name: ``ssl_host_name`` when set (empty disables SNI), else a non-literal host."""
    name = tls_host_name(setting)
    if name is not None:
        return name or None
    if not host or is_ip_literal(host) or host.startswith("/"):
        return None
    return host


def _no_passphrase() -> bytes:
    # Without ``ssl_passphrase`` OpenSSL would prompt on the terminal for an encrypted key;
    # an empty answer makes the load fail instead.
    return b""


def build_context(
    setting: Mapping[str, Any], *, allow_self_signed_pass: bool = False, where: str = f"{CLIENT}::connect"
) -> ssl.SSLContext:
    """An ``SSLContext`` for the merged ``setting``.

    When the options cannot be turned into a context (upstream: ``SSLContext::create`` fails) the
    connect fails with :class:`TransportError` 1018, after a core-log WARNING.

    ``allow_self_signed_pass`` builds the context of the second attempt made when
    ``ssl_allow_self_signed`` forgives a self-signed leaf (see :mod:`.connect`): no chain
    verification, the peer certificate is then checked by :func:`check_forgiven_peer`.
    """
    try:
        return _build_context(setting, allow_self_signed_pass, where)
    except (ssl.SSLError, OSError, ValueError, TypeError) as exc:
        # Upstream logs the OpenSSL reason as a core-log WARNING and the connect fails with 1018.
        logger.warning("SSLContext::create() failed, Error: %s", exc.args[-1] if exc.args else exc)
        raise TransportError(SW_ERROR_SSL_HANDSHAKE_FAILED) from None


def _build_context(setting: Mapping[str, Any], allow_self_signed_pass: bool, where: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify_peer_enabled(setting) and not allow_self_signed_pass:
        ctx.verify_mode = ssl.CERT_REQUIRED
        # Swoole checks the host name (X509_check_host) only when ssl_host_name is set; that
        # name is also the SNI, which is what Python checks against.
        ctx.check_hostname = bool(tls_host_name(setting))
        cafile = setting.get("ssl_cafile")
        capath = setting.get("ssl_capath")
        cafile = php_str(cafile) if cafile is not None else ""
        capath = php_str(capath) if capath is not None else ""
        if cafile or capath:
            ctx.load_verify_locations(cafile=cafile or None, capath=capath or None)
        else:
            ctx.load_default_certs()
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    protocols = setting.get("ssl_protocols")
    if protocols is not None and php_int(protocols):
        mask = php_int(protocols)
        chosen = [version for bit, version in _VERSIONS if mask & bit]
        if not chosen:
            raise ValueError(f"ssl_protocols {mask} enables no TLS version")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = min(chosen)
            ctx.maximum_version = max(chosen)
    ciphers = setting.get("ssl_ciphers")
    if ciphers:
        ctx.set_ciphers(php_str(ciphers))
    curve = setting.get("ssl_ecdh_curve")
    if curve:
        ctx.set_ecdh_curve(php_str(curve))
    cert_file = setting.get("ssl_cert_file")
    key_file = setting.get("ssl_key_file")
    if cert_file or key_file:
        if cert_file and not os.access(php_str(cert_file), os.R_OK):
            php_warning(where, f"ssl cert file[{php_str(cert_file)}] not found", stacklevel=6)
        elif key_file and not os.access(php_str(key_file), os.R_OK):
            php_warning(where, f"ssl key file[{php_str(key_file)}] not found", stacklevel=6)
        elif cert_file and not key_file:
            php_warning(where, "ssl require key file", stacklevel=6)
        elif key_file and not cert_file:
            # SSLContext::create() loads the key, then SSL_CTX_check_private_key() fails for
            # want of a certificate: no context, the connect fails with 1018 before any
            # handshake byte is sent.
            php_warning(where, "ssl require cert file", stacklevel=6)
            logger.warning(
                "SSL_CTX_check_private_key() failed, Error: no certificate assigned[%d]", _ERR_NO_CERTIFICATE_ASSIGNED
            )
            raise TransportError(SW_ERROR_SSL_HANDSHAKE_FAILED)
        else:
            passphrase = setting.get("ssl_passphrase")
            ctx.load_cert_chain(
                php_str(cert_file),
                php_str(key_file),
                password=php_str(passphrase) if passphrase else _no_passphrase,
            )
    return ctx


def wants_self_signed_retry(setting: Mapping[str, Any], exc: BaseException) -> bool:
    """True when a verification failure is only "self-signed leaf" and that is allowed."""
    return (
        isinstance(exc, ssl.SSLCertVerificationError)
        and getattr(exc, "verify_code", None) == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
        and php_truthy(setting.get("ssl_allow_self_signed"))
    )


# ------------------------------------------------------------------------------------------------
# the unverified retry of ssl_allow_self_signed
# ------------------------------------------------------------------------------------------------
def _decode_certificate(der: bytes) -> dict[str, Any] | None:
    """Subject, issuer and subjectAltName of a DER certificate, via the ``_ssl`` decoder."""
    decode = getattr(getattr(ssl, "_ssl", None), "_test_decode_cert", None)
    if decode is None:  # pragma: no cover - every CPython since 3.4 has it
        return None
    fd, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(ssl.DER_cert_to_PEM_cert(der))
        return decode(path)  # type: ignore[no-any-return]
    except (ssl.SSLError, OSError, ValueError):
        return None
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


def _dns_match(pattern: str, name: str) -> bool:
    """X509_check_host name matching: case-insensitive, a ``*`` only in the leftmost label."""
    pattern = pattern.lower().rstrip(".")
    name = name.lower().rstrip(".")
    if pattern == name:
        return True
    p_labels = pattern.split(".")
    n_labels = name.split(".")
    if len(p_labels) != len(n_labels) or len(p_labels) < 3 or "*" not in p_labels[0]:
        return False
    if any("*" in label for label in p_labels[1:]) or p_labels[1:] != n_labels[1:]:
        return False
    prefix, _, suffix = p_labels[0].partition("*")
    if "*" in suffix:
        return False
    first = n_labels[0]
    return len(first) >= len(prefix) + len(suffix) and first.startswith(prefix) and first.endswith(suffix)


def _host_matches(info: Mapping[str, Any], name: str) -> bool:
    alt_names = info.get("subjectAltName") or ()
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        ip = None
    if ip is not None:
        for kind, value in alt_names:
            if kind == "IP Address":
                try:
                    if ipaddress.ip_address(value.strip()) == ip:
                        return True
                except ValueError:
                    continue
        return False
    dns_names = [value for kind, value in alt_names if kind == "DNS"]
    if dns_names:
        return any(_dns_match(pattern, name) for pattern in dns_names)
    # No DNS subjectAltName: OpenSSL falls back to the subject's commonName.
    for rdn in info.get("subject") or ():
        for key, value in rdn:
            if key == "commonName" and _dns_match(value, name):
                return True
    return False


def check_forgiven_peer(setting: Mapping[str, Any], der: bytes | None) -> bool:
    """Validate the peer of the unverified retry that ``ssl_allow_self_signed`` triggered.

    The first handshake failed only because the leaf was self-signed. The retry ran without
    chain verification, so check here what Swoole still checks in that case: the certificate
    is a self-signed (self-issued) leaf, and it matches ``ssl_host_name`` when that is set.
    Anything that cannot be decoded fails (closed).
    """
    if not der:
        return False
    info = _decode_certificate(der)
    if info is None:
        return False
    if info.get("subject") != info.get("issuer"):
        return False
    name = tls_host_name(setting)
    if name:
        return _host_matches(info, name)
    return True
