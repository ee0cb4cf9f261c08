"""``python -m swoole_compat``: a demo against an embedded local server.

``python -m swoole_compat`` (or ``demo``) starts a loopback HTTP server and walks through typical
requests — GET, a form POST, cookies, gzip — printing what the client returns.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import sys
from typing import Sequence

from .coroutine.http import Client


async def _serve_demo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A tiny HTTP/1.1 server for the demo: /hello, /form, /cookie, /gzip."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            extra = ""
            if target.startswith("/form"):
                payload = json.dumps({"method": method, "content-type": headers.get("content-type"), "body": body.decode()}).encode()
            elif target.startswith("/cookie"):
                extra = "Set-Cookie: session=abc%20123; path=/\r\n"
                payload = json.dumps({"you-sent": headers.get("cookie", "")}).encode()
            elif target.startswith("/gzip"):
                payload = gzip.compress(b"hello compressed world " * 20)
                extra = "Content-Encoding: gzip\r\n"
            else:
                payload = b"Hello from the embedded server!"
            writer.write(
                f"HTTP/1.1 200 OK\r\nContent-Length: {len(payload)}\r\n{extra}Connection: keep-alive\r\n\r\n".encode() + payload
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def demo() -> int:
    server = await asyncio.start_server(_serve_demo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"embedded server on 127.0.0.1:{port}\n")
    async with server:
        cli = Client("127.0.0.1", port)
        ok = await cli.get("/hello")
        print(f"GET /hello            -> {ok} statusCode={cli.statusCode} body={cli.body!r}")
        print("  request head sent:\n    " + str(cli.getHeaderOut()).replace("\r\n", "\n    "))
        ok = await cli.post("/form", {"name": "swoole", "tags": ["a", "b"]})
        print(f"POST /form (array)    -> {ok} statusCode={cli.statusCode} body={cli.body.decode()}")
        cli.setMethod("GET")
        cli.setData(None)
        ok = await cli.get("/cookie")
        print(f"GET /cookie           -> {ok} cookies={cli.cookies} set_cookie_headers={cli.set_cookie_headers}")
        ok = await cli.get("/cookie")
        print(f"GET /cookie (again)   -> {ok} body={cli.body.decode()}  (the cookie was sent back)")
        ok = await cli.get("/gzip")
        print(f"GET /gzip             -> {ok} content-encoding={cli.headers.get('content-encoding') if cli.headers else None} "
              f"decoded length={len(cli.body)} starts={cli.body[:23]!r}")
        cli.close()
        bad = Client("127.0.0.1", 1)
        ok = await bad.get("/")
        print(f"GET 127.0.0.1:1       -> {ok} statusCode={bad.statusCode} errCode={bad.errCode} errMsg={bad.errMsg!r}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="swoole-compat", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("command", nargs="?", default="demo", choices=["demo"], help="what to run (default: demo)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return asyncio.run(demo())
    return 2


if __name__ == "__main__":
    sys.exit(main())
