"""``get``, ``post`` and ``download``: one request each, on one ``Client``."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

from .._protocol.mime import guess_mime_type
from ..coroutine.http import Client
from . import progress as _progress
from ._common import (
    EXIT_HTTP_ERROR,
    EXIT_OK,
    UsageError,
    eprint,
    header_value,
    make_client,
    parse_url,
    print_body,
    print_head,
    print_request_head,
    report_failure,
)

__all__ = ["get", "post", "download", "parse_post_items", "PostBody"]


def _finish(cli: Client, ok: bool, args: Any) -> int:
    """Print the outcome of one request and choose the exit status."""
    if args.verbose:
        print_request_head(cli)
    if not ok:
        return report_failure(cli)
    out = sys.stdout
    print_head(cli, out)
    out.write("\n")
    print_body(cli, out, raw=getattr(args, "raw", False))
    out.flush()
    if args.verbose and cli.cookies:
        eprint(f"cookies: {cli.cookies!r}")
    if getattr(args, "fail", False) and cli.statusCode >= 400:
        return EXIT_HTTP_ERROR
    return EXIT_OK


# ---------------------------------------------------------------------------------------------
# get
# ---------------------------------------------------------------------------------------------
async def get(args: Any) -> int:
    endpoint = parse_url(args.url, unix_socket=args.unix_socket)
    cli = make_client(endpoint, args)
    try:
        ok = await cli.get(endpoint.target)
        return _finish(cli, ok, args)
    finally:
        cli.close()


# ---------------------------------------------------------------------------------------------
# post
# ---------------------------------------------------------------------------------------------
@dataclass
class PostBody:
    """What the positional items of ``post`` mean."""

    kind: str = "empty"  # empty | form | json | raw
    fields: dict[str, Any] = field(default_factory=dict)
    files: list[tuple[str, str]] = field(default_factory=list)  # (form name, path) for addFile()
    data: bytes | str = ""
    content_type: str | None = None

    @property
    def upload_size(self) -> int:
        """Bytes of payload to send (files and raw data; form fields are small)."""
        if self.kind == "raw" or self.kind == "json":
            return len(self.data)
        total = 0
        for _, path in self.files:
            try:
                total += os.path.getsize(path)
            except OSError:
                pass
        return total


def _read_source(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        with open(source, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise UsageError(f"cannot read {source!r}: {exc.strerror}") from None


def parse_post_items(items: list[str]) -> PostBody:
    """Interpret ``post`` items:

    * ``name=value`` – a form field (repeat a name for a list);
    * ``name=@path`` – a file part sent with ``addFile()`` (the body becomes multipart);
      ``name=\\@text`` sends the literal ``@text``;
    * ``@path`` alone – the raw body read from ``path`` (``@-``: standard input);
    * a JSON text alone (``'{"a": 1}'``) – sent with ``Content-Type: application/json``.
    """
    body = PostBody()
    if not items:
        return body
    if len(items) == 1:
        item = items[0]
        if item.startswith("@"):
            body.kind = "raw"
            body.data = _read_source(item[1:])
            body.content_type = "application/octet-stream" if item == "@-" else guess_mime_type(item[1:])
            return body
        try:
            json.loads(item)
        except ValueError:
            pass
        else:
            if "=" not in item or item.lstrip()[:1] in ("{", "[", '"'):
                body.kind = "json"
                body.data = item
                body.content_type = "application/json"
                return body
    body.kind = "form"
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(
                f"cannot interpret {item!r}: use name=value, name=@file, a single @file or a single JSON text"
            )
        if value.startswith("@"):
            body.files.append((name, value[1:]))
            continue
        if value.startswith("\\@"):
            value = value[1:]
        if name in body.fields:
            previous = body.fields[name]
            body.fields[name] = (previous if isinstance(previous, list) else [previous]) + [value]
        else:
            body.fields[name] = value
    return body


def _upload_meter(cli: Client, total: int, state: dict[str, bool]) -> Callable[[], tuple[int, int | None]]:
    """A ``poll()`` for :func:`progress.watch`: the bytes the server acknowledged on the
    client's connection (``cli.socket.fd``; the client is fresh, so they count from 0)."""

    def poll() -> tuple[int, int | None]:
        if state.get("sent"):
            return total, total
        sock = cli.socket
        acked = _progress.tcp_bytes_acked(sock.fd) if sock is not None else None
        return (min(acked, total) if acked is not None else 0), total

    return poll


