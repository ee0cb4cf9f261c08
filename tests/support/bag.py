"""The assertion bag: server-side assertions that fail the test at teardown.

Upstream phpt tests run their server in a forked child whose stdout is shared with the client;
``Assert`` there prints a message and carries on, so a failed server-side assertion changes the
output and fails the test. Here the servers run as tasks in the test's event loop, where an
exception raised in a server handler would only kill that handler. The bag restores the upstream
semantics:

* server handlers call ``bag.check(cond, msg)`` / ``bag.same(actual, expected)`` (they return the
  boolean and never raise, like PHP's ``Assert`` with ``throwException=false``), or wrap a block in
  ``with bag.capture():`` to turn any exception inside it into a recorded failure;
* every server in :mod:`support` reports unexpected handler exceptions to the bag it was given;
* the ``assert_bag`` fixture calls :meth:`AssertBag.raise_if_failed` at teardown, so the test
  errors with the list of failures.

Example::

    async def handler(reader, writer):
        head = await read_request_head(reader)
        assert_bag.check(b"hello: swoole" in head.lower(), "header missing")
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Iterator
from typing import Any


class AssertBag:
    """Collects assertion failures raised away from the test body (server handlers, callbacks)."""

    def __init__(self) -> None:
        """Create an empty bag."""
        self.failures: list[str] = []

    def __bool__(self) -> bool:
        """True when at least one failure was recorded."""
        return bool(self.failures)

    def __len__(self) -> int:
        """Number of recorded failures."""
        return len(self.failures)

    def fail(self, message: str) -> None:
        """Record a failure message."""
        self.failures.append(message)

    def check(self, condition: Any, message: str = "assertion failed") -> bool:
        """Record ``message`` unless ``condition`` is truthy; return ``bool(condition)``."""
        ok = bool(condition)
        if not ok:
            self.fail(message)
        return ok

    def same(self, actual: Any, expected: Any, message: str = "") -> bool:
        """PHP ``Assert::same``: record a failure unless ``actual == expected`` (and same type)."""
        ok = type(actual) is type(expected) and actual == expected
        if not ok:
            prefix = f"{message}: " if message else ""
            self.fail(f"{prefix}expected {expected!r}, got {actual!r}")
        return ok

    def eq(self, actual: Any, expected: Any, message: str = "") -> bool:
        """PHP ``Assert::eq``: record a failure unless ``actual == expected``."""
        ok = bool(actual == expected)
        if not ok:
            prefix = f"{message}: " if message else ""
            self.fail(f"{prefix}expected {expected!r}, got {actual!r}")
        return ok

    def add_exception(self, exc: BaseException, where: str = "") -> None:
        """Record an exception (with its traceback) raised at ``where``."""
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()
        self.fail(f"{where}: {text}" if where else text)

    @contextlib.contextmanager
    def capture(self, where: str = "") -> Iterator[None]:
        """Context manager: any ``Exception`` raised inside is recorded and swallowed."""
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - recording is the point
            self.add_exception(exc, where)

    def raise_if_failed(self) -> None:
        """Raise ``AssertionError`` listing every failure, if any were recorded."""
        if self.failures:
            listing = "\n---\n".join(self.failures)
            raise AssertionError(f"{len(self.failures)} server-side assertion(s) failed:\n{listing}")
