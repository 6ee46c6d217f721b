"""Learning what became of each placed call, while a run goes and when it has nothing more to dial.

A placed call is due to be looked up ``first_look`` after it was placed, when most calls have ended.
While the run dials, the calls due are looked up together at most once a minute: each look asks for
the switch's records of finished calls in one window of time per group of calls close in time
(``CallRecords.finished``, page by page), and matches them to the calls here
(``dialer.core.call_outcome.match``). A window reaches half a minute either side of its calls (for
the switch's clock), so looking once a second would fetch every record sixty times over; once a
minute, about twice. A group of calls with callids that are few beside the records of their window
(long calls looked up again) is asked about one callid at a time instead. A call whose record is
not there yet is looked up again later, each time twice as long after, and is "not-known" once
``give_up`` has passed since it was placed: never "no-answer", which would have it called again.

When the run has nothing more to dial, it asks the switch which calls are still going
(calls/active/list): those that are not have ended and are looked up at once (a call is not taken
for ended until two seconds past the ``delay`` and ``wait`` it was sent with: it may not have
started); the others when they end, for at most ``wait`` more (looks two seconds apart at first, then
further apart). A call that ended and still has no record half a minute later is not-known. A
call the run could not wait for is looked up by a later run of the campaign. Each outcome is one
``call_ended`` line. A switch that does not offer cdrs/list (or not to this account) makes every
call's outcome not-known, with one warning.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from array import array
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dialer.campaign.settings import Outcomes
from dialer.core.call_outcome import NOT_KNOWN, Outcome, PlacedCall, match, not_known, outcome_of
from dialer.journal import lines
from dialer.journal.results_file import Journal, JournalError
from dialer.switch.call_records import CallRecords, Fetched

TICK = 1.0  # seconds between looks at what is due
SLACK = 30.0  # seconds of the switch's clock against ours, on either side of a call's start
LOOK_EVERY = 2 * SLACK  # while dialing, seconds between two looks at the switch's records at least
ACTIVE_EVERY = 2.0  # seconds between the first looks at the end of a run (then twice as long each)
END_GRACE = 30.0  # seconds a switch may take to write the record of a call it no longer lists
START_GRACE = 2.0  # seconds after its delay and wait a placed call may take to show as going
SENT_KEPT = 100_000  # send times kept before the oldest, no longer needed, are dropped


@dataclass
class _Tracked:
    call: PlacedCall
    fields: dict  # the row fields of its lines (as the call was sent)
    row: int  # the list row holding the person now
    placed_run: str | None
    attempt: int
    next_look: float  # Unix time
    give_up_at: float
    wait: float = field(default=0.0)  # seconds until the look after next
    ended_at: float | None = None  # when the switch first no longer listed it as going


Learned = Callable[[int, str, Outcome], None]  # (row, person, outcome): for recycling


class CallOutcomes:
    def __init__(
        self,
        records: CallRecords,
        settings: Outcomes,
        journal: Journal,
        *,
        on_learned: Learned = lambda row, person, outcome: None,
        log: Any = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """``clock``: Unix time; ``sleep``: how to wait (both the test's own, in tests)."""
        self._records = records
        self._settings = settings
        self._journal = journal
        self._on_learned = on_learned
        self._log = log
        self._clock = clock
        self._sleep = sleep
        self._tracked: dict[object, _Tracked] = {}
        self._sent = array("d")  # when each call tracked was sent, in order: what a window holds
        self._looking = asyncio.Lock()  # one look at a time (the background's, or the end's)
        self._last_look = float("-inf")
        self._active_offered = True
        self._stopped = False
        self.learned = 0
        self.given_up: str | None = None  # why the switch is not asked any more in this run

    @property
    def pending(self) -> int:
        return len(self._tracked)

    def placed(
        self,
        *,
        row: int,
        fields: dict,
        run: str,
        attempt: int,
        sent_at: float,
        held: float,
        callid: str | None,
    ) -> None:
        """A call this run placed: its outcome is to be learned."""
        call = PlacedCall(
            (run, fields.get("person"), attempt), fields["snumber"], fields["cnumber"], sent_at, held, callid
        )
        first, give_up = self._settings.first_look, self._settings.give_up
        self._track(_Tracked(call, fields, row, run, attempt, sent_at + first, sent_at + give_up, first))

    def resume(self, earlier: Iterable[tuple[str, int, dict, str | None, int, float, str | None]]) -> None:
        """Calls earlier runs placed whose outcome was not learned: (record key, row, fields, run,
        attempt, sent at, callid). Looked up now; not-known if the switch has no record of them."""
        now = self._clock()
        for key, row, fields, run, attempt, sent_at, callid in earlier:
            call = PlacedCall((run, key, attempt), fields["snumber"], fields["cnumber"], sent_at, 0.0, callid)
            give_up = max(sent_at + self._settings.give_up, now)
            self._track(_Tracked(call, fields, row, run, attempt, now, give_up, self._settings.first_look))

    def stop(self) -> None:
        self._stopped = True

    def _track(self, tracked: _Tracked) -> None:
        if self._stopped:
            return
        if self.given_up is not None:
            self._learned(tracked, self._not_told(tracked))
            return
        self._tracked[tracked.call.key] = tracked
        bisect.insort(self._sent, tracked.call.sent_at)

    async def run(self) -> None:
        """Look up what is due, at most every LOOK_EVERY, until cancelled."""
        while True:
            await self._sleep(TICK)
            if self._clock() - self._last_look >= LOOK_EVERY:
                await self.look(self._due())

    async def finish(self, deadline: float) -> None:
        """Learn the outcome of every call still tracked, waiting for those still going until they
        end, or until ``deadline`` (Unix time); what is left then is for a later run."""
        now = self._clock()
        for t in self._tracked.values():
            t.next_look = min(t.next_look, now)  # nothing left to dial: ask now
        gap = ACTIVE_EVERY
        while self._tracked and not self._stopped and self.given_up is None:
            now = self._clock()
            await self.look(await self._ended(now))
            if not self._tracked or now >= deadline:
                return
            await self._sleep(min(gap, max(0.0, deadline - now)))
            gap = min(gap * 2, LOOK_EVERY)

    def _due(self) -> list[_Tracked]:
        now = self._clock()
        return [t for t in self._tracked.values() if t.next_look <= now]

    async def _ended(self, now: float) -> list[_Tracked]:
        """The tracked calls to look up now: those the switch no longer lists as going (each first
        seen so is looked up at once, then again a little later), or, when it cannot say, those
        due."""
        going = await self._going()
        if going is None:
            return self._due()
        out = []
        for t in self._tracked.values():
            if t.call.key in going or now < t.call.sent_at + t.call.held + START_GRACE:
                t.ended_at = None  # going, or may not have started yet
                continue
            if t.ended_at is None:
                t.ended_at, t.next_look, t.wait = now, now, ACTIVE_EVERY
            if t.next_look <= now:
                out.append(t)
        return out

    async def _going(self) -> set[object] | None:
        """The tracked calls the switch says are still going; None when it cannot say (the list is
        not offered, did not answer, or holds calls that cannot be told apart: no callid, no
        numbers or no start)."""
        if not self._active_offered:
            return None
        fetched = await self._records.active()
        if fetched.failure is not None:
            self._active_offered = not fetched.not_offered
            return None
        if any(r.callid is None and None in (r.snumber, r.cnumber, r.start) for r in fetched.records):
            return None
        found = match((t.call for t in self._tracked.values()), fetched.records, SLACK)
        return set(found)

    async def look(self, due: list[_Tracked]) -> None:
        """Ask for the records of the calls ``due`` (one window each group close in time, or one
        question a callid), write the outcomes found, and look again later for the rest."""
        async with self._looking:
            due = [t for t in due if self._tracked.get(t.call.key) is t]  # not learned meanwhile
            if not due or self.given_up is not None:
                return
            self._last_look = self._clock()
            self._forget_old_send_times()
            for group in _groups(due):
                if self.given_up is not None:
                    return
                low = min(t.call.sent_at for t in group) - SLACK
                high = max(t.call.sent_at + t.call.held for t in group) + SLACK
                if self._one_by_one(group, low, high):
                    for t in group:
                        call = t.call
                        window = (call.sent_at - SLACK, call.sent_at + call.held + SLACK)
                        self._settle([t], await self._records.finished(*window, callid=call.callid))
                        if self.given_up is not None:
                            return
                else:
                    self._settle(group, await self._records.finished(low, high))

    def _one_by_one(self, group: list[_Tracked], low: float, high: float) -> bool:
        """Whether asking about each call by its callid costs no more requests than the window's
        pages (the records this run's own calls put in it, at least)."""
        if not all(t.call.callid for t in group):
            return False
        in_window = bisect.bisect_right(self._sent, high) - bisect.bisect_left(self._sent, low)
        return len(group) <= max(in_window, len(group)) // self._records.page + 1

    def _forget_old_send_times(self) -> None:
        if len(self._sent) > SENT_KEPT and self._tracked:
            oldest = min(t.call.sent_at for t in self._tracked.values())
            del self._sent[: bisect.bisect_left(self._sent, oldest - 4 * SLACK)]

    def _settle(self, group: list[_Tracked], fetched: Fetched) -> None:
        if fetched.not_offered:
            self._give_up(fetched.failure or "the switch does not offer cdrs/list")
            return
        found = match((t.call for t in group), fetched.records, SLACK)
        now = self._clock()
        for t in group:
            if self._tracked.get(t.call.key) is not t:
                continue
            record = found.get(t.call.key)
            if record is not None:
                self._learned(t, outcome_of(record))
            elif now >= t.give_up_at or (t.ended_at is not None and now - t.ended_at > END_GRACE):
                why = fetched.failure or "the switch has no record of the call"
                self._learned(t, not_known(f"{why} ({_since(t, now)} after it was placed)", t.call.callid))
            else:
                t.next_look = now + t.wait
                t.wait = min(t.wait * 2, max(1.0, t.give_up_at - now))

    def _give_up(self, why: str) -> None:
        """The switch will not tell: every call tracked, and every call placed from now on, is
        not-known (one warning)."""
        self.given_up = why
        if self._log is not None:
            self._log.warning(
                "the switch cannot tell what became of calls: their outcome is not-known", reason=why
            )
        for t in list(self._tracked.values()):
            self._learned(t, self._not_told(t))

    def _not_told(self, t: _Tracked) -> Outcome:
        return not_known(f"the switch does not tell what became of calls: {self.given_up}", t.call.callid)

    def _learned(self, t: _Tracked, outcome: Outcome) -> None:
        self._tracked.pop(t.call.key, None)
        try:
            self._journal.write(
                lines.call_ended(t.fields, t.placed_run, t.attempt, outcome, placed_at=t.call.sent_at)
            )
        except JournalError:
            self._stopped = True  # the journal stays broken: the run stops at its next line
            return
        self.learned += 1
        if outcome.call_status != NOT_KNOWN:
            self._on_learned(t.row, str(t.fields.get("person")), outcome)


def _groups(due: list[_Tracked]) -> list[list[_Tracked]]:
    """Calls close in time, one window each: a gap wider than two slacks starts another window."""
    ordered = sorted(due, key=lambda t: t.call.sent_at)
    groups: list[list[_Tracked]] = []
    for t in ordered:
        if groups and t.call.sent_at - groups[-1][-1].call.sent_at <= 2 * SLACK:
            groups[-1].append(t)
        else:
            groups.append([t])
    return groups


def _since(t: _Tracked, now: float) -> str:
    minutes = (now - t.call.sent_at) / 60
    return f"{minutes:.0f} min" if minutes >= 1 else f"{now - t.call.sent_at:.0f} s"
