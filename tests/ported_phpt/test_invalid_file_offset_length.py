"""Port of tests/swoole_http_client_coro/invalid_file_offset_length.phpt (swoole-src a281145a1): "swoole_http_client_coro: invalid file offset and length".

``addFile(TEST_IMAGE, 'test.jpg', null, null, -1)`` and ``addFile(..., 0, -1)`` return false, and
so does ``download('/', file, -1)``; each emits a warning (silenced with ``@`` upstream) and no
I/O happens (the client points at port 1).

Port: faithful

Deviations: PHP warnings are :class:`SwooleWarning`; instead of silencing them the test asserts
their exact texts (errors.md §6.1). TEST_IMAGE is a random ``test.jpg`` in ``tmp_path`` and the
download target lives there too. Added (catalogue): offset == file size, length beyond the
remaining bytes, an empty file and a missing file also give False plus a warning, and
``uploadFiles`` / ``downloadFile`` stay untouched.
"""

from __future__ import annotations

import warnings

import pytest

from swoole_compat import SwooleWarning
from swoole_compat.coroutine.http import Client

PREFIX = "Swoole\\Coroutine\\Http\\Client::"


def _only_warning(caught: list[warnings.WarningMessage]) -> str:
    assert len(caught) == 1, [str(w.message) for w in caught]
    assert issubclass(caught[0].category, SwooleWarning)
    assert caught[0].filename == __file__  # attributed to the caller, like PHP's "on line N"
    return str(caught[0].message)


async def test_invalid_file_offset_length(test_image, tmp_path) -> None:
    client = Client("127.0.0.1", 1)
    target = tmp_path / "swoole-http-download-invalid"

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert client.addFile(str(test_image), "test.jpg", None, None, -1) is False
    assert _only_warning(caught) == PREFIX + "addFile(): parameter $offset[-1] must be greater than or equal to 0"

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert client.addFile(str(test_image), "test.jpg", None, None, 0, -1) is False
    assert _only_warning(caught) == PREFIX + "addFile(): parameter $length[-1] must be greater than or equal to 0"

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert await client.download("/", str(target), -1) is False
    assert _only_warning(caught) == PREFIX + "download(): parameter $offset[-1] must be greater than or equal to 0"

    # no I/O, nothing queued, nothing created
    assert client.uploadFiles is None
    assert client.downloadFile is None
    assert client.downloadOffset == 0
    assert client.connected is False
    assert client.errCode == 0
    assert client.statusCode == 0
    assert not target.exists()


async def test_offset_and_length_beyond_the_file(test_image) -> None:
    client = Client("127.0.0.1", 1)
    size = test_image.stat().st_size
    with pytest.warns(SwooleWarning) as record:
        assert client.addFile(str(test_image), "test.jpg", None, None, size) is False
        assert client.addFile(str(test_image), "test.jpg", None, None, 10, size - 9) is False
    assert [str(w.message) for w in record] == [
        PREFIX + f"addFile(): parameter $offset[{size}] exceeds the file size",
        PREFIX + f"addFile(): parameter $length[{size - 9}] exceeds the file size, Error: Success[0]",
    ]
    # the boundaries themselves are accepted
    assert client.addFile(str(test_image), "a", None, None, size - 1) is True
    assert client.addFile(str(test_image), "b", None, None, 10, size - 10) is True
    assert [(f["offset"], f["size"]) for f in client.uploadFiles] == [(size - 1, 1), (10, size - 10)]


async def test_empty_and_missing_files(tmp_path) -> None:
    client = Client("127.0.0.1", 1)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    missing = tmp_path / "missing.jpg"
    with pytest.warns(SwooleWarning) as record:
        assert client.addFile(str(empty), "e") is False
        assert client.addFile(str(empty), "e", None, "given.txt") is False
        assert client.addFile(str(missing), "m") is False
    texts = [str(w.message) for w in record]
    assert len(texts) == 3
    # the errno suffix of "cannot send empty file" is stale upstream: match the prefix only
    assert texts[0].startswith(PREFIX + "addFile(): cannot send empty file[(null)], Error: ")
    assert texts[1].startswith(PREFIX + "addFile(): cannot send empty file[given.txt], Error: ")
    assert texts[2] == PREFIX + f"addFile(): stat({missing}) failed, Error: No such file or directory[2]"
    assert client.uploadFiles is None
