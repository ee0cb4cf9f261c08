"""Streaming content decoding for ``Content-Encoding`` (client.md §7.5)."""

from __future__ import annotations

import zlib
from typing import Callable, Iterator

from ..errors import logger

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
"""No limit by default; the façade passes a limit when one is configured."""

PIECE_SIZE = 1 << 20
"""Decoded output produced per decompression step (brotli may overshoot it up to twice)."""


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
            out = zobj.decompress(data, room)
            yield out
            if zobj.eof:
                return  # bytes after the end of the stream are ignored (zlib keeps them aside)
            data = zobj.unconsumed_tail
            # Output that filled ``room`` exactly may leave more pending inside zlib.
            if not data and len(out) < room:
                return

    def _brotli(self, data: bytes) -> Iterator[bytes]:
        bobj = self._bobj
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
        while not sobj.eof:  # bytes after the end of the frame are ignored, as for gzip
            yield sobj.decompress(data, self._room())
            data = b""
            if sobj.needs_input:
                return

    def pieces(self, data: bytes) -> Iterator[bytes]:
        """Decode ``data``, yielding the output in pieces of about :data:`PIECE_SIZE` bytes at
        most (gzip/deflate, and br with brotli >= 1.2), so a small input that inflates without
        bound never sits in memory at once. With ``max_size``, :class:`DecodedTooLarge` is
        raised as soon as the running total passes it; nothing more is inflated."""
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
                if not produced and self._first and self.encoding == "deflate":
                    # Servers often send raw deflate for "deflate": retry the first chunk raw.
                    self._zobj = zlib.decompressobj(-15)
                    self._first = False
                    yield from self.pieces(data)
                    return
                self._failed = True
                logger.warning("HttpClient::decompress_response failed by %s", _reason(exc))
                if not produced:
                    yield data  # this chunk and all later ones are passed through raw
                return
            if out:
                produced = True
                if self._max:
                    self._total += len(out)
                    if self._total > self._max:
                        raise DecodedTooLarge()
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
