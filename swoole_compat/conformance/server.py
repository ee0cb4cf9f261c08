"""The scripted loopback servers of the conformance kit (docs/conformance.md, "Server part").

Each server listens on ``127.0.0.1`` (or a UNIX socket), optionally with TLS, and runs one
script per accepted connection: connection *i* runs ``connections[i]`` (the last script repeats
for later connections). A script is a list of actions, interpreted in order; everything the
server reads is recorded as events of that connection. After the last action the server keeps
reading (recording what arrives) until the peer closes or the kit stops.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import socket
import ssl
import struct
import zlib
from typing import Any

from .values import decode_bytes, encode

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
DATA_DIR = os.path.join(os.path.dirname(__file__), "data")
TLS_DIR = os.path.join(DATA_DIR, "tls")


def tls_path(name: str) -> str:
    return os.path.join(TLS_DIR, name)


def server_context(kind: Any) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if kind == "self-signed":
        ctx.load_cert_chain(tls_path("selfsigned.pem"), tls_path("selfsigned.key"))
    else:
        ctx.load_cert_chain(tls_path("server.pem"), tls_path("server.key"))
    return ctx


def encode_frame(opcode: int, payload: bytes, fin: bool = True, rsv1: bool = False, rsv2: bool = False,
                 rsv3: bool = False, mask: bytes | None = None, length: int | None = None) -> bytes:
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | (0x20 if rsv2 else 0) | (0x10 if rsv3 else 0) | opcode
    n = len(payload) if length is None else length
    mbit = 0x80 if mask else 0
    if n < 126:
        head = bytes([first, mbit | n])
    elif n < 65536:
        head = bytes([first, mbit | 126]) + struct.pack("!H", n)
    else:
        head = bytes([first, mbit | 127]) + struct.pack("!Q", n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head += mask
    return head + payload


def deflate_payload(payload: bytes) -> bytes:
    comp = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    data = comp.compress(payload) + comp.flush(zlib.Z_SYNC_FLUSH)
    return data[:-4] if data.endswith(b"\x00\x00\xff\xff") else data


class Closed(Exception):
    """The peer closed the connection while the script expected more bytes."""


class Conn:
    def __init__(self, server: ScriptedServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.server = server
        self.reader = reader
        self.writer = writer
        self.events: list[dict[str, Any]] = []
        self.buf = b""
        self.eof = False
        self.upgraded = False
        self.closed = False

    # -- reading -----------------------------------------------------------------------------
    async def _more(self, timeout: float | None = None) -> bool:
        if self.eof:
            return False
        try:
            chunk = await asyncio.wait_for(self.reader.read(65536), timeout)
        except (ConnectionError, OSError):
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    async def read_until(self, marker: bytes) -> bytes:
        while marker not in self.buf:
            if not await self._more():
                raise Closed()
        idx = self.buf.index(marker) + len(marker)
        data, self.buf = self.buf[:idx], self.buf[idx:]
        return data

    async def read_exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not await self._more():
                raise Closed()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    async def read_request(self, body: bool = True) -> dict[str, Any]:
        head = await self.read_until(b"\r\n\r\n")
        record: dict[str, Any] = {"head": encode(head)}
        if not body:
            return record
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            raw = b""
            while True:
                size_line = await self.read_until(b"\r\n")
                raw += size_line
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    raw += await self.read_until(b"\r\n")
                    break
                raw += await self.read_exactly(size + 2)
            record["body"] = encode(raw)
        elif headers.get("content-length", "").isdigit():
            record["body"] = encode(await self.read_exactly(int(headers["content-length"])))
        return record

    async def read_frame(self) -> dict[str, Any]:
        head = await self.read_exactly(2)
        b0, b1 = head
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", await self.read_exactly(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", await self.read_exactly(8))[0]
        masked = bool(b1 & 0x80)
        key = await self.read_exactly(4) if masked else b""
        payload = await self.read_exactly(n)
        if masked:
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        frame: dict[str, Any] = {"fin": bool(b0 & 0x80), "rsv1": bool(b0 & 0x40), "rsv2": bool(b0 & 0x20),
                                 "rsv3": bool(b0 & 0x10), "opcode": b0 & 0x0F, "masked": masked,
                                 "payload": encode(payload)}
        if b0 & 0x40:
            try:
                inflater = zlib.decompressobj(-15)
                frame["inflated"] = encode(inflater.decompress(payload + b"\x00\x00\xff\xff"))
            except zlib.error:
                frame["inflated"] = False
        if (b0 & 0x0F) == 8 and len(payload) >= 2:
            frame["close_code"] = struct.unpack("!H", payload[:2])[0]
            frame["close_reason"] = encode(payload[2:])
        return frame

    # -- writing -----------------------------------------------------------------------------
    async def write(self, data: bytes) -> None:
        if self.closed:
            return
        try:
            self.writer.write(data)
            await self.writer.drain()
        except (ConnectionError, OSError):
            self.events.append({"write_failed": True})
            self.closed = True

    # -- actions -----------------------------------------------------------------------------
    async def run(self, script: list[dict[str, Any]]) -> None:
        try:
            for action in script:
                await self.action(action)
                if self.closed:
                    return
            await self.drain(None)
        except Closed:
            self.flush_leftover()
            self.events.append({"eof": True})

    def flush_leftover(self) -> None:
        if not self.buf:
            return
        if self.upgraded:
            frames, rest = parse_frames(self.buf)
            for f in frames:
                self.events.append({"frame": f})
            if rest:
                self.events.append({"received": encode(rest)})
        else:
            self.events.append({"received": encode(self.buf)})
        self.buf = b""

    async def drain(self, timeout: float | None) -> None:
        loop = asyncio.get_running_loop()
        end = None if timeout is None else loop.time() + timeout
        while True:
            left = None if end is None else end - loop.time()
            if left is not None and left <= 0:
                self.flush_leftover()
                self.events.append({"timeout": True})
                return
            try:
                more = await self._more(left)
            except asyncio.TimeoutError:
                continue
            if not more:
                self.flush_leftover()
                self.events.append({"eof": True})
                return

    async def action(self, a: dict[str, Any]) -> None:
        if "expect" in a:
            what = a["expect"]
            if what == "request":
                self.events.append({"request": await self.read_request()})
            elif what == "head":
                self.events.append({"request": await self.read_request(body=False)})
            elif what == "bytes":
                self.events.append({"received": encode(await self.read_exactly(int(a["n"])))})
            elif what == "eof":
                await self.drain(float(a.get("timeout", 5)))
            elif what == "frame":
                self.events.append({"frame": await self.read_frame()})
            else:
                raise ValueError(f"unknown expect {what!r}")
        elif "send" in a:
            await self.write(decode_bytes(a["send"]))
        elif "respond" in a:
            await self.write(build_response(a["respond"]))
        elif "trickle" in a:
            data = decode_bytes(a["trickle"])
            size = int(a.get("size", 1))
            for i in range(0, len(data), size):
                await self.write(data[i:i + size])
                await asyncio.sleep(float(a.get("delay", 0.001)))
        elif "sleep" in a:
            if a["sleep"] == "forever":
                await asyncio.Event().wait()
            await asyncio.sleep(float(a["sleep"]))
        elif "close" in a:
            self.close()
        elif "reset" in a:
            sock = self.writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.writer.transport.abort()
            self.closed = True
        elif "shutdown_write" in a:
            if self.writer.can_write_eof():
                self.writer.write_eof()
        elif "upgrade" in a:
            await self.upgrade(a["upgrade"] or {})
        elif "send_frame" in a:
            f = a["send_frame"]
            payload = decode_bytes(f.get("payload", ""))
            if "close_code" in f:
                payload = struct.pack("!H", int(f["close_code"])) + payload
            rsv1 = bool(f.get("rsv1", False))
            if f.get("compress"):
                payload, rsv1 = deflate_payload(payload), True
            mask = decode_bytes(f["mask"]) if f.get("mask") else None
            await self.write(encode_frame(int(f.get("opcode", 1)), payload, bool(f.get("fin", True)), rsv1,
                                          bool(f.get("rsv2", False)), bool(f.get("rsv3", False)), mask,
                                          f.get("length")))
        elif "socks5" in a:
            await self.socks5(a["socks5"] or {})
        elif "tunnel" in a:
            await self.tunnel(a["tunnel"])
        else:
            raise ValueError(f"unknown action {a!r}")

    def close(self) -> None:
        self.flush_leftover()
        self.closed = True
        try:
            self.writer.close()
        except (ConnectionError, OSError):
            pass

    async def upgrade(self, spec: dict[str, Any]) -> None:
        request = await self.read_request(body=False)
        self.events.append({"request": request})
        head = base64.b64decode(request["head"]["b64"]) if isinstance(request["head"], dict) else \
            request["head"].encode("utf-8")
        key = ""
        for line in head.decode("latin-1").split("\r\n"):
            if line.lower().startswith("sec-websocket-key:"):
                key = line.split(":", 1)[1].strip()
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        mode = spec.get("accept", "good")
        if mode == "bad":
            accept = base64.b64encode(b"x" * 20).decode()
        status = spec.get("status", "101 Switching Protocols")
        lines = [f"HTTP/1.1 {status}"]
        if spec.get("headers") is None:
            lines += ["Upgrade: websocket", "Connection: Upgrade"]
            if mode != "none":
                lines.append(f"Sec-WebSocket-Accept: {accept}")
        else:
            lines += [h.replace("$ACCEPT", accept) for h in spec["headers"]]
        lines += list(spec.get("extra_headers", []))
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if "body" in spec:
            data += decode_bytes(spec["body"])
        for f in spec.get("then_frames", []):
            data += encode_frame(int(f.get("opcode", 1)), decode_bytes(f.get("payload", "")), bool(f.get("fin", True)))
        self.upgraded = True
        await self.write(data)

    async def socks5(self, spec: dict[str, Any]) -> None:
        record: dict[str, Any] = {}
        ver, nmethods = await self.read_exactly(2)
        methods = list(await self.read_exactly(nmethods))
        record.update(version=ver, methods=methods)
        chosen = int(spec.get("method", 2 if 2 in methods and spec.get("auth") else 0))
        await self.write(bytes([5, chosen]))
        if chosen == 0xFF:
            self.events.append({"socks5": record})
            return
        if chosen == 2:
            _ver, ulen = await self.read_exactly(2)
            user = await self.read_exactly(ulen)
            (plen,) = await self.read_exactly(1)
            password = await self.read_exactly(plen)
            record.update(username=encode(user), password=encode(password))
            status = int(spec.get("auth_status", 0))
            await self.write(bytes([1, status]))
            if status != 0:
                self.events.append({"socks5": record})
                return
        ver, cmd, _rsv, atyp = await self.read_exactly(4)
        if atyp == 1:
            host = socket.inet_ntop(socket.AF_INET, await self.read_exactly(4))
        elif atyp == 4:
            host = socket.inet_ntop(socket.AF_INET6, await self.read_exactly(16))
        else:
            (n,) = await self.read_exactly(1)
            host = (await self.read_exactly(n)).decode("latin-1")
        (port,) = struct.unpack("!H", await self.read_exactly(2))
        record.update(cmd=cmd, atyp=atyp, host=host, port=str(port))
        self.events.append({"socks5": record})
        reply = int(spec.get("reply", 0))
        await self.write(bytes([5, reply, 0, 1, 127, 0, 0, 1]) + struct.pack("!H", port))

    async def tunnel(self, target: str) -> None:
        srv = self.server.kit_servers[target]
        if srv.unix_path:
            r2, w2 = await asyncio.open_unix_connection(srv.unix_path)
        else:
            r2, w2 = await asyncio.open_connection("127.0.0.1", srv.port)
        if self.buf:
            w2.write(self.buf)
            self.buf = b""

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while True:
                    chunk = await src.read(65536)
                    if not chunk:
                        break
                    dst.write(chunk)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                try:
                    dst.close()
                except (ConnectionError, OSError):
                    pass

        self.events.append({"tunnel": target})
        await asyncio.gather(pipe(self.reader, w2), pipe(r2, self.writer))
        self.closed = True


def parse_frames(buf: bytes) -> tuple[list[dict[str, Any]], bytes]:
    """Whole frames at the start of ``buf`` (recorded like ``expect: frame``) and the rest."""
    frames = []
    while len(buf) >= 2:
        b0, b1 = buf[0], buf[1]
        n, pos = b1 & 0x7F, 2
        if n == 126:
            if len(buf) < 4:
                break
            n, pos = struct.unpack("!H", buf[2:4])[0], 4
        elif n == 127:
            if len(buf) < 10:
                break
            n, pos = struct.unpack("!Q", buf[2:10])[0], 10
        masked = bool(b1 & 0x80)
        key = buf[pos:pos + 4] if masked else b""
        pos += 4 if masked else 0
        if len(buf) < pos + n:
            break
        payload = buf[pos:pos + n]
        if masked:
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        frame: dict[str, Any] = {"fin": bool(b0 & 0x80), "rsv1": bool(b0 & 0x40), "rsv2": bool(b0 & 0x20),
                                 "rsv3": bool(b0 & 0x10), "opcode": b0 & 0x0F, "masked": masked,
                                 "payload": encode(payload)}
        if (b0 & 0x0F) == 8 and len(payload) >= 2:
            frame["close_code"] = struct.unpack("!H", payload[:2])[0]
            frame["close_reason"] = encode(payload[2:])
        frames.append(frame)
        buf = buf[pos + n:]
    return frames, buf


REASONS = {200: "OK", 201: "Created", 204: "No Content", 206: "Partial Content", 301: "Moved Permanently",
           302: "Found", 304: "Not Modified", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
           404: "Not Found", 407: "Proxy Authentication Required", 500: "Internal Server Error",
           502: "Bad Gateway", 503: "Service Unavailable"}


def build_response(spec: Any) -> bytes:
    """``respond``: a string is a 200 body; a dict has status, headers (list of "K: V"), body,
    ``chunked`` (list of chunks) and ``no_length``."""
    if not isinstance(spec, dict) or "b64" in spec or "latin1" in spec:
        spec = {"body": spec}
    status = int(spec.get("status", 200))
    head = f"HTTP/1.1 {status} {spec.get('reason', REASONS.get(status, 'Unknown'))}\r\n"
    lines = list(spec.get("headers", []))
    body = b""
    if "chunked" in spec:
        lines.append("Transfer-Encoding: chunked")
        for chunk in spec["chunked"]:
            data = decode_bytes(chunk)
            body += f"{len(data):x}\r\n".encode() + data + b"\r\n"
        body += b"0\r\n\r\n"
    else:
        body = decode_bytes(spec.get("body", ""))
        if not spec.get("no_length"):
            lines.append(f"Content-Length: {len(body)}")
    return (head + "".join(f"{h}\r\n" for h in lines) + "\r\n").encode("latin-1") + body


class ScriptedServer:
    def __init__(self, name: str, spec: dict[str, Any], workdir: str, kit_servers: dict[str, ScriptedServer]):
        self.name = name
        self.spec = spec
        self.workdir = workdir
        self.kit_servers = kit_servers
        self.port = 0
        self.unix_path: str | None = None
        self.conns: list[Conn] = []
        self.tasks: set[asyncio.Task[None]] = set()
        self.server: asyncio.AbstractServer | None = None
        self.sock: socket.socket | None = None
        if "connections" in spec:
            self.scripts = spec["connections"]
        else:
            self.scripts = [spec.get("script", [])]

    async def start(self) -> None:
        spec = self.spec
        if spec.get("refuse"):  # a port nobody listens on
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
            s.close()
            return
        ctx = server_context(spec["tls"]) if spec.get("tls") else None
        if spec.get("unix"):
            self.unix_path = os.path.join(self.workdir, f"{self.name}.sock")
            self.server = await asyncio.start_unix_server(self._handle, self.unix_path, ssl=ctx)
        else:
            self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=ctx)
            self.port = self.server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Conn(self, reader, writer)
        index = len(self.conns)
        self.conns.append(conn)
        script = self.scripts[min(index, len(self.scripts) - 1)] if self.scripts else []
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
        try:
            await conn.run(script)
        except asyncio.CancelledError:
            conn.flush_leftover()
            raise
        except Exception as exc:  # noqa: BLE001 - a broken script is an observation too
            conn.flush_leftover()
            conn.events.append({"server_error": f"{type(exc).__name__}: {exc}"})
        finally:
            if not conn.closed:
                try:
                    writer.close()
                except (ConnectionError, OSError):
                    pass

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            try:
                await task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass

    def record(self) -> list[list[dict[str, Any]]]:
        return [c.events for c in self.conns]
