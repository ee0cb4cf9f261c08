"""Streaming content decoding for ``Content-Encoding`` (client.md §7.5)."""

from __future__ import annotations

import zlib
from typing import Callable, Iterator

from ..errors import logger
from .limits import RATIO_GRACE

try:  # brotli is a declared dependency, but decoding must degrade gracefully without it
    import brotli as _brotli
except ImportError:  # pragma: no cover
    try:
        import brotlicffi as _brotli  # type: ignore[no-redef]
    except ImportError:
        _brotli = None  # type: ignore[assignment]

try:  # zstd: Python 3.14's compression.zstd only (see docs/deviations.md, S15)
    from compression import zstd as _zstd  # type: ignore[import-not-found]
except ImportError:
    # The `zstandard` package is deliberately not used: its decompressor cannot bound the
    # output of one step, so a few KiB of input could inflate to GiB in one call. Without a
    # decoder a zstd body is kept as received, as by the Swoole build the spec describes
    # (compiled without zstd).
    _zstd = None

HAS_BROTLI = _brotli is not None
ACCEPT_ENCODING = "gzip, deflate, br" if HAS_BROTLI else "gzip, deflate"

MAX_DECODED_SIZE_DEFAULT = 0
"""No limit by default; the façade passes the limits in force (``limits.decode_limits``)."""

PIECE_SIZE = 1 << 20
"""Decoded output produced per decompression step (brotli may overshoot it up to twice)."""


class DecodedTooLarge(Exception):
    """Decoding passed a limit (a decompression bomb): errCode 1203 for the client.

    ``option`` names the limit (``max_body_size``, ``max_decompressed_size`` or
    ``max_decompression_ratio``), ``limit`` its value; ``decoded``/``encoded`` are the byte
    counts when it was passed. :attr:`errmsg` is the client's errMsg.
    """

    def __init__(self, option: str = "max_body_size", limit: float = 0, decoded: int = 0, encoded: int = 0) -> None:
        super().__init__(option, limit, decoded, encoded)
        self.option = option
        self.limit = limit
        self.decoded = decoded
        self.encoded = encoded

    @property
    def errmsg(self) -> str | None:
        """None for ``max_body_size`` (the caller keeps ``swoole_strerror(1203)``, "Data
        length too large", as before); a text naming the option for the decompression limits."""
        if self.option == "max_decompressed_size":
            return (
                f"Data length too large: the decompressed body is over max_decompressed_size "
                f"({int(self.limit)} bytes)"
            )
        if self.option == "max_decompression_ratio":
            return (
                f"Data length too large: the body decompresses to more than max_decompression_ratio "
                f"({self.limit:g}) times its compressed size ({self.decoded} bytes from {self.encoded})"
            )
        return None


