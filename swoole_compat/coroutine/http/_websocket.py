"""WebSocket side of the client (websocket.md): settings, upgrade, push, recv, ping, disconnect.

Kept apart from the HTTP façade so the protocol logic reads on its own; frames are built and
parsed by :mod:`swoole_compat._protocol.frames`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..._php import php_truthy

if TYPE_CHECKING:  # pragma: no cover
    from ..._protocol.response import ResponseReader
    from .client import Client


class Settings:
    """WebSocket options of ``set()`` (client.md §4.2)."""

    __slots__ = ("mask", "compression", "open_close_frame", "open_ping_frame", "open_pong_frame", "subprotocol")

    def __init__(self) -> None:
        self.mask = True
        self.compression = False
        self.open_close_frame = False
        self.open_ping_frame = False
        self.open_pong_frame = False
        self.subprotocol = ""

    def apply(self, opts: dict[Any, Any]) -> None:
        if opts.get("websocket_subprotocol") is not None:
            self.subprotocol = str(opts["websocket_subprotocol"])
        # Every set() without websocket_mask turns masking back on (Replicate Q15).
        mask = opts.get("websocket_mask")
        self.mask = php_truthy(mask) if mask is not None else True
        if opts.get("websocket_compression") is not None:
            self.compression = php_truthy(opts["websocket_compression"])
        if opts.get("open_websocket_close_frame") is not None:
            self.open_close_frame = php_truthy(opts["open_websocket_close_frame"])
        if opts.get("open_websocket_ping_frame") is not None:
            self.open_ping_frame = php_truthy(opts["open_websocket_ping_frame"])
        if opts.get("open_websocket_pong_frame") is not None:
            self.open_pong_frame = php_truthy(opts["open_websocket_pong_frame"])


class Session:
    """State of an upgraded connection (frame parser, reassembly, compression)."""


async def upgrade(client: Client, path: str) -> bool:
    raise NotImplementedError("WebSocket support is not wired yet")


def on_upgrade_response(client: Client, reader: ResponseReader) -> bool:
    raise NotImplementedError


async def push(client: Client, data: Any, opcode: int, flags: int) -> bool:
    raise NotImplementedError


async def recv(client: Client, timeout: float) -> Any:
    raise NotImplementedError


async def ping(client: Client, data: Any) -> bool:
    raise NotImplementedError


async def disconnect(client: Client, code: int, reason: Any) -> bool:
    raise NotImplementedError
