"""The connection layer: one object per socket owning the stream, the parsers and the receive
loops (:mod:`swoole_compat._connection.http11`). It sits between the Swoole-facing façade
(``swoole_compat.coroutine.http``) and the sans-I/O protocol and transport layers."""

from .http11 import HTTPConnection, ResponseCallbacks

__all__ = ["HTTPConnection", "ResponseCallbacks"]
