"""Learning what became of each placed call (dialer/run/call_outcomes.py), against a switch here in the
test and a clock that moves only when the code under test sleeps: calls looked up together in windows,
looked up again later when their record is not there yet, not-known (never no-answer) past give_up or
when the switch cannot tell, the active list at the end of a run, and one call_ended line per call."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from dialer.campaign.settings import Outcomes
from dialer.core.call_outcome import ANSWERED, BUSY, NO_ANSWER, NOT_KNOWN, read_record
from dialer.journal.lines import Event
from dialer.journal.results_file import JournalError
from dialer.run import call_outcomes as co
from dialer.run.call_outcomes import CallOutcomes
from dialer.switch.call_records import Fetched
from tests.helpers.log import Log

pytestmark = pytest.mark.timeout(30)

T0 = 1_800_000_000.0
SETTINGS = Outcomes(first_look=120, give_up=3_600, wait=600)


class Clock:
    """Unix time that moves only when the code under test sleeps; past ``stop_at`` a sleep ends the
    test's run (``Stopped``), so a loop that never ends by itself stops."""

    def __init__(self, now: float = T0) -> None:
        self.now = now
        self.stop_at = float("inf")
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        if self.now > self.stop_at:
            raise Stopped
        await asyncio.sleep(0)


class Stopped(Exception):
    pass


@dataclass
class Call:
    callid: str | None
    snumber: str
    start: float
    end: float
    status: str
    cnumber: str = "100"
    cdr: bool = True  # False: the switch never writes its record

    def record(self) -> dict:
        return {
            "uniqueid": f"{self.callid or self.snumber}-1",
            "callid": self.callid,
            "snumber": self.snumber,
            "cnumber": self.cnumber,
            "start": int(self.start),
            "end": int(self.end),
            "talktime": int(self.end - self.start) if self.status == "answer" else 0,
            "totaltime": int(self.end - self.start),
            "status": self.status,
        }


@dataclass
class Switch:
    """What CallOutcomes asks of CallRecords: finished calls by window (or callid), calls going."""

    clock: Clock
    calls: list[Call] = field(default_factory=list)
    page: int = 500
    asked: list[tuple] = field(default_factory=list)  # ("cdrs", start, end, callid) or ("active",)
    records_returned: int = 0
    cdrs_refused: Fetched | None = None  # answered instead of the records
    active_refused: Fetched | None = None
    active_entries: list[dict] | None = None  # answered instead of the calls going

    async def finished(self, start: float, end: float, callid: str | None = None) -> Fetched:
        self.asked.append(("cdrs", start, end, callid))
        await asyncio.sleep(0)
        if self.cdrs_refused is not None:
            return self.cdrs_refused
        now = self.clock()
        found = [
            read_record(c.record())
            for c in self.calls
            if c.cdr and c.end <= now and start <= c.start <= end and callid in (None, c.callid)
        ]
        self.records_returned += len(found)
        return Fetched(found, 1)

    async def active(self) -> Fetched:
        self.asked.append(("active",))
        await asyncio.sleep(0)
        if self.active_refused is not None:
            return self.active_refused
        if self.active_entries is not None:
            return Fetched([read_record(e) for e in self.active_entries], 1)
        now = self.clock()
        return Fetched([read_record(c.record()) for c in self.calls if c.start <= now < c.end], 1)

    def windows(self) -> list[tuple]:
        return [a for a in self.asked if a[0] == "cdrs"]


class Journal:
    def __init__(self) -> None:
        self.lines: list[tuple[str, dict]] = []
        self.broken = False

    def write(self, line: tuple[str, dict]) -> None:
        if self.broken:
            raise JournalError("the disk is full")
        self.lines.append(line)

    def ended(self) -> list[dict]:
        return [fields for event, fields in self.lines if event == Event.CALL_ENDED]

    def statuses(self) -> dict[str, str]:
        return {f["snumber"]: f["call_status"] for f in self.ended()}


