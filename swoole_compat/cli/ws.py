"""``ws URL``: an interactive WebSocket session.

Lines read from standard input are pushed as TEXT frames (``--binary``: BINARY); received
frames are printed on standard output as they arrive, concurrently. Commands:

``/ping [data]``            send a PING (the PONG is printed when it comes back)
``/close [code] [reason]``  close handshake: send CLOSE, wait for the server's CLOSE, close TCP
``//text``                  send ``/text`` (a leading ``/`` doubled escapes it)
``/help``                   list the commands

End of input closes like ``/close 1000``. Output lines: ``< <text>`` for TEXT,
``< [binary N bytes] <hex>`` for BINARY, ``< [ping] …``, ``< [pong] …``,
``< [close] <code> <reason>``. Status messages go to standard error.

The session sets ``open_websocket_close_frame``, ``open_websocket_ping_frame`` and
``open_websocket_pong_frame`` so that ``recv()`` hands every control frame to the session,
which prints it and answers PINGs itself with ``push(data, WEBSOCKET_OPCODE_PONG)``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from typing import Any

from ..constants import (
    WEBSOCKET_OPCODE_BINARY,
    WEBSOCKET_OPCODE_CLOSE,
    WEBSOCKET_OPCODE_PING,
    WEBSOCKET_OPCODE_PONG,
    WEBSOCKET_OPCODE_TEXT,
)
from ..coroutine.http import Client
from ..websocket import CloseFrame, Frame
from ._common import (
    EXIT_FAILED,
    EXIT_OK,
    eprint,
    failure_text,
    make_client,
    parse_url,
    print_body,
    print_head,
    print_request_head,
    report_failure,
)

__all__ = ["ws", "format_frame"]

HELP = "type a line to send it; /ping [data], /close [code] [reason], //text sends '/text', /help; EOF closes"


def _show(data: Any) -> str:
    if isinstance(data, str):
        return data
    return bytes(data).decode("utf-8", "replace")


def format_frame(frame: Frame) -> str:
    """How a received frame is printed."""
    opcode = frame.opcode
    if isinstance(frame, CloseFrame) or opcode == WEBSOCKET_OPCODE_CLOSE:
        reason = _show(getattr(frame, "reason", b""))
        return f"< [close] {getattr(frame, 'code', '')} {reason}".rstrip()
    data = frame.data if isinstance(frame.data, (bytes, bytearray)) else str(frame.data).encode()
    if opcode == WEBSOCKET_OPCODE_PING:
        return f"< [ping] {_show(data)}".rstrip()
    if opcode == WEBSOCKET_OPCODE_PONG:
        return f"< [pong] {_show(data)}".rstrip()
    if opcode == WEBSOCKET_OPCODE_TEXT:
        return f"< {_show(data)}"
    preview = bytes(data[:32]).hex(" ")
    more = " …" if len(data) > 32 else ""
    return f"< [binary {len(data)} bytes] {preview}{more}".rstrip()


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _start_stdin_reader(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[bytes | None]) -> None:
    """Read standard input in a daemon thread (works for terminals, pipes and files alike).

    ``os.read`` on the descriptor, not ``sys.stdin``: a daemon thread blocked inside the buffered
    reader would hold its lock when the interpreter shuts down.
    """

    def post(item: bytes | None) -> bool:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: the session is over
            return False
        return True

    def run() -> None:
        fd = sys.stdin.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if not post(data or None) or not data:
                return

    threading.Thread(target=run, name="swoole-compat-stdin", daemon=True).start()


class _Session:
    def __init__(self, cli: Client, args: Any) -> None:
        self.cli = cli
        self.args = args
        self.closing = False  # we sent CLOSE (or gave up waiting for the answer)
        self.close_timeout = args.close_timeout
        # push() from the receiving task (PONG answers) and the sending task must not overlap:
        # Swoole allows one writing coroutine per socket (SwooleError 10002 otherwise).
        self.write_lock = asyncio.Lock()

    async def push(self, data: Any, opcode: int = WEBSOCKET_OPCODE_TEXT) -> bool:
        async with self.write_lock:
            return await self.cli.push(data, opcode)

    # -- receiving ------------------------------------------------------------------------------
    async def receive(self) -> int:
        cli = self.cli
        while True:
            frame = await cli.recv(-1)
            if frame == "":
                eprint("connection closed by the server")
                return EXIT_OK
            if frame is False:
                if self.closing:
                    return EXIT_OK
                if cli.connected:
                    eprint(f"warning: an invalid frame was dropped ({failure_text(cli)})")
                    continue
                return report_failure(cli, "recv")
            if not isinstance(frame, Frame):  # pragma: no cover - recv() returns nothing else
                continue
            _out(format_frame(frame))
            if isinstance(frame, CloseFrame):
                if self.closing:
                    cli.close()  # our CLOSE was answered: the handshake is complete
                else:
                    eprint("the server closed the session; answering its CLOSE")
                    async with self.write_lock:
                        await cli.disconnect(frame.code)
                return EXIT_OK
            if frame.opcode == WEBSOCKET_OPCODE_PING:
                await self.push(frame.data, WEBSOCKET_OPCODE_PONG)

    # -- sending --------------------------------------------------------------------------------
    async def close(self, code: int, reason: str, receiver: asyncio.Task[int]) -> None:
        """Send CLOSE, give the server ``--close-timeout`` seconds to answer, then close TCP."""
        self.closing = True
        if not await self.push(CloseFrame(code=code, reason=reason)):
            eprint(f"could not send CLOSE ({failure_text(self.cli)})")
            self.cli.close()
            return
        done, _ = await asyncio.wait({receiver}, timeout=self.close_timeout)
        if not done:
            eprint(f"no CLOSE answer within {self.close_timeout} s; closing the connection")
            self.cli.close()

    async def command(self, line: str, receiver: asyncio.Task[int]) -> bool:
        """Handle one input line; False when the session is over."""
        cli = self.cli
        if line.startswith("/") and not line.startswith("//"):
            name, _, rest = line[1:].partition(" ")
            if name == "ping":
                async with self.write_lock:
                    sent = await cli.ping(rest)
                if not sent:
                    eprint(f"ping failed ({failure_text(cli)})")
                return True
            if name == "close":
                code_text, _, reason = rest.strip().partition(" ")
                try:
                    code = int(code_text) if code_text else 1000
                except ValueError:
                    eprint(f"bad close code {code_text!r}")
                    return True
                await self.close(code, reason, receiver)
                return False
            if name in ("help", "?"):
                eprint(HELP)
                return True
            eprint(f"unknown command /{name}; {HELP}")
            return True
        if line.startswith("//"):
            line = line[1:]
        opcode = WEBSOCKET_OPCODE_BINARY if self.args.binary else WEBSOCKET_OPCODE_TEXT
        if not await self.push(line, opcode):
            if not self.closing:
                eprint(f"push failed ({failure_text(cli)})")
            return False
        return True

    async def send(self, receiver: asyncio.Task[int]) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        _start_stdin_reader(loop, queue)
        pending = b""
        while not receiver.done():
            chunk = await queue.get()
            if chunk is None:
                if pending:
                    await self.command(pending.decode("utf-8", "surrogateescape"), receiver)
                await self.close(1000, "", receiver)
                return
            pending += chunk
            while b"\n" in pending:
                raw, pending = pending.split(b"\n", 1)
                line = raw.decode("utf-8", "surrogateescape").rstrip("\r")
                if not await self.command(line, receiver):
                    return


async def ws(args: Any) -> int:
    endpoint = parse_url(args.url, websocket=True, unix_socket=args.unix_socket)
    cli = make_client(endpoint, args)
    cli.set(
        {
            "open_websocket_close_frame": True,
            "open_websocket_ping_frame": True,
            "open_websocket_pong_frame": True,
            "websocket_compression": bool(args.compression),
        }
    )
    try:
        ok = await cli.upgrade(endpoint.target)
        if args.verbose:
            print_request_head(cli)
        if not ok:
            return report_failure(cli, "upgrade")
        if cli.statusCode != 101:
            eprint(f"the server did not switch to WebSocket (statusCode {cli.statusCode}):")
            print_head(cli, sys.stderr)
            sys.stderr.write("\n")
            print_body(cli, sys.stderr)
            return EXIT_FAILED
        if args.verbose:
            print_head(cli, sys.stderr)
        eprint(f"connected to {endpoint.url} ({HELP})")
        session = _Session(cli, args)
        receiver = asyncio.get_running_loop().create_task(session.receive())
        sender = asyncio.get_running_loop().create_task(session.send(receiver))
        try:
            return await receiver
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
    finally:
        cli.close()
