"""Streaming content decoding for ``Content-Encoding`` (client.md §7.5)."""

from __future__ import annotations

import zlib
from typing import Callable

from ..errors import logger

try:  # brotli is a declared dependency, but decoding must degrade gracefully without it
    import brotli as _brotli
except ImportError:  # pragma: no cover
    try:
        import brotlicffi as _brotli  # type: ignore[no-redef]
    except ImportError:
        _brotli = None  # type: ignore[assignment]

try:  # zstd is optional: Python 3.14's compression.zstd, else the zstandard package
    from compression import zstd as _zstd  # type: ignore[import-not-found]
except ImportError:
    try:
        import zstandard as _zstd  # type: ignore[no-redef]
    except ImportError:
        _zstd = None  # type: ignore[assignment]

HAS_BROTLI = _brotli is not None
ACCEPT_ENCODING = "gzip, deflate, br" if HAS_BROTLI else "gzip, deflate"

MAX_DECODED_SIZE_DEFAULT = 0
"""No limit by default; the façade passes a limit when one is configured."""


class DecodedTooLarge(Exception):
    """Decoding produced more than the configured limit (a decompression bomb)."""


class Decoder:
    """Decodes one response body chunk by chunk.

    On the first decoding error a warning is logged and this chunk and all later ones are
    passed through raw, as Swoole does (``notgzip`` with ``Content-Encoding: gzip`` → ``notgzip``).
    ``max_size`` > 0 bounds the decoded output: beyond it :class:`DecodedTooLarge` is raised.
    """

    def __init__(self, encoding: str, max_size: int = 0) -> None:
        self.encoding = encoding
        self._failed = False
        self._first = True
        self._max = max_size
        self._total = 0
        self._decompress: Callable[[bytes], bytes]
        if encoding == "gzip":
            self._zobj = zlib.decompressobj(31)
            self._decompress = self._zlib
        elif encoding == "deflate":
            self._zobj = zlib.decompressobj(15)
            self._decompress = self._zlib
        elif encoding == "br" and _brotli is not None:
            self._bobj = _brotli.Decompressor()
            self._decompress = self._brotli
        elif encoding == "zstd" and _zstd is not None:
            self._sobj = _zstd.ZstdDecompressor().decompressobj()
            self._decompress = self._zstd_chunk
        else:
            self._failed = True  # no decoder: keep the body raw, no error

    @staticmethod
    def available(encoding: str | None) -> bool:
        if encoding in ("gzip", "deflate"):
            return True
        if encoding == "br":
            return HAS_BROTLI
        if encoding == "zstd":
            return _zstd is not None
        return False

    def _zlib(self, data: bytes) -> bytes:
        zobj = self._zobj
        if self._max:
            out = zobj.decompress(data, self._max - self._total + 1)
            if zobj.unconsumed_tail:
                raise DecodedTooLarge()
            return out
        return zobj.decompress(data)

    def _brotli(self, data: bytes) -> bytes:
        return self._bobj.process(data)

    def _zstd_chunk(self, data: bytes) -> bytes:
        return self._sobj.decompress(data)

    def feed(self, data: bytes) -> bytes:
        if self._failed or not data:
            return data
        try:
            out = self._decompress(data)
        except DecodedTooLarge:
            raise
        except Exception as exc:  # zlib.error, brotli.error, zstd errors
            if self._first and self.encoding == "deflate":
                # Servers often send raw deflate for "deflate": retry the first chunk raw.
                self._zobj = zlib.decompressobj(-15)
                self._first = False
                return self.feed(data)
            self._failed = True
            logger.warning("HttpClient::decompress_response failed by %s", _reason(exc))
            return data
        self._first = False
        if self._max:
            self._total += len(out)
            if self._total > self._max:
                raise DecodedTooLarge()
        return out


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "invalid" in text or "incorrect" in text or "Error -3" in text:
        return "data error"
    return text or type(exc).__name__
