"""The people a run calls again ([recycle]): those due at the start, those due later in the run, and
those whose calls in this run ended unanswered. Each comes due at the time ``planning.recycle`` says,
and is dialed like any row (its calling window, the pacing), after a ``recycled`` line saying why.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable

from dialer.campaign.settings import Recycle
from dialer.core.call_outcome import Outcome
from dialer.planning.recycle import next_call_at, why


class RecycleQueue:
    def __init__(
        self,
        policy: Recycle,
        placed_times: dict[str, list[float]],
        later: Iterable[tuple[int, str, float, str]] = (),
        wall: Callable[[], float] = time.time,
    ) -> None:
        """``placed_times``: the times each person recycled so far was called (from the plan);
        ``later``: (row, person, when, how their last call ended) of the people due later."""
        self.policy = policy
        self._times = {person: list(times) for person, times in placed_times.items()}
        self._status: dict[str, str] = {}
        self._wall = wall
        self._due: list[tuple[float, int, str]] = []
        self.reasons: dict[int, str] = {}  # row -> why it is called again, until its dial is written
        for row, person, at, status in later:
            self._status[person] = status
            heapq.heappush(self._due, (at, row, person))

    def __len__(self) -> int:
        return len(self._due)

    def placed(self, person: str, at: float) -> None:
        """A call to ``person`` was placed at ``at`` (Unix time)."""
        self._times.setdefault(person, []).append(at)

    def learned(self, row: int, person: str, outcome: Outcome) -> bool:
        """A call's outcome came; True when it makes the person due again (later)."""
        times = self._times.get(person, [])
        at = next_call_at(self.policy, outcome.call_status, times)
        if at is None:
            return False
        self._status[person] = outcome.call_status
        heapq.heappush(self._due, (at, row, person))
        return True

    def take_due(self) -> list[int]:
        """The rows whose person is due now, each with its reason noted."""
        now, rows = self._wall(), []
        while self._due and self._due[0][0] <= now:
            _, row, person = heapq.heappop(self._due)
            times = self._times.get(person, [])
            self.reasons[row] = why(self._status.get(person, "unanswered"), times, self.policy)
            rows.append(row)
        return rows

    def next_at(self) -> float | None:
        """When (Unix time) the next person comes due."""
        return self._due[0][0] if self._due else None