class Decoder:
    """Decodes one response body chunk by chunk, with bounded steps.

    On the first decoding error a warning is logged and this chunk and all later ones are
    passed through raw, as Swoole does (``notgzip`` with ``Content-Encoding: gzip`` → ``notgzip``);
    a first chunk that fails as gzip/zlib is first retried as raw deflate (client.md §7.5).

    Limits (0 = none), checked after every step of at most :data:`PIECE_SIZE` output bytes, so
    nothing is inflated more than one step past them:

    * ``max_size``: decoded bytes in all; past it :class:`DecodedTooLarge` (``size_option``);
    * ``max_ratio``: decoded bytes per encoded byte consumed, once more than ``ratio_grace``
      bytes were decoded; past it :class:`DecodedTooLarge` (``max_decompression_ratio``).

    After :class:`DecodedTooLarge` the decoder must not be used again.
    """

    def __init__(
        self,
        encoding: str,
        max_size: int = 0,
        max_ratio: float = 0,
        size_option: str = "max_body_size",
        *,
        ratio_grace: int = RATIO_GRACE,
    ) -> None:
        self.encoding = encoding
        self._failed = False
        self._first = True
        self._max = max_size
        self._ratio = max_ratio
        self._grace = ratio_grace
        self._size_option = size_option
        self._total = 0
        #: Encoded bytes taken by the decompressor so far (:attr:`encoded`).
        self._consumed = 0
        self._brotli_limit = True  # brotli >= 1.2 bounds each step's output
        self._decompress: Callable[[bytes], Iterator[bytes]]
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
            # One incremental decompressor with max_length, like zlib's.
            self._sobj = _zstd.ZstdDecompressor()
            self._decompress = self._zstd
        else:
            self._failed = True  # no decoder: keep the body raw, no error

    @property
    def decoded(self) -> int:
        """Decoded bytes produced so far."""
        return self._total

    @property
    def encoded(self) -> int:
        """Encoded bytes consumed so far (for brotli and zstd: fed so far)."""
        return self._consumed

    @staticmethod
    def available(encoding: str | None) -> bool:
        if encoding in ("gzip", "deflate"):
            return True
        if encoding == "br":
            return HAS_BROTLI
        if encoding == "zstd":
            return _zstd is not None
        return False

    def _room(self) -> int:
        """Output allowed for the next decompression step: one piece, and with a limit never
        more than one byte past it (so passing the limit is seen without inflating further)."""
        if self._max:
            return max(1, min(PIECE_SIZE, self._max - self._total + 1))
        return PIECE_SIZE

    def _zlib(self, data: bytes) -> Iterator[bytes]:
        zobj = self._zobj
        while True:
            room = self._room()
            size = len(data)
            out = zobj.decompress(data, room)
            self._consumed += size - len(zobj.unconsumed_tail)
            yield out
            if zobj.eof:
                return  # bytes after the end of the stream are ignored (zlib keeps them aside)
            data = zobj.unconsumed_tail
            # Output that filled ``room`` exactly may leave more pending inside zlib.
            if not data and len(out) < room:
                return

    def _brotli(self, data: bytes) -> Iterator[bytes]:
        bobj = self._bobj
        self._consumed += len(data)  # brotli keeps what it cannot take yet: counted when fed
        if not self._brotli_limit:
            yield bobj.process(data)
            return
        try:
            yield bobj.process(data, output_buffer_limit=self._room())
        except TypeError:  # brotli < 1.2 has no output_buffer_limit: one unbounded step
            self._brotli_limit = False
            yield bobj.process(data)
            return
        # With a limit, brotli hands out what it has decoded in steps (even below the limit):
        # drain it with empty input until nothing more comes.
        while True:
            out = bobj.process(b"", output_buffer_limit=self._room())
            if not out:
                return
            yield out

    def _zstd(self, data: bytes) -> Iterator[bytes]:
        sobj = self._sobj
        self._consumed += len(data)
        while not sobj.eof:  # bytes after the end of the frame are ignored, as for gzip
            yield sobj.decompress(data, self._room())
            data = b""
            if sobj.needs_input:
                return

    def pieces(self, data: bytes) -> Iterator[bytes]:
        """Decode ``data``, yielding the output in pieces of about :data:`PIECE_SIZE` bytes at
        most (gzip/deflate, br with brotli >= 1.2, zstd), so a small input that inflates without
        bound never sits in memory at once. :class:`DecodedTooLarge` is raised as soon as the
        running total passes ``max_size`` or the ratio passes ``max_ratio``; nothing more is
        inflated."""
        if not data:
            return
        if self._failed:
            yield data
            return
        produced = False
        steps = self._decompress(data)
        while True:
            try:
                out = next(steps)
            except StopIteration:
                break
            except Exception as exc:  # zlib.error, brotli.error, zstd errors
                if not produced and self._first and self.encoding in ("gzip", "deflate"):
                    # Servers often send raw deflate for "deflate": retry the first chunk raw,
                    # as Swoole does for both (inflateInit2 with raw wbits after Z_DATA_ERROR).
                    self._zobj = zlib.decompressobj(-15)
                    self._first = False
                    self._consumed = 0
                    yield from self.pieces(data)
                    return
                self._failed = True
                logger.warning("HttpClient::decompress_response failed by %s", _reason(exc))
                if not produced:
                    yield data  # this chunk and all later ones are passed through raw
                return
            if out:
                produced = True
                total = self._total = self._total + len(out)
                if self._max and total > self._max:
                    raise DecodedTooLarge(self._size_option, self._max, total, self._consumed)
                if self._ratio and total > self._grace and total > self._ratio * self._consumed:
                    raise DecodedTooLarge("max_decompression_ratio", self._ratio, total, self._consumed)
                yield out
        self._first = False

    def feed(self, data: bytes) -> bytes:
        """Decode ``data`` at once (the joined :meth:`pieces`)."""
        parts = list(self.pieces(data))
        if len(parts) == 1:
            return parts[0]
        return b"".join(parts)


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "invalid" in text or "incorrect" in text or "Error -3" in text:
        return "data error"
    return text or type(exc).__name__
