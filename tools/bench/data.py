"""Test files served by nginx, generated at start in the run's temporary directory."""

from __future__ import annotations

import gzip
import random
import string
import zlib
from pathlib import Path
from typing import Any

from .common import MiB


def _write_blocks(path: Path, size: int, seed: int, sparse: bool) -> int:
    """Write ``size`` bytes: 1 MiB blocks of random data stamped with their index (so a
    reordered or repeated block fails the checksum). ``sparse`` writes only the first 4 KiB
    of every block and leaves holes. Returns the CRC-32 of the whole file."""
    rnd = random.Random(seed)
    block = bytearray(rnd.randbytes(MiB))
    crc = 0
    zeros = bytes(MiB)
    with open(path, "wb") as f:
        if sparse:
            f.truncate(size)
        for index in range(0, (size + MiB - 1) // MiB):
            length = min(MiB, size - index * MiB)
            block[:8] = index.to_bytes(8, "big")
            if sparse:
                head = bytes(block[: min(4096, length)])
                f.seek(index * MiB)
                f.write(head)
                crc = zlib.crc32(head, crc)
                crc = zlib.crc32(memoryview(zeros)[: length - len(head)], crc)
            else:
                piece = memoryview(block)[:length]
                f.write(piece)
                crc = zlib.crc32(piece, crc)
    return crc


def _make_text(size: int, seed: int) -> bytes:
    rnd = random.Random(seed)
    letters = string.ascii_lowercase
    words = ["".join(rnd.choices(letters, k=rnd.randint(2, 11))) for _ in range(6000)]
    lines = []
    total = 0
    number = 0
    while total < size:
        line = f"{number:08d} {' '.join(rnd.choices(words, k=12))}.\n"
        lines.append(line)
        total += len(line)
        number += 1
    return "".join(lines).encode("ascii")[:size]


def make_files(root: Path, sizes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    www = root / "www"
    www.mkdir()
    (www / "_empty").write_bytes(b"")
    manifest: dict[str, dict[str, Any]] = {}

    small = random.Random(1).randbytes(sizes["small"])
    (www / "small.bin").write_bytes(small)
    manifest["small"] = {"path": str(www / "small.bin"), "url": "/small.bin", "size": len(small), "crc": zlib.crc32(small)}

    crc = _write_blocks(www / "big.bin", sizes["big"], 2, sparse=False)
    manifest["big"] = {"path": str(www / "big.bin"), "url": "/big.bin", "size": sizes["big"], "crc": crc}
    manifest["chunked"] = dict(manifest["big"], url="/chunked/big.bin")

    crc = _write_blocks(www / "huge.bin", sizes["huge"], 3, sparse=True)
    manifest["huge"] = {"path": str(www / "huge.bin"), "url": "/huge.bin", "size": sizes["huge"], "crc": crc}

    text = _make_text(sizes["text"], 4)
    (www / "text.txt").write_bytes(text)
    packed = gzip.compress(text, compresslevel=6, mtime=0)
    (www / "text.txt.gz").write_bytes(packed)
    manifest["text"] = {
        "path": str(www / "text.txt"),
        "url": "/text.txt",
        "size": len(text),
        "crc": zlib.crc32(text),
        "gz_size": len(packed),
    }
    return manifest
