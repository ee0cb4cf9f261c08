"""``python -m swoole_compat`` / ``swoole-compat``: argument parsing only.

The commands themselves are in :mod:`swoole_compat.cli`. Without a command, ``demo`` runs.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from . import __version__
from .constants import SWOOLE_VERSION

DESCRIPTION = (
    "Swoole's coroutine HTTP/WebSocket client (Swoole\\Coroutine\\Http\\Client) from the command line.\n"
    "Without a command: the demo."
)

EPILOG = """\
exit status: 0 success; 1 the request failed (statusCode, errCode and errMsg are printed) or the
client raised; 2 bad arguments; 3 --fail and an HTTP status >= 400; 130 interrupted.
https/wss certificates ARE verified by default here (Swoole itself does not verify unless
ssl_verify_peer is set); --insecure turns verification off.
"""


def _connection_options() -> argparse.ArgumentParser:
    """Options every network command takes."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("request options")
    group.add_argument("-H", "--header", action="append", default=[], metavar="'NAME: VALUE'",
                       help="request header (repeatable; setHeaders())")
    group.add_argument("--cookie", action="append", default=[], metavar="K=V",
                       help="cookie to send (repeatable, or 'a=1; b=2'; setCookies())")
    group.add_argument("-u", "--user", metavar="USER:PASSWORD", help="basic authentication (setBasicAuth())")
    group.add_argument("--timeout", type=float, metavar="SECONDS",
                       help="response time budget, also DNS/read/write timeout (set timeout; default 60)")
    group.add_argument("--connect-timeout", type=float, metavar="SECONDS",
                       help="TCP connect timeout (set connect_timeout; default 10)")
    group.add_argument("-k", "--insecure", action="store_true",
                       help="do not verify the server certificate (the CLI verifies by default)")
    group.add_argument("--cafile", metavar="PEM", help="trust these CA certificates (set ssl_cafile)")
    group.add_argument("--proxy", metavar="URL",
                       help="http://[user:pass@]host:port or socks5://[user:pass@]host:port")
    group.add_argument("--unix-socket", metavar="PATH",
                       help="connect to this UNIX socket (Client('unix:PATH')); the URL gives the Host header")
    group.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="any Client.set() option, VALUE read as JSON when it parses (repeatable)")
    group.add_argument("-v", "--verbose", action="store_true",
                       help="also print the request head (getHeaderOut()) and cookies on stderr")
    return common


def _output_options() -> argparse.ArgumentParser:
    output = argparse.ArgumentParser(add_help=False)
    group = output.add_argument_group("output options")
    group.add_argument("--raw", action="store_true", help="write the body bytes as they are, even binary ones")
    group.add_argument("-f", "--fail", action="store_true", help="exit with status 3 when statusCode >= 400")
    return output


def _progress_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress bar on stderr (default: when stderr is a terminal); tqdm or rich "
                             "when installed, else a text line")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="swoole-compat", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version",
                        version=f"swoole_compat {__version__} (Swoole {SWOOLE_VERSION} client API)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = _connection_options()
    output = _output_options()

    get = sub.add_parser("get", parents=[common, output], help="GET a URL and print status, headers and body",
                         description="GET URL and print statusCode, the response headers and the body "
                                     "(a summary for binary bodies).")
    get.add_argument("url", metavar="URL")

    post = sub.add_parser(
        "post", parents=[common, output], help="POST form fields, files, a file or JSON",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="POST to URL. ITEMs:\n"
                    "  name=value       form field (repeat a name for a list)\n"
                    "  name=@path       file part, sent with addFile() as multipart/form-data\n"
                    "  name=\\@text      the literal value '@text'\n"
                    "  @path            the whole body read from a file (@- reads stdin)\n"
                    "  '{\"json\": 1}'    a single JSON text, sent as application/json",
    )
    post.add_argument("url", metavar="URL")
    post.add_argument("items", nargs="*", metavar="ITEM")
    post.add_argument("-X", "--method", metavar="METHOD", help="send with this method instead of POST (setMethod())")
    _progress_option(post)

    download = sub.add_parser("download", parents=[common], help="download a URL into a file",
                              description="download(path, FILE, offset): the body is written to FILE. "
                                          "With an offset a 'Range: bytes=N-' header is added (unless -H "
                                          "gives one) and writing starts at that offset.")
    download.add_argument("url", metavar="URL")
    download.add_argument("file", metavar="FILE")
    where = download.add_mutually_exclusive_group()
    where.add_argument("--offset", type=int, default=0, metavar="N", help="resume at byte N")
    where.add_argument("-C", "--resume", action="store_true", help="resume at the current size of FILE")
    download.add_argument("-f", "--fail", action="store_true", help="exit with status 3 when statusCode >= 400")
    _progress_option(download)

    ws = sub.add_parser("ws", parents=[common], help="interactive WebSocket session",
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        description="upgrade() to WebSocket, then push each stdin line and print received "
                                    "frames.\n  /ping [data]            send a PING\n"
                                    "  /close [code] [reason]  close handshake, then exit\n"
                                    "  //text                  send '/text'\nEnd of input closes with 1000.")
    ws.add_argument("url", metavar="URL", help="ws://, wss://, http:// or https:// URL")
    ws.add_argument("--binary", action="store_true", help="send lines as BINARY frames instead of TEXT")
    ws.add_argument("--compression", action="store_true", help="offer permessage-deflate (websocket_compression)")
    ws.add_argument("--close-timeout", type=float, default=3.0, metavar="SECONDS",
                    help="how long to wait for the server's CLOSE answer (default 3)")

    demo = sub.add_parser("demo", help="tour of the client against an embedded local server (the default)",
                          description="Start an embedded HTTP + WebSocket server on 127.0.0.1 and walk through "
                                      "GET, POST, upload, download, cookies, gzip, WebSocket and failures.")
    demo.add_argument("--serve", action="store_true", help="only run the embedded server, until Ctrl-C")
    demo.add_argument("--port", type=int, default=0, help="port for the embedded server (default: any free port)")
    _progress_option(demo)

    conf = sub.add_parser(
        "conformance", help="run the conformance kit (scenarios vs recorded Swoole expectations)",
        description="Run every conformance scenario (or those matching --only) with a runner, compare the "
                    "observations with the recorded expectations and print one line per scenario. "
                    "See docs/conformance.md.")
    conf.add_argument("--runner", metavar="CMD",
                      help="runner command; the scenario file is appended (default: the swoole_compat runner, "
                           "python -m swoole_compat.conformance.runner)")
    conf.add_argument("--only", metavar="GLOB", help="only scenarios whose name matches (comma-separated globs)")
    conf.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report")
    conf.add_argument("-j", "--jobs", type=int, default=4, help="scenarios run in parallel (default 4)")
    conf.add_argument("--scenarios", metavar="DIR", help="scenario directory (default: the shipped one)")
    conf.add_argument("--expected", metavar="DIR", help="expectation directory (default: the shipped one)")
    conf.add_argument("--record", action="store_true",
                      help="record expectations with the runner instead of comparing (written only when all "
                           "--runs agree)")
    conf.add_argument("--runs", type=int, default=3, help="runs per scenario when recording (default 3)")
    conf.add_argument("--recorded-from", default="swoole 6.2.1", metavar="TEXT",
                      help="the source named in recorded expectations (default 'swoole 6.2.1')")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .cli import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
