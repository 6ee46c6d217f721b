"""Learning what became of each placed call, while a run goes and when it has nothing more to dial.

A placed call is first looked up ``first_look`` after it was placed, when most calls have ended;
every call due at one moment is looked up together, in one window of the switch's records of
finished calls (``CallRecords.finished``), and matched to its record here
(``dialer.core.call_outcome.match``). A call whose record is not there yet (a long call) is looked
up again later, each time twice as long after, and is "not-known" once ``give_up`` has passed.

When the run has nothing more to dial, it asks the switch which calls are still going
(calls/active/list): those that are not have ended, and are looked up at once; the others when they
end, for at most ``wait`` more. Each outcome is one ``call_ended`` line; a call the run could not
wait for is looked up by a later run of the campaign.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dialer.campaign.settings import Outcomes
from dialer.core.call_outcome import NOT_KNOWN, Outcome, PlacedCall, match, not_known, outcome_of
from dialer.journal import lines
from dialer.journal.results_file import Journal, JournalError
from dialer.switch.call_records import CallRecords, Fetched

TICK = 1.0  # seconds between looks at what is due
SLACK = 30.0  # seconds of the switch's clock against ours, on either side of a call's start
ACTIVE_EVERY = 2.0  # seconds between asking which calls are still going, at the end of a run
END_GRACE = 30.0  # seconds a switch may take to write the record of a call it no longer lists


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
    ) -> None:
        self._records = records
        self._settings = settings
        self._journal = journal
        self._on_learned = on_learned
        self._log = log
        self._clock = clock
        self._tracked: dict[object, _Tracked] = {}
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
        if self.given_up is None and not self._stopped:
            self._tracked[tracked.call.key] = tracked

    async def run(self) -> None:
        """Look up what is due, every TICK, until cancelled."""
        while True:
            await asyncio.sleep(TICK)
            await self.look(self._due())

    async def finish(self, deadline: float) -> None:
        """Learn the outcome of every call still tracked, waiting for those still going until they
        end, or until ``deadline`` (Unix time)."""
        for t in self._tracked.values():
            t.next_look = min(t.next_look, self._clock())  # nothing left to dial: ask now
        while self._tracked and not self._stopped and self.given_up is None:
            now = self._clock()
            going = await self._going()
            if going is None:  # the switch cannot say which are going: ask on each call's schedule
                ended = self._due()
            else:
                ended = [t for t in self._tracked.values() if t.call.key not in going]
                for t in ended:
                    t.ended_at = t.ended_at or now
            await self.look(ended, final=now >= deadline)
            if not self._tracked or now >= deadline:
                return
            await asyncio.sleep(min(ACTIVE_EVERY, max(0.0, deadline - now)))

    def _due(self) -> list[_Tracked]:
        now = self._clock()
        return [t for t in self._tracked.values() if t.next_look <= now]

    async def _going(self) -> set[object] | None:
        """The tracked calls the switch says are still going; None when it cannot say."""
        fetched = await self._records.active()
        if fetched.failure is not None:
            return None
        found = match((t.call for t in self._tracked.values()), fetched.records, SLACK)
        return set(found)

    async def look(self, due: list[_Tracked], *, final: bool = False) -> None:
        """Ask for the records of the calls ``due`` (one window each group close in time), write the
        outcomes found, and look again later for the rest (not-known past give up, or when
        ``final``)."""
        if not due or self.given_up is not None:
            return
        for group in _groups(due):
            low = min(t.call.sent_at for t in group) - SLACK
            high = max(t.call.sent_at + t.call.held for t in group) + SLACK
            fetched = await self._records.finished(low, high)
            self._settle(group, fetched, final)

    def _settle(self, group: list[_Tracked], fetched: Fetched, final: bool) -> None:
        found = match((t.call for t in group), fetched.records, SLACK)
        now = self._clock()
        for t in group:
            record = found.get(t.call.key)
            if record is not None:
                self._learned(t, outcome_of(record))
            elif fetched.not_offered:
                self._learned(t, not_known(f"the switch does not tell the outcome: {fetched.failure}"))
            elif final or now >= t.give_up_at or (t.ended_at is not None and now - t.ended_at > END_GRACE):
                why = fetched.failure or "the switch has no record of the call"
                self._learned(t, not_known(f"{why} ({_since(t, now)} after it was placed)", t.call.callid))
            else:
                t.next_look = now + t.wait
                t.wait = min(t.wait * 2, max(1.0, t.give_up_at - now))
        if fetched.not_offered and self.given_up is None:
            self.given_up = fetched.failure
            if self._log is not None:
                self._log.warning(
                    "the switch cannot tell what became of calls: their outcome is not-known",
                    reason=fetched.failure,
                )

    def _learned(self, t: _Tracked, outcome: Outcome) -> None:
        self._tracked.pop(t.call.key, None)
        try:
            self._journal.write(lines.call_ended(t.fields, t.placed_run, t.attempt, outcome))
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
