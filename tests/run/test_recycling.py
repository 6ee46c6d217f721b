"""The people a run calls again (dialer/run/recycling.py), and the run that calls them
(dialer/run/runner.py's recycle wiring), against a switch in this process: due after ``after`` and
never sooner, within ``attempts``; never after an answer; a run that goes on while the next is due
before it must stop, and otherwise exits 10 saying when."""

from __future__ import annotations

import pytest

from dialer.campaign.settings import Recycle
from dialer.core import exitcodes
from dialer.core.call_outcome import ANSWERED, BUSY, NO_ANSWER, NOT_KNOWN, Outcome
from dialer.run.recycling import RecycleQueue
from tests.helpers.outcomes import (
    NUMBERS,
    ListingSwitch,
    call_ended_lines,
    placed_attempts,
    recycling_run,
)

pytestmark = pytest.mark.timeout(60)

T0 = 1_800_000_000.0
POLICY = Recycle(enabled=True, after=600, attempts=3, per_24h=3)


def ended(status: str) -> Outcome:
    return Outcome(status, status, None, None, None, None, "test")


class Wall:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def test_an_unanswered_person_is_due_after_the_delay_with_the_reason_noted():
    wall = Wall()
    queue = RecycleQueue(POLICY, {}, wall=wall)
    queue.placed("+1", T0)
    assert queue.learned(2, "+1", ended(NO_ANSWER)) is True
    assert queue.next_at() == T0 + 600 and len(queue) == 1
    wall.now = T0 + 599
    assert queue.take_due() == []
    wall.now = T0 + 600
    assert queue.take_due() == [2] and queue.next_at() is None
    assert "no-answer" in queue.reasons[2] and "call 2 of at most 3" in queue.reasons[2]


@pytest.mark.parametrize("status", [ANSWERED, NOT_KNOWN, "unknown"])
def test_an_answer_or_an_outcome_not_known_never_makes_anyone_due(status):
    queue = RecycleQueue(POLICY, {}, wall=Wall())
    queue.placed("+1", T0)
    assert queue.learned(2, "+1", ended(status)) is False
    assert queue.next_at() is None


def test_a_person_called_attempts_times_is_not_due_again():
    queue = RecycleQueue(POLICY, {"+1": [T0 - 7_200, T0 - 3_600]}, wall=Wall())
    queue.placed("+1", T0)
    assert queue.learned(2, "+1", ended(BUSY)) is False


def test_a_person_whose_calls_are_not_known_here_is_not_made_due():
    """Without the times of the person's calls the caps cannot be kept: nobody is guessed due."""
    queue = RecycleQueue(POLICY, {}, wall=Wall())
    assert queue.learned(2, "+1", ended(NO_ANSWER)) is False


def test_people_due_later_when_the_run_starts_come_due_in_time_order():
    wall = Wall()
    later = [(5, "+5", T0 + 50, BUSY), (3, "+3", T0 + 10, NO_ANSWER)]
    queue = RecycleQueue(POLICY, {"+5": [T0 - 600], "+3": [T0 - 600]}, later, wall=wall)
    assert queue.next_at() == T0 + 10
    wall.now = T0 + 60
    assert queue.take_due() == [3, 5]
    assert "busy" in queue.reasons[5] and "no-answer" in queue.reasons[3]


def test_per_24h_holds_a_person_back_beyond_after():
    queue = RecycleQueue(Recycle(enabled=True, after=60, attempts=5, per_24h=2), {"+1": [T0]}, wall=Wall())
    queue.placed("+1", T0 + 60)
    assert queue.learned(2, "+1", ended(NO_ANSWER)) is True
    assert queue.next_at() == T0 + 86_400


# -- a run that recycles (in this process) ------------------------------------------------------------


def test_a_run_with_time_left_calls_the_unanswered_again_and_never_the_answered(tmp_path):
    """--max-duration leaves time: no-answer and busy people are called again ``after`` later (never
    sooner), up to ``attempts``; the person who answered is called once; each call has its line."""
    switch = ListingSwitch({NUMBERS[0]: ["noanswer"] * 5, NUMBERS[1]: ["busy", "answer"]})
    status, results = recycling_run(tmp_path, switch, {"after": 1, "attempts": 3}, max_duration=40.0)
    assert status == exitcodes.OK
    calls = {n: switch.times_of(n) for n in NUMBERS}
    assert [len(calls[n]) for n in NUMBERS] == [3, 2, 1]
    for times in calls.values():
        assert all(b - a >= 1 for a, b in zip(times, times[1:], strict=False)), times
    recycled = [line for line in results if line["event"] == "recycled"]
    assert sorted(line["snumber"] for line in recycled) == [NUMBERS[0], NUMBERS[0], NUMBERS[1]]
    assert all("call " in line["reason"] and "after the last" in line["reason"] for line in recycled)
    placed, ended_lines = placed_attempts(results), call_ended_lines(results)
    assert len(placed) == len(ended_lines) == len(switch.calls) == 6
    assert sorted(line["callid"] for line in ended_lines) == sorted(c["callid"] for c in switch.calls)


def test_with_nothing_left_but_people_due_later_the_run_exits_10_saying_when(tmp_path):
    switch = ListingSwitch({NUMBERS[0]: ["noanswer"] * 5})
    status, results = recycling_run(tmp_path, switch, {"after": 3_600})
    assert status == exitcodes.RECYCLE_LATER
    (run_ended,) = [line for line in results if line["event"] == "run_ended"]
    assert run_ended["status"] == 10 and "due at 20" in run_ended["reason"]
    assert "UTC" in run_ended["reason"]
    assert len(switch.calls) == 3 and len(call_ended_lines(results)) == 3


def test_wait_for_recycle_sleeps_until_the_next_is_due_and_carries_on(tmp_path):
    switch = ListingSwitch({NUMBERS[2]: ["busy", "busy", "busy"]})
    status, results = recycling_run(tmp_path, switch, {"after": 2, "attempts": 3}, wait_for_recycle=True)
    assert status == exitcodes.OK
    assert len(switch.times_of(NUMBERS[2])) == 3
    assert len(call_ended_lines(results)) == 5


def test_a_calling_window_still_open_when_the_next_is_due_keeps_the_run_going(tmp_path):
    """The window is the run's stop: a person due before it closes is waited for, no flag needed."""
    switch = ListingSwitch({NUMBERS[1]: ["noanswer", "answer"]})
    window = '[window]\ntimezone = "UTC"\nhours = "00:00-24:00"\n'
    status, results = recycling_run(tmp_path, switch, {"after": 1}, extra=window)
    assert status == exitcodes.OK
    assert len(switch.times_of(NUMBERS[1])) == 2 and len(call_ended_lines(results)) == 4
