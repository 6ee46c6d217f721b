"""Progress (dialer/run/progress.py): numbers that add up, in one order, from where the campaign stood to
the "run ended" numbers; what the run is waiting for, in words; a bar a few times a second, lines under
cron only when something changed."""

from __future__ import annotations

import random

import pytest

from dialer.core import outcomes as o
from dialer.run.progress import (
    BAR_EVERY,
    CHECKS,
    ORDER,
    OUTCOMES,
    RATE,
    RECYCLE,
    RETRY,
    WINDOW,
    Progress,
    Start,
    Tally,
    starting_point,
)
from tests.helpers.log import Log


class FakeClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def counts_text(progress: Progress) -> str:
    """The bar's counts as drawn."""
    return progress._bar.desc


def test_the_bar_is_brought_up_to_date_a_few_times_a_second_and_at_the_end():
    """One update per request: the bar redraws at most every BAR_EVERY, and exactly when forced."""
    clock = FakeClock()
    progress = Progress(1000, bar=True, clock=clock)
    tally = Tally()
    for _ in range(500):  # one per request, all within one BAR_EVERY
        tally.add("placed")
        progress.update(tally)
    assert progress._bar.n == 1  # the first update shows; the rest wait for the next tick
    clock.now += BAR_EVERY
    tally.add("unknown")
    progress.update(tally)
    assert progress._bar.n == 501
    tally.add("failed")
    progress.update(tally, force=True)
    assert progress._bar.n == 502
    assert counts_text(progress) == "placed 500  failed 1  rejected 0  unknown 1  left 498"
    progress.close()


def test_tally_counts_each_outcome_in_its_own_field():
    tally = Tally()
    for outcome in ("placed", "placed", "rejected", "failed", "unknown", "retry", "suppressed"):
        tally.add(outcome)
    assert (tally.placed, tally.rejected, tally.failed, tally.unknown, tally.retries) == (2, 1, 1, 1, 1)


def test_the_counts_always_add_up_to_done_and_left_in_one_order():
    """Whatever the run goes through (retries, unknown rows checked found or absent, people called
    again, rows its window rejects), placed + failed + rejected + unknown is done, done + left is
    the total, always in the order placed, failed, rejected, unknown, left."""
    rng = random.Random(15)
    start = Start(placed=40, failed=3, rejected=2, unknown=1, left=200)
    progress = Progress(start, bar=False)
    tally = Tally()
    placed_rows = 0
    for _ in range(2000):
        step = rng.choice(["placed", "failed", "rejected", "unknown", "retry", "found", "absent", "recycle"])
        if step in ("found", "absent") and tally.unknown:
            tally.resolve(o.PLACED if step == "found" else o.RETRY)
        elif step == "recycle" and placed_rows > tally.recycled:
            tally.recycled += 1
        elif step in ("placed", "failed", "rejected", "unknown", "retry"):
            if sum(progress.counts(tally).values()) - progress.counts(tally)["left"] >= start.total:
                continue  # every row is done: nothing more comes to an end
            tally.add(step)
            placed_rows += step == "placed"
        counts = progress.counts(tally)
        assert tuple(counts) == ORDER
        assert sum(counts.values()) == start.total
        assert all(n >= 0 for n in counts.values()), counts


def test_the_start_is_where_the_campaign_stands_with_the_rows_to_dial_left():
    """A resume: the plan counts rows dialed again (failed, unknown redialed, placed and called again)
    as they stand; the display counts them left, and the rows earlier runs left unknown that the run
    asks about are added as it starts asking. The total is the rows there are to dial."""
    counts = {
        o.PLACED: 50,  # 5 of them called again now ([recycle])
        o.REJECTED: 4,
        o.SUPPRESSED: 6,
        o.FAILED: 7,  # 6 dialed again; 1 is on the do-not-call list now, so not
        o.UNKNOWN: 9,  # 2 redialed (--redial-unknown), 3 asked about
        o.NOT_DIALED: 20,
    }
    to_dial = 20 + 6 + 2 + 5
    start = starting_point(counts, to_dial=to_dial, redial_unknown=2, recycle_now=5, to_check=3)
    assert start == Start(placed=45, failed=1, rejected=4, unknown=4, left=33, to_check=3)
    assert start.total == sum(counts.values()) - counts[o.SUPPRESSED]
    progress = Progress(start, bar=False)
    tally = Tally()
    tally.unknown += 3  # the reconciler counts the rows it asks about as it starts
    assert progress.counts(tally) == {"placed": 45, "failed": 1, "rejected": 4, "unknown": 7, "left": 33}


