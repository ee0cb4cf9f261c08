"""swoole_compat: an asyncio port of PHP Swoole's coroutine HTTP/WebSocket client.

The top level holds what PHP code finds in the global namespace: every Swoole constant
(``SWOOLE_*``, ``WEBSOCKET_*``, ``SOCKET_E*``), the exception/warning classes and
``swoole_strerror``.  Importing it is cheap: the client lives in submodules that are only
loaded when asked for.

Submodules:

* :mod:`swoole_compat.coroutine` - ``run()``, ``go()``, the ``Socket`` wrapper;
* :mod:`swoole_compat.coroutine.http` - ``Client``, ``ClientException``, ``request``/``get``/
  ``post``, ``ClientProxy``;
* :mod:`swoole_compat.websocket` - ``Frame``, ``CloseFrame``;
* :mod:`swoole_compat.constants` / :mod:`swoole_compat.errors` - the definitions re-exported here.
"""

from __future__ import annotations

from . import constants
from .constants import *  # noqa: F403  (the exact upstream names, listed in constants.__all__)
from .errors import (
    ClientException,
    SwooleError,
    SwooleException,
    SwooleWarning,
    swoole_strerror,
)

# The one place the version is defined: pyproject.toml reads it (dynamic version), the command
# line prints it (`swoole-compat --version`), and CHANGELOG.md has a section for each release.
__version__ = "0.1.0"

# The client and coroutine subpackages are deliberately not imported here, so that
# ``import swoole_compat`` for a constant does not pull in h11/wsproto/asyncio machinery.

__all__ = [
    "ClientException",
    "SwooleError",
    "SwooleException",
    "SwooleWarning",
    "swoole_strerror",
]
__all__ += constants.__all__
