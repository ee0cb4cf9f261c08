"""Port of tests/swoole_http_client_coro/max_retries_negative.phpt (swoole-src a281145a1): "swoole_http_client_coro: negative max_retries".

``set(['max_retries' => -1])`` returns false and emits exactly one warning mentioning
``max_retries`` ("max_retries must be greater than or equal to 0, got -1").

Port: faithful

Deviations: the PHP ``set_error_handler`` becomes ``warnings.catch_warnings(record=True)`` on
:class:`SwooleWarning` (the project-wide mapping of PHP E_WARNING). The client points at a free
port but, as upstream, no I/O happens.
"""

from __future__ import annotations

import socket
import warnings

from swoole_compat import SwooleWarning
from swoole_compat.coroutine.http import Client


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_max_retries_negative() -> None:
    cli = Client("127.0.0.1", _free_port())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = cli.set({"max_retries": -1})
    assert result is False
    assert len(caught) == 1
    warning = caught[0]
    assert issubclass(warning.category, SwooleWarning)
    text = str(warning.message)
    assert "max_retries" in text
    assert text.endswith("max_retries must be greater than or equal to 0, got -1")
    assert text.startswith("Swoole\\Coroutine\\Http\\Client::set(): ")
    # The warning is attributed to the caller (this file), as PHP reports the calling line.
    assert warning.filename == __file__
    # set() merges before validating: the invalid value is still stored.
    assert cli.setting == {"max_retries": -1}
    assert cli.connected is False
