"""Peak Python memory of a block, for tests that bound what a hostile input may cost."""

from __future__ import annotations

import contextlib
import tracemalloc
from typing import Iterator


class Peak:
    """The peak of traced memory inside a ``with traced() as peak`` block (``peak.bytes``)."""

    bytes = 0


@contextlib.contextmanager
def traced() -> Iterator[Peak]:
    """Peak of traced Python allocations inside the block (client and in-process servers)."""
    peak = Peak()
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        yield peak
    finally:
        peak.bytes = tracemalloc.get_traced_memory()[1] - base
        if started:
            tracemalloc.stop()
