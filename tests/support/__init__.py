"""Shared test infrastructure for the ``swoole_compat`` test-suite.

Everything here runs on loopback (127.0.0.1, ``::1``) or UNIX sockets only, in the test's own
event loop. None of it imports ``swoole_compat``: the servers are written independently of the
client so that tests never validate the client with its own code (the one exception is
:mod:`support.helpers`, whose ``http_request`` family is a port of upstream's *client-side* test
helpers and therefore drives the client under test).

``tests/conftest.py`` puts ``tests/`` on ``sys.path``, so test modules import this package as
``support``::

    from support.raw import raw_server, read_request_head, trickle
    from support.ws import OP_TEXT, WSConnection
    from support.helpers import MAX_REQUESTS, safe_random

Modules (one concern each):

* :mod:`support.listener`  - the loopback accept loop shared by every server (TCP 127.0.0.1 /
  ``::1``, UNIX, TLS, delayed TLS, connection records, ``kill()``).
* :mod:`support.http1`     - minimal HTTP/1.1 wire parsing and serialising for scripted servers.
* :mod:`support.raw`       - RAW: the scripted TCP server.
* :mod:`support.http`      - SHS/HB: aiohttp.web apps (upstream ``api/http_server.php`` routes,
  httpbin-like routes) and their runner.
* :mod:`support.ws`        - WSF: the raw-frame WebSocket server and its frame codec.
* :mod:`support.tls`       - trustme / cryptography certificate material and SNI recording.
* :mod:`support.proxy`     - HTTP CONNECT / absolute-form proxy and SOCKS5 proxy.
* :mod:`support.blackhole` - a loopback address whose TCP connect hangs.
* :mod:`support.bag`       - the assertion bag collecting server-side failures.
* :mod:`support.helpers`   - constants, random data, timing checks, upstream ``httpRequest``.
* :mod:`support.fuzz_inputs` - Hypothesis strategies for hostile responses and WebSocket frame
  streams (``tests/unit/test_fuzz.py``, ``tools/fuzz.py``).

See ``tests/support/README.md`` for the fixture table.
"""
