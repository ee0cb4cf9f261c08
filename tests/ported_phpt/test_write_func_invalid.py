"""Port of tests/swoole_http_client_coro/write_func_invalid.phpt (swoole-src a281145a1): "swoole_http_client_coro: invalid write_func".

``set(['write_func' => 'not_found_function'])`` returns false with the warning
"function 'not_found_function' is not callable".

Port: faithful

Deviations: PHP's E_WARNING is a :class:`SwooleWarning` (EXPECTF's ``in %s on line %d`` maps to
the warning being attributed to this file). PHP string callables do not exist in Python: any
``str`` is "not callable" (python-mapping.md §8). Added: a falsy value gives "illegal callback
function", and a rejected write_func leaves a previously set one in place (the request still
streams to it).
"""

from __future__ import annotations

import warnings

import pytest

from swoole_compat import SwooleWarning
from swoole_compat.coroutine.http import Client


def test_write_func_invalid() -> None:
    client = Client("127.0.0.1", 80)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert client.set({"write_func": "not_found_function"}) is False
    assert len(caught) == 1
    assert issubclass(caught[0].category, SwooleWarning)
    assert str(caught[0].message) == (
        "Swoole\\Coroutine\\Http\\Client::set(): function 'not_found_function' is not callable"
    )
    assert caught[0].filename == __file__
    assert client.setting == {"write_func": "not_found_function"}  # merged before validation
    assert client.connected is False


def test_write_func_falsy() -> None:
    client = Client("127.0.0.1", 80)
    with pytest.warns(SwooleWarning) as record:
        assert client.set({"write_func": ""}) is False
    assert [str(w.message) for w in record] == ["Swoole\\Coroutine\\Http\\Client::set(): illegal callback function"]


async def test_rejected_write_func_keeps_the_previous_one(http_server) -> None:
    srv = await http_server()
    got: list[bytes] = []
    client = Client("127.0.0.1", srv.port)
    assert client.set({"write_func": lambda cli, data: got.append(data)}) is True
    with pytest.warns(SwooleWarning):
        assert client.set({"write_func": "not_found_function"}) is False
    assert await client.get("/html") is True
    assert b"Moby-Dick" in b"".join(got)
    assert client.body == b""
    client.close()