class Harness:
    def __init__(self, settings: Outcomes = SETTINGS) -> None:
        self.clock = Clock()
        self.switch = Switch(self.clock)
        self.journal = Journal()
        self.log = Log()
        self.learned: list[tuple[int, str, str]] = []
        self.outcomes = CallOutcomes(
            self.switch,  # type: ignore[arg-type]
            settings,
            self.journal,  # type: ignore[arg-type]
            on_learned=lambda row, person, outcome: self.learned.append((row, person, outcome.call_status)),
            log=self.log,
            clock=self.clock,
            sleep=self.clock.sleep,
        )
        self._rows = 1

    def place(
        self,
        snumber: str,
        *,
        at: float | None = None,
        lasts: float = 10,
        status: str = "answer",
        callid: str | None = None,
        cdr: bool = True,
        held: float = 0,
    ) -> Call:
        """A call the run placed now (or ``at``), as the switch will list it."""
        at = self.clock() if at is None else at
        self._rows += 1
        fields = {"row": self._rows, "snumber": snumber, "cnumber": "100", "person": f"+1{snumber}"}
        self.outcomes.placed(
            row=self._rows, fields=fields, run="r1", attempt=1, sent_at=at, held=held, callid=callid
        )
        call = Call(callid, snumber, at + held, at + held + lasts, status, cdr=cdr)
        self.switch.calls.append(call)
        return call

    async def run_until(self, stop_at: float) -> None:
        """The background look of a run that is dialing, until the clock reaches ``stop_at``."""
        self.clock.stop_at = stop_at
        with pytest.raises(Stopped):
            await self.outcomes.run()
        self.clock.stop_at = float("inf")


# -- while dialing ----------------------------------------------------------------------------------


async def test_a_call_is_first_looked_up_first_look_after_it_was_placed():
    h = Harness()
    h.place("2125550001", status="noanswer", lasts=30)
    await h.run_until(T0 + 119)
    assert h.switch.asked == [] and h.journal.ended() == []
    await h.run_until(T0 + 122)
    assert h.journal.statuses() == {"2125550001": NO_ANSWER}
    assert h.learned == [(2, "+12125550001", NO_ANSWER)]


async def test_calls_close_in_time_share_one_window_and_distant_ones_get_their_own():
    """One question for the calls of one stretch of time, reaching the slack either side; a gap
    wider than two slacks starts another window."""
    h = Harness()
    for i in range(5):
        h.place(f"212555000{i}", at=T0 + i, held=3)
    h.place("2125559999", at=T0 + 200)
    h.clock.now = T0 + 400
    await h.outcomes.look(h.outcomes._due())
    assert h.switch.windows() == [
        ("cdrs", T0 - co.SLACK, T0 + 4 + 3 + co.SLACK, None),
        ("cdrs", T0 + 200 - co.SLACK, T0 + 200 + co.SLACK, None),
    ]
    assert len(h.journal.ended()) == 6


async def test_while_dialing_the_records_are_fetched_about_twice_per_call_not_once_a_second():
    """A call placed every second for ten minutes, each looked up once it is due: looking once a
    minute asks a window of a minute of calls (plus the slack), not a window a second."""
    h = Harness(Outcomes(first_look=30, give_up=3_600, wait=600))
    h.clock.stop_at = T0 + 700
    background = asyncio.create_task(h.outcomes.run())
    placed = 0
    while h.clock() < T0 + 600:
        h.place(f"21255{placed:05d}", lasts=5)
        placed += 1
        before = h.clock()
        while h.clock() == before:  # the background sleeps a second, and looks when it is time
            await asyncio.sleep(0)
    with pytest.raises(Stopped):
        await background
    assert len(h.journal.ended()) == placed == 600
    assert len(h.switch.windows()) <= 600 / co.LOOK_EVERY + 2
    assert h.switch.records_returned <= 3 * placed  # once a second, it would be about sixty times


async def test_a_call_not_yet_listed_is_looked_up_again_each_time_twice_as_long_after():
    h = Harness(Outcomes(first_look=10, give_up=3_600, wait=600))
    call = h.place("2125550001", status="busy", lasts=1_000)  # a record only at T0 + 1000
    looks = []
    for _ in range(8):
        due = h.outcomes._due()
        if due:
            looks.append(h.clock() - T0)
            await h.outcomes.look(due)
        h.clock.now += 1
        if h.journal.ended():
            break
        h.clock.now = min(t.next_look for t in h.outcomes._tracked.values())
    assert looks[:5] == [10, 20, 40, 80, 160]
    h.clock.now = call.end + 1
    await h.outcomes.look(h.outcomes._due() or list(h.outcomes._tracked.values()))
    assert h.journal.statuses() == {"2125550001": BUSY}


