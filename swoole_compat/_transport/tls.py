"""TLS client contexts built from Swoole's ``ssl_*`` options (client.md §4.3, §8.3)."""

from __future__ import annotations

import ipaddress
import os
import ssl
import warnings
from typing import Any, Mapping

from .._php import php_int, php_str, php_truthy
from ..errors import CLIENT, php_warning

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


def server_hostname(setting: Mapping[str, Any], host: str) -> str | None:
    """SNI name: ``ssl_host_name`` when set (empty disables SNI), else a non-literal host."""
    name = setting.get("ssl_host_name")
    if name is not None:
        name = php_str(name)
        return name or None
    if not host or is_ip_literal(host) or host.startswith("/"):
        return None
    return host


def build_context(setting: Mapping[str, Any], *, allow_self_signed_pass: bool = False) -> ssl.SSLContext:
    """An ``SSLContext`` for the merged ``setting``.

    ``allow_self_signed_pass`` builds the context of the second attempt made when
    ``ssl_allow_self_signed`` forgives a self-signed leaf (see :mod:`.connect`).
    """
    verify = setting.get("ssl_verify_peer")
    verify_peer = php_truthy(verify) if verify is not None else verify_by_default()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify_peer and not allow_self_signed_pass:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.check_hostname = setting.get("ssl_host_name") not in (None, "")
        cafile = setting.get("ssl_cafile")
        capath = setting.get("ssl_capath")
        if cafile or capath:
            ctx.load_verify_locations(cafile=php_str(cafile) or None, capath=php_str(capath) or None)
        else:
            ctx.load_default_certs()
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    protocols = setting.get("ssl_protocols")
    if protocols is not None and php_int(protocols):
        mask = php_int(protocols)
        chosen = [version for bit, version in _VERSIONS if mask & bit]
        if chosen:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                ctx.minimum_version = min(chosen)
                ctx.maximum_version = max(chosen)
    ciphers = setting.get("ssl_ciphers")
    if ciphers:
        ctx.set_ciphers(php_str(ciphers))
    cert_file = setting.get("ssl_cert_file")
    key_file = setting.get("ssl_key_file")
    if cert_file or key_file:
        where = f"{CLIENT}::connect"
        if cert_file and not os.access(php_str(cert_file), os.R_OK):
            php_warning(where, f"ssl cert file[{php_str(cert_file)}] not found", stacklevel=5)
        elif key_file and not os.access(php_str(key_file), os.R_OK):
            php_warning(where, f"ssl key file[{php_str(key_file)}] not found", stacklevel=5)
        elif cert_file and not key_file:
            php_warning(where, "ssl require key file", stacklevel=5)
        elif key_file and not cert_file:
            php_warning(where, "ssl require cert file", stacklevel=5)
        else:
            passphrase = setting.get("ssl_passphrase")
            ctx.load_cert_chain(php_str(cert_file), php_str(key_file), password=php_str(passphrase) if passphrase else None)
    return ctx


def wants_self_signed_retry(setting: Mapping[str, Any], exc: BaseException) -> bool:
    """True when a verification failure is only "self-signed leaf" and that is allowed."""
    return (
        isinstance(exc, ssl.SSLCertVerificationError)
        and getattr(exc, "verify_code", None) == 18  # X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
        and php_truthy(setting.get("ssl_allow_self_signed"))
    )
