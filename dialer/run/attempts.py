"""Attempts at rows, and the ones waiting for another try.

Only an attempt that placed nothing is tried again (the switch said "not now", the connection never
opened, or the switch's lists showed no call): after a backoff that doubles with each attempt, with
jitter so that refused rows do not come back together, and never sooner than a Retry-After asks.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass

from dialer.campaign.settings import RetryPolicy
from dialer.core import outcomes as o
from dialer.core.policy import Verdict


@dataclass(order=True, frozen=True)
class Attempt:
    """One attempt at one row: its number counts the attempts of this run (a row an earlier run left
    unknown is checked as its attempt 0, so that "absent" gives it attempt 1 here)."""

    row: int
    number: int = 1


class Retries:
    """Attempts due later, earliest first."""

    def __init__(
        self,
        policy: RetryPolicy,
        clock: Callable[[], float],
        rng: random.Random,
        on_change: Callable[[], None],
    ) -> None:
        self._policy = policy
        self._clock = clock
        self._rng = rng
        self._on_change = on_change
        self._due: list[tuple[float, Attempt]] = []
        self.closed = False  # the run is stopping: nothing more is scheduled

    def __len__(self) -> int:
        return len(self._due)

    def settle(self, attempt: Attempt, verdict: Verdict) -> Verdict:
        """A verdict that asks for a retry schedules the next attempt, or, once the attempts are used
        up, becomes a failure; any other verdict is returned as it is."""
        if verdict.outcome != o.RETRY:
            return verdict
        if attempt.number >= self._policy.attempts:
            reason = f"{verdict.reason} (gave up after {attempt.number} attempts)"
            return Verdict(o.FAILED, verdict.code, reason)
        if not self.closed:
            p = self._policy
            backoff = min(p.max_backoff, p.backoff * 2 ** (attempt.number - 1)) * self._rng.uniform(0.5, 1.5)
            backoff = max(backoff, verdict.retry_after or 0.0)
            heapq.heappush(self._due, (self._clock() + backoff, Attempt(attempt.row, attempt.number + 1)))
            self._on_change()
        return verdict

    def take_due(self, limit: int) -> list[Attempt]:
        """Up to ``limit`` attempts whose time has come, earliest first."""
        now = self._clock()
        out = []
        while self._due and self._due[0][0] <= now and len(out) < limit:
            out.append(heapq.heappop(self._due)[1])
        return out

    def push_now(self, attempt: Attempt) -> None:
        """An attempt to make as soon as possible (a row handed back before it was sent)."""
        heapq.heappush(self._due, (self._clock(), attempt))

    def seconds_until_next(self) -> float | None:
        if not self._due:
            return None
        return max(0.0, self._due[0][0] - self._clock())