async def post(args: Any) -> int:
    endpoint = parse_url(args.url, unix_socket=args.unix_socket)
    body = parse_post_items(args.items)
    extra = {"Content-Type": body.content_type} if body.content_type else {}
    cli = make_client(endpoint, args, extra)
    try:
        for name, path in body.files:
            if not cli.addFile(path, name):
                raise UsageError(f"cannot upload {path!r} (see the warning above)")
        data: Any
        if body.kind in ("raw", "json"):
            data = body.data
        elif body.kind == "form":
            data = body.fields or None
        else:
            data = ""
        method = args.method.upper() if args.method else None
        size = body.upload_size
        bar = _progress.make_progress("upload", size or None, args.progress if size else False)
        state: dict[str, bool] = {}
        async with _progress.watch(bar, _upload_meter(cli, size, state)):
            if method and method != "POST":
                cli.setMethod(method)
                cli.setData(data)
                ok = await cli.execute(endpoint.target)
            else:
                ok = await cli.post(endpoint.target, data)
            state["sent"] = ok
        return _finish(cli, ok, args)
    finally:
        cli.close()


# ---------------------------------------------------------------------------------------------
# download
# ---------------------------------------------------------------------------------------------
def _content_total(cli: Client, offset: int) -> int | None:
    """Bytes the file will receive, from the response head (None while unknown)."""
    headers = cli.headers
    if not headers:
        return None
    length = header_value(headers, "content-length")
    encoding = header_value(headers, "content-encoding")
    if length is None or not length.strip().isdigit() or (encoding and encoding.lower() != "identity"):
        return None
    return int(length)


def _file_state(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


async def download(args: Any) -> int:
    endpoint = parse_url(args.url, unix_socket=args.unix_socket)
    path = args.file
    offset = args.offset or 0
    if offset < 0:
        raise UsageError("--offset must be 0 or more")
    if args.resume:
        offset = os.path.getsize(path) if os.path.exists(path) else 0
    extra = {"Range": f"bytes={offset}-"} if offset > 0 else {}
    cli = make_client(endpoint, args, extra)
    try:
        before = _file_state(path)

        def poll() -> tuple[int, int | None]:
            # download() opens (and for offset 0 truncates) the file only when body bytes
            # arrive: until the file changes, what it holds is not this download's.
            state = _file_state(path)
            size = state[0] if state is not None and state != before else offset
            return max(size - offset, 0), _content_total(cli, offset)

        bar = _progress.make_progress("download", None, args.progress)
        async with _progress.watch(bar, poll):
            ok = await cli.download(endpoint.target, path, offset)
        if args.verbose:
            print_request_head(cli)
        if not ok:
            return report_failure(cli, "download")
        print_head(cli, sys.stdout)
        try:
            size = os.path.getsize(path)
        except OSError:
            size = None
        sys.stdout.write("\n")
        if size is None:
            sys.stdout.write(f"no body: {path} was not written\n")
        else:
            where = f" from offset {offset}" if offset else ""
            sys.stdout.write(f"saved {max(size - offset, 0)} bytes to {path}{where} (file size {size})\n")
        sys.stdout.flush()
        status = cli.statusCode
        if offset and status == 200 and header_value(cli.headers, "content-range") is None:
            eprint(f"warning: the server answered 200 without Content-Range to 'Range: bytes={offset}-'; "
                   f"if it sent the whole file, {path} now holds it written from offset {offset}")
        if status == 416 and offset:
            eprint(f"statusCode 416: the server has nothing from byte {offset} on; {path} is probably complete")
        elif status >= 400 and _file_state(path) != before:
            eprint(f"warning: statusCode {status}: the error body was written to {path} "
                   "(download() stores whatever body the server sends)")
        if args.fail and status >= 400:
            return EXIT_HTTP_ERROR
        return EXIT_OK
    finally:
        cli.close()

