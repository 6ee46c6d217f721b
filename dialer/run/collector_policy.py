"""The cyclic garbage collector during bulk work that makes no reference cycles.

Replaying a results file, planning a long campaign and rebuilding a checkpoint or a cached list each
allocate hundreds of thousands of objects amid a million live ones, none of them in a cycle: the
collector would only rescan the growing heap again and again (measured: an eighth of a million-line
replay, half of a 1M-row plan).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside the block; the collector is left as it was found."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
