"""Pacing at the switch: at most N requests arrive in any window of S seconds, evenly spaced.

Two layers, both waited on by the dispatcher alone (never by one task per row: asyncio-throttle
polls every ``retry_interval``, and thousands of pollers burn a core):

* a schedule of evenly spaced send times, t0 + i * spacing, 1% under the limit. The schedule is
  absolute, so a late wake-up does not push every later request back; slots missed in a stall are
  sent late, up to the headroom, and dropped beyond it (no burst after a long stall). The
  dispatcher wakes at most every 10 ms: slots closer than that go out in small groups, each at
  most a tick late (a wake-up of the event loop costs more CPU than a request on a virtual machine);
* asyncio-throttle's sliding log as a strict guard: never more than N admissions in any window
  0.75% longer than S. Admission is not arrival: requests are delayed unevenly on their way to the
  switch (a new connection, a busy loop), and the margin absorbs about 7.5 ms of that jitter at
  S = 1 s. The schedule runs just slower than the guard (1% against 0.75%), so the guard
  intervenes only after a stall or for a group of slots, never on the steady schedule.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from fractions import Fraction

from asyncio_throttle import Throttler

SCHEDULE_HEADROOM = 0.01  # the schedule runs 1% under the limit
GUARD_MARGIN = 0.0075  # the guard's window is 0.75% (at most 50 ms) longer than the period
CATCH_UP_SLOTS = 4  # after a stall, at least this many missed slots are still sent (back to back)
TICK = 0.01  # the dispatcher wakes at most this often; slots that come in between go out together


def guard_limits(rate: float, period: float) -> tuple[int, float]:
    """A whole number of requests per window that enforces ``rate`` per ``period``.

    asyncio-throttle counts whole admissions, so 0.5 per second becomes 1 per 2 seconds.
    """
    if float(rate).is_integer():
        return int(rate), period
    frac = Fraction(rate).limit_denominator(1000)
    return frac.numerator, period * frac.denominator


class Pacer:
    def __init__(
        self,
        rate: float,
        period: float,
        *,
        stagger: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self.period = period
        self.stagger = stagger
        self._clock = clock
        self._sleep = sleep
        self.spacing = period / rate * (1 + SCHEDULE_HEADROOM)
        count, window = guard_limits(rate, period)
        margin = min(window * GUARD_MARGIN, 0.05)
        self.guard = Throttler(
            rate_limit=count,
            period=window + margin,
            retry_interval=min(0.01, max(0.0005, self.spacing / 4)),
        )
        # Slots missed in a stall (the process descheduled, a slow fsync) are still sent, back to
        # back, up to the schedule's headroom: a window then holds at most about the limit.
        # Beyond that they are dropped, so a long stall is never followed by a burst.
        self.catch_up = max(CATCH_UP_SLOTS, math.floor(count * SCHEDULE_HEADROOM))
        # Every wake-up of the event loop costs CPU (tens of microseconds on a virtual machine, more
        # than the request itself when caches went cold), so below TICK apart slots are sent in
        # small groups, each at most a tick late: still spread over the period, never a burst
        # at its top. The tick stays within the schedule's headroom, so a window holds no more.
        self.tick = min(TICK, window * SCHEDULE_HEADROOM)
        self._lateness = max(self.catch_up * self.spacing, 2 * self.tick)  # beyond: restart
        self._next: float | None = None

    async def slot(self) -> int:
        """Wait for the next send time. Returns the ``delay`` to send with it (stagger mode), else 0."""
        return await (self._staggered_slot() if self.stagger else self._spaced_slot())

    async def _spaced_slot(self) -> int:
        now = self._clock()
        if self._next is None or now - self._next > self._lateness:
            self._next = now
        if self._next > now:
            await self._sleep(max(self._next - now, self.tick))
        await self.guard.acquire()
        self._next += self.spacing
        return 0

    async def _staggered_slot(self) -> int:
        """Send up to one period early, carrying the delay that places the call at its slot.

        Requests may then bunch (still never more than N per window at the switch), while the
        calls themselves are placed one spacing apart: what the far end hears is paced.
        """
        now = self._clock()
        if self._next is None or self._next < now:
            self._next = now
        early = self._next - self.period
        if early > now:
            await self._sleep(early - now)
        await self.guard.acquire()
        delay = max(0, round(self._next - self._clock()))
        self._next += self.spacing
        return delay