async def test_a_call_the_switch_has_no_record_of_is_not_known_after_give_up_never_no_answer():
    h = Harness(Outcomes(first_look=10, give_up=100, wait=600))
    h.place("2125550001", cdr=False, lasts=5, status="noanswer", callid="7.1")
    h.place("2125550002", lasts=5, status="noanswer")
    await h.run_until(T0 + 99)
    assert h.journal.statuses() == {"2125550002": NO_ANSWER}
    await h.run_until(T0 + 170)
    ended = {f["snumber"]: f for f in h.journal.ended()}
    assert ended["2125550001"]["call_status"] == NOT_KNOWN
    assert ended["2125550001"]["callid"] == "7.1" and ended["2125550001"]["switch_status"] is None
    assert "no record" in ended["2125550001"]["reason"]
    assert [status for _, _, status in h.learned] == [NO_ANSWER]  # not-known is nobody's to recycle
    assert h.outcomes.pending == 0


async def test_a_few_calls_with_callids_among_many_records_are_asked_about_one_by_one():
    """Long calls looked up again, few beside the records of their stretch of time: a question each
    (by callid) costs less than paging through the window."""
    h = Harness(Outcomes(first_look=10, give_up=3_600, wait=600))
    for i in range(2_000):  # calls of this run in the same minute: 4 pages of records
        h.place(f"21255{i:05d}", at=T0 + i * 0.02, lasts=1, callid=f"1.{i}")
    h.clock.now = T0 + 60
    await h.outcomes.look(h.outcomes._due())
    assert len(h.switch.windows()) == 1 and h.outcomes.pending == 0
    long_ones = [h.place(f"2125{i:06d}", at=T0 + 30 + i, lasts=1_000, callid=f"2.{i}") for i in range(3)]
    h.clock.now = long_ones[-1].end + 1
    h.switch.asked.clear()
    await h.outcomes.look(h.outcomes._due())
    assert sorted(a[3] for a in h.switch.windows()) == ["2.0", "2.1", "2.2"]
    assert h.outcomes.pending == 0


async def test_a_switch_that_does_not_offer_cdrs_makes_every_outcome_not_known_with_one_warning():
    h = Harness(Outcomes(first_look=10, give_up=3_600, wait=600))
    h.switch.cdrs_refused = Fetched([], 1, "cdrs/list answered 404", not_offered=True)
    h.place("2125550001", at=T0)
    h.place("2125550002", at=T0 + 500)  # another window, not due yet
    await h.run_until(T0 + 20)
    assert h.journal.statuses() == {"2125550001": NOT_KNOWN, "2125550002": NOT_KNOWN}
    h.place("2125550003")  # placed after: not-known at once, nothing asked
    asked = len(h.switch.asked)
    await h.run_until(T0 + 200)
    assert len(h.switch.asked) == asked
    assert h.journal.statuses()["2125550003"] == NOT_KNOWN
    assert all("404" in f["reason"] for f in h.journal.ended())
    warnings = [e for level, e, _ in h.log.lines if level == "warning"]
    assert warnings == ["the switch cannot tell what became of calls: their outcome is not-known"]
    assert h.learned == []


async def test_a_lookup_that_fails_decides_nothing_and_is_asked_again():
    h = Harness(Outcomes(first_look=10, give_up=3_600, wait=600))
    h.place("2125550001", status="noanswer", lasts=1)
    h.switch.cdrs_refused = Fetched([], 1, "cdrs/list: timeout")
    await h.run_until(T0 + 12)
    assert h.journal.ended() == [] and h.outcomes.pending == 1
    h.switch.cdrs_refused = None
    await h.run_until(T0 + 12 + co.LOOK_EVERY + 1)
    assert h.journal.statuses() == {"2125550001": NO_ANSWER}


async def test_earlier_runs_calls_are_looked_up_at_once():
    h = Harness()
    h.switch.calls.append(Call("5.5", "2125550009", T0 - 900, T0 - 880, "busy"))
    fields = {"row": 9, "snumber": "2125550009", "cnumber": "100", "person": "+12125550009"}
    h.outcomes.resume([("+12125550009", 9, fields, "r0", 2, T0 - 900, "5.5")])
    await h.run_until(T0 + 1.5)
    (line,) = h.journal.ended()
    assert (line["call_status"], line["placed_run"], line["attempt"], line["row"]) == (BUSY, "r0", 2, 9)


async def test_a_results_file_that_cannot_be_written_stops_the_lookups():
    h = Harness(Outcomes(first_look=10, give_up=3_600, wait=600))
    h.place("2125550001", lasts=1)
    h.journal.broken = True
    await h.run_until(T0 + 12)
    h.place("2125550002", lasts=1)  # placed after: not tracked
    assert h.outcomes.pending == 0 and h.learned == []


