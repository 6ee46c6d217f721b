"""Pacing at the switch: at most N requests arrive in any window of S seconds, evenly spaced.

Two layers:

* a schedule of evenly spaced start times, t0 + i * spacing, 1.5% under the limit, waited on by
  the dispatcher alone (``slot``). The schedule is absolute, so a late wake-up does not push every
  later request back; slots missed in a short stall (up to 5% of the period, and at least 8 slots)
  are sent late, and dropped beyond that (no burst after a long stall). The dispatcher wakes at
  most every 10 ms: slots closer than that go out in small groups, each at most a tick late (a
  wake-up of the event loop costs more CPU than a request on a virtual machine);
* asyncio-throttle's sliding log as a strict guard, twice: never more than N requests in any
  window 1.25% longer than S, counted when the dispatcher starts them (in ``slot``: a stagger's
  delay is reckoned after any wait there) and again when each is written (``admit``). A request
  passes the second once its connection is ready, just before its bytes go out: what delays a
  request between its start and its write (a new connection opening, thousands of them at once on
  a busy loop) can no longer bunch it with the next at the switch. The margin absorbs what is
  left after the write: the switch's own delays, which bunch requests in its stamps. The
  schedule runs just slower than the guards (1.5% against 1.25%), so they hold a request back only
  after a stall or a delayed connection, never on the steady schedule; the mean is then 98.5% of
  the limit. Requests wait at the write in line on a lock: only the first polls asyncio-throttle
  (it polls every ``retry_interval``, and thousands of pollers burn a core).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from fractions import Fraction

from asyncio_throttle import Throttler

SCHEDULE_HEADROOM = 0.015  # the schedule runs 1.5% under the limit
GUARD_MARGIN = 0.0125  # the guards' window is 1.25% (at most 50 ms) longer than the period
CATCH_UP_SLOTS = 8  # after a stall, at least this many missed slots are still sent (back to back)
CATCH_UP_SHARE = 0.05  # and up to this share of a period's requests
TICK = 0.01  # the dispatcher wakes at most this often; slots that come in between go out together


def guard_limits(rate: float, period: float) -> tuple[int, float]:
    """A whole number of requests per window that enforces ``rate`` per ``period``.

    asyncio-throttle counts whole admissions, so 0.5 per second becomes 1 per 2 seconds.
    """
    if float(rate).is_integer():
        return int(rate), period
    frac = Fraction(rate).limit_denominator(1000)
    return frac.numerator, period * frac.denominator


class WriteGuard(Throttler):
    """asyncio-throttle's sliding log, for the moments requests are written.

    A request is counted when it passes (``acquire``), once its connection is ready; its bytes go out
    in the next pass of the event loop. Should the loop stall in between (a garbage collection, the
    process descheduled by a busy machine), the request reaches the switch later than it was
    counted, together with those let through after the stall, and a window could hold more than
    the limit. So just before the bytes go out, ``written`` moves the request's entry to that
    moment: the log holds when requests really left, and the next ones are held back accordingly.
    """

    def __init__(self, rate_limit: int, period: float, retry_interval: float, clock: Callable[[], float]):
        super().__init__(rate_limit=rate_limit, period=period, retry_interval=retry_interval)
        self._clock = clock

    def last_admitted(self) -> float:
        """The entry ``acquire`` has just added (read before anything else can run)."""
        return self._task_logs[-1]  # asyncio-throttle 1.0.x: admissions, oldest first

    def written(self, admitted: float) -> None:
        """The request counted at ``admitted`` is being written now."""
        now = self._clock()
        if now <= admitted:
            return
        logs = self._task_logs
        for i in range(len(logs) - 1, -1, -1):  # it is the last entry, or close to it
            if logs[i] is admitted:
                logs[i] = now
                return
            if logs[i] < admitted:
                return


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
        # Each polled by one waiter at a time; never under 1 ms (uvloop's timers are whole
        # milliseconds: a shorter sleep would be no sleep at all).
        retry_interval = min(0.01, max(0.001, self.spacing / 4))
        self.guard = Throttler(rate_limit=count, period=window + margin, retry_interval=retry_interval)
        self.write_guard = WriteGuard(count, window + margin, retry_interval, clock)
        self._write_line = asyncio.Lock()
        # Slots missed in a stall (the process descheduled, a busy loop at 1,000/s with thousands in
        # flight) are still sent, back to back, up to 5% of a period's requests: dropping them costs
        # a loaded machine a visible share of the rate. Past the schedule's headroom a window could
        # then hold more than the limit, so there the guards hold the rest back until the window
        # allows. Beyond 5% they are dropped, so a long stall is never followed by a burst.
        self.catch_up = max(CATCH_UP_SLOTS, math.floor(count * CATCH_UP_SHARE))
        # Every wake-up of the event loop costs CPU (tens of microseconds on a virtual machine, more
        # than the request itself when caches went cold), so below TICK apart slots are sent in
        # small groups, each at most a tick late: still spread over the period, never a burst
        # at its top. The tick stays within the schedule's headroom, so a window holds no more.
        self.tick = min(TICK, window * SCHEDULE_HEADROOM)
        self._lateness = max(self.catch_up * self.spacing, 2 * self.tick)  # beyond: restart
        self._next: float | None = None

    async def slot(self) -> int:
        """Wait for the next start time. Returns the ``delay`` to send with it (stagger mode), else 0."""
        return await (self._staggered_slot() if self.stagger else self._spaced_slot())

    async def admit(self) -> None:
        """Wait until one more request may be written now: at most N in any guarded window. Called
        by the transport once the request's connection is ready; it is written in the next pass of
        the loop, and its entry in the guard moved to that moment, just before (WriteGuard)."""
        async with self._write_line:
            await self.write_guard.acquire()
            admitted = self.write_guard.last_admitted()
        asyncio.get_running_loop().call_soon(self.write_guard.written, admitted)

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