def test_the_bar_ends_on_the_run_ended_numbers():
    """However the run's own tally went, the last numbers are the run ended line's: rows an earlier
    run left failed and not reached this time are failed again, not left."""
    start = Start(placed=10, failed=0, rejected=1, unknown=0, left=5)  # 2 of the 5 failed before
    progress = Progress(start, bar=True)
    tally = Tally(placed=3)
    progress.update(tally, force=True)
    assert counts_text(progress) == "placed 13  failed 0  rejected 1  unknown 0  left 2"
    ended = {o.PLACED: 13, o.REJECTED: 1, o.SUPPRESSED: 4, o.FAILED: 2, o.UNKNOWN: 0, o.NOT_DIALED: 0}
    progress.finish(ended)
    assert counts_text(progress) == "placed 13  failed 2  rejected 1  unknown 0  left 0"
    assert (progress._bar.n, progress._bar.total) == (16, 16)
    progress.close()


@pytest.mark.parametrize(
    ("what", "seconds", "count", "words"),
    [
        (CHECKS, None, None, "checking unknown rows with the switch's call lists"),
        (OUTCOMES, 600, 12, "waiting for call outcomes: 12 calls still going, until "),
        (WINDOW, 3600, None, "waiting for the calling window to open: next at "),
        (RECYCLE, 45, None, "waiting to call people again ([recycle]): next at "),
        (RETRY, 2, None, "waiting to retry rows the switch turned away: next at "),
        (RATE, 6, None, "waiting for the rate limit: next at "),
    ],
)
def test_a_wait_says_what_it_waits_for(what, seconds, count, words):
    """Each wait in words, with when it ends where that is known."""
    progress = Progress(Start(left=10), bar=False, wall=lambda: 1_800_000_000.0)
    progress.waiting(what, seconds, count)
    assert progress.doing().startswith(words)
    if seconds is not None and what != OUTCOMES:
        assert progress.doing().endswith(f"(in {seconds} s)") or "min" in progress.doing()


def test_dialing_says_the_rate_and_the_time_left():
    clock = FakeClock(0.0)
    progress = Progress(Start(placed=10, left=100), bar=False, rate_limit="10 per 1 s", clock=clock)
    clock.now = 5.0
    progress.update(Tally(placed=50, sent=50))
    assert progress.doing() == "dialing, 10.0 requests/s (limit 10 per 1 s), about 5 s left"


def test_under_cron_a_line_when_a_long_wait_starts_and_otherwise_at_most_every_period():
    """No terminal: counts changing every moment make one line per period; starting to wait for the
    switch's checks makes one at once; nothing changed, no line; the last line is the run ended's."""
    clock = FakeClock(0.0)
    log = Log()
    progress = Progress(Start(left=100), bar=False, log=log, every=10.0, clock=clock)
    tally = Tally()
    for second in range(25):
        clock.now = float(second)
        tally.add(o.PLACED)
        progress.update(tally)
    assert [fields["placed"] for _, _, fields in log.lines] == [11, 21]  # at 10 s and 20 s
    progress.waiting(CHECKS)
    assert log.lines[-1][2]["doing"] == "checking unknown rows with the switch's call lists"
    clock.now = 60.0
    progress.update(tally)
    assert len(log.lines) == 3  # nothing changed since
    progress.finish({o.PLACED: 99, o.FAILED: 1, o.REJECTED: 0, o.UNKNOWN: 0, o.NOT_DIALED: 0})
    last = log.lines[-1][2]
    assert [last[key] for key in ORDER] == [99, 1, 0, 0, 0] and last["doing"] == "finished"
    assert last["done"] == 100 and last["total"] == 100


def test_the_calls_line_gives_the_answer_rate_of_the_calls_whose_outcome_is_known():
    log = Log()
    progress = Progress(Start(left=10), bar=False, log=log)
    tally = Tally(recycled=2)
    for status in ["answered"] * 6 + ["no-answer"] * 2 + ["busy"] * 2:
        tally.call_ended(status)
    progress.update(tally)
    progress.say_calls(learned=11)
    _, event, fields = log.lines[-1]
    assert event == "calls this run"
    assert fields["answer_rate"] == "60%" and fields["not_known"] == 1 and fields["called_again"] == 2