# -- the end of a run -------------------------------------------------------------------------------


async def test_at_the_end_ended_calls_are_looked_up_at_once_and_calls_going_when_they_end():
    h = Harness()  # first_look 120: none would be due yet
    h.place("2125550001", at=T0 - 60, lasts=50, status="answer", callid="1.1")
    h.place("2125550002", at=T0 - 60, lasts=75, status="noanswer", callid="1.2")
    h.place("2125550003", at=T0 - 60, lasts=50, status="busy", callid="1.3")
    await h.outcomes.finish(deadline=T0 + 600)
    assert h.journal.statuses() == {"2125550001": ANSWERED, "2125550002": NO_ANSWER, "2125550003": BUSY}
    learned_at = {f["snumber"]: f for f in h.journal.ended()}
    assert h.clock() - T0 <= 30  # the call going was learned soon after it ended (T0 + 15)
    assert learned_at["2125550002"]["placed_at"].startswith("2027-01-15T07:")  # T0 - 60 in UTC
    assert h.switch.asked[0] == ("active",)


async def test_a_call_still_going_when_the_wait_is_over_is_left_to_a_later_run():
    h = Harness(Outcomes(first_look=120, give_up=3_600, wait=60))
    h.place("2125550001", at=T0 - 10, lasts=5, status="answer")
    h.place("2125550002", at=T0 - 10, lasts=3_000, status="answer")
    await h.outcomes.finish(deadline=T0 + 60)
    assert h.journal.statuses() == {"2125550001": ANSWERED}
    assert h.outcomes.pending == 1  # no line: a later run of the campaign learns it
    assert T0 + 60 <= h.clock() <= T0 + 61


async def test_a_call_that_ended_and_never_gets_a_record_is_not_known_soon_after():
    h = Harness()
    h.place("2125550001", at=T0 - 10, lasts=5, cdr=False)
    await h.outcomes.finish(deadline=T0 + 600)
    assert h.journal.statuses() == {"2125550001": NOT_KNOWN}
    assert h.clock() - T0 <= co.END_GRACE + co.LOOK_EVERY


async def test_a_call_just_placed_is_not_taken_for_ended_before_it_can_show_as_going():
    """A call sent with a delay starts later: not listed as going yet is not "ended"."""
    h = Harness()
    h.place("2125550001", at=T0, held=100, lasts=5, status="busy")  # starts at T0 + 100
    await h.outcomes.finish(deadline=T0 + 600)
    assert h.journal.statuses() == {"2125550001": BUSY}


async def test_without_the_active_list_the_end_looks_up_on_each_calls_schedule():
    h = Harness(Outcomes(first_look=10, give_up=3_600, wait=600))
    h.switch.active_refused = Fetched([], 1, "calls/active/list answered 404", not_offered=True)
    h.place("2125550001", at=T0 - 5, lasts=40, status="noanswer")
    await h.outcomes.finish(deadline=T0 + 600)
    assert h.journal.statuses() == {"2125550001": NO_ANSWER}
    assert h.switch.asked.count(("active",)) == 1  # not offered: not asked again


async def test_an_active_list_whose_calls_cannot_be_told_apart_is_not_believed():
    """Legs without callid or numbers say nothing of which calls go on: no call is taken as ended
    (and so not-known) because of them."""
    h = Harness(Outcomes(first_look=10, give_up=3_600, wait=600))
    h.switch.active_entries = [{"uniqueid": "x-1", "answered": 0}]
    h.place("2125550001", at=T0 - 5, lasts=100, status="answer", callid="1.1")
    await h.outcomes.finish(deadline=T0 + 600)
    assert h.journal.statuses() == {"2125550001": ANSWERED}


async def test_a_call_is_written_once_when_the_background_and_the_end_look_at_the_same_time():
    h = Harness(Outcomes(first_look=0, give_up=3_600, wait=600))
    for i in range(20):
        h.place(f"21255500{i:02d}", at=T0 - 100, lasts=1, callid=f"1.{i}")
    h.clock.stop_at = T0 + 100
    background = asyncio.create_task(h.outcomes.run())
    await asyncio.gather(h.outcomes.finish(deadline=T0 + 50), h.outcomes.look(h.outcomes._due()))
    background.cancel()
    await asyncio.gather(background, return_exceptions=True)
    assert len(h.journal.ended()) == 20
    assert len({f["snumber"] for f in h.journal.ended()}) == 20
