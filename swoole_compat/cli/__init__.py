"""The command logic behind ``python -m swoole_compat`` / ``swoole-compat``.

``swoole_compat.__main__`` parses the arguments and calls :func:`run`; the commands live in
:mod:`.http` (``get``, ``post``, ``download``), :mod:`.ws` (``ws``) and :mod:`.demo`
(``demo``). Every command is built on :class:`swoole_compat.coroutine.http.Client`.

Exit statuses: 0 success, 1 the client reported a failure (its ``statusCode``, ``errCode`` and
``errMsg`` are printed on standard error) or raised, 2 bad arguments, 3 ``--fail`` and an HTTP
status of 400 or more, 130 interrupted.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import warnings
from typing import Any, Callable, Coroutine

from ..errors import SwooleError, SwooleException, SwooleWarning
from ._common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, PROG, UsageError, eprint

__all__ = ["run", "COMMANDS", "UsageError"]


def _command(name: str) -> Callable[[Any], Coroutine[Any, Any, int]]:
    if name in ("get", "post", "download"):
        from . import http

        return getattr(http, name)  # type: ignore[no-any-return]
    if name == "conformance":
        from .conformance import conformance

        return conformance
    if name == "ws":
        from .ws import ws

        return ws
    from .demo import demo

    return demo


COMMANDS = ("get", "post", "download", "ws", "demo", "conformance")


def _show_warning(message: Any, category: type[Warning], filename: str, lineno: int, file: Any = None,
                  line: str | None = None) -> None:
    """PHP warnings (``SwooleWarning``) as one line on stderr, like PHP's ``Warning: …``."""
    if issubclass(category, SwooleWarning):
        eprint(f"{PROG}: warning: {message}")
    else:
        eprint(f"{PROG}: {category.__name__}: {message}")


def _setup_diagnostics() -> None:
    warnings.showwarning = _show_warning
    # The library logs Swoole's core-log lines (never configures output): show them here.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{PROG}: swoole log %(levelname)s: %(message)s"))
    logger = logging.getLogger("swoole_compat")
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)


def run(args: Any) -> int:
    """Run the command named by ``args.command`` (None: ``demo``); returns the exit status."""
    _setup_diagnostics()
    command = _command(args.command or "demo")
    try:
        return asyncio.run(command(args))
    except UsageError as exc:
        eprint(f"{PROG}: error: {exc}")
        return EXIT_USAGE
    except ValueError as exc:  # the client refuses CR/LF/NUL in request parts (deviation S1)
        eprint(f"{PROG}: error: {exc}")
        return EXIT_USAGE
    except (SwooleException, SwooleError) as exc:
        eprint(f"{PROG}: {type(exc).__name__} (code {getattr(exc, 'code', 0)}): {exc}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        eprint(f"{PROG}: interrupted")
        return EXIT_INTERRUPTED
