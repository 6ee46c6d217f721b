"""Which event loop a run goes on: uvloop's where it is installed, else asyncio's own.

A run is CPU-bound on one core at full speed: aiohttp's work per request is most of it, and on
uvloop (libuv's sockets, timers and callbacks in C) the same requests cost measurably less
(docs/benchmarks.md). Nothing in dialer depends on which loop runs it: errors reach the transport
as aiohttp's own exceptions either way, and every timer it sets is a millisecond or longer
(uvloop's clock and timers have millisecond resolution).

``DIALER_EVENT_LOOP=asyncio`` runs on asyncio's loop instead (for comparing, or if uvloop were
ever suspected of a fault); an unknown value is refused rather than guessed at.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

ENV = "DIALER_EVENT_LOOP"
CHOICES = ("uvloop", "asyncio")


class EventLoopError(Exception):
    """DIALER_EVENT_LOOP names no loop dialer knows."""


def chosen_loop(environ: dict[str, str] | None = None) -> str:
    """'uvloop' or 'asyncio': what the environment asks for, uvloop when it says nothing and
    uvloop can be imported."""
    wanted = (os.environ if environ is None else environ).get(ENV, "").strip().lower()
    if wanted and wanted not in CHOICES:
        raise EventLoopError(f"{ENV}={wanted!r}: use one of {', '.join(CHOICES)}")
    if wanted == "asyncio":
        return "asyncio"
    try:
        import uvloop  # noqa: F401
    except ImportError:
        if wanted == "uvloop":
            raise EventLoopError(f"{ENV}=uvloop, but uvloop is not installed") from None
        return "asyncio"
    return "uvloop"


def run(main: Coroutine[Any, Any, T], loop: str | None = None) -> T:
    """asyncio.run on the chosen loop."""
    if (loop or chosen_loop()) == "uvloop":
        import uvloop

        return uvloop.run(main)
    return asyncio.run(main)
