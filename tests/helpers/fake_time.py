"""A clock that moves only when someone sleeps, for the pacing tests (see run/conftest.py)."""

from __future__ import annotations


class FakeTime:
    """A clock that moves only when someone sleeps: the Pacer's and asyncio-throttle's."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)

    def stall(self, seconds: float) -> None:
        self.now += seconds
