"""``Swoole\\Coroutine\\Http``: the :class:`Client`, its exception and the helper functions."""

from ...errors import ClientException
from ...websocket import CloseFrame, Frame
from .client import Client
from .functions import ClientProxy, get, post, request

__all__ = ["Client", "ClientException", "ClientProxy", "Frame", "CloseFrame", "request", "get", "post"]
