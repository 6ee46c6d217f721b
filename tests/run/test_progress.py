"""Progress (dialer/run/progress.py): the bar's counts follow the tally a few times a second, and exactly at
the end."""

from __future__ import annotations

from dialer.run.progress import BAR_EVERY, Progress, Tally


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_bar_is_brought_up_to_date_a_few_times_a_second_and_at_the_end():
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
    assert progress._bar.postfix is not None and "unknown=1" in progress._bar.postfix
    progress.close()


def test_tally_counts_each_outcome_in_its_own_field():
    tally = Tally()
    for outcome in ("placed", "placed", "rejected", "failed", "unknown", "retry", "suppressed"):
        tally.add(outcome)
    assert (tally.placed, tally.rejected, tally.failed, tally.unknown, tally.retries) == (2, 1, 1, 1, 1)
