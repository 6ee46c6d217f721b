"""Calling a person again on purpose (dialer/planning/recycle.py): who is due for another call and when,
within ``after``, ``attempts`` and ``per_24h``; never someone who answered, or whose outcome is not known."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest

from dialer.calllist.model import CallList
from dialer.campaign.settings import Recycle
from dialer.core.call_outcome import ANSWERED, BUSY, FAILED, NO_ANSWER, NOT_KNOWN
from dialer.journal.replay import replay_lines
from dialer.planning.planner import plan
from dialer.planning.recycle import DAY, next_call_at, why
from dialer.planning.times import unix_time
from tests.helpers.events import call_ended, dial, lines, result

POLICY = Recycle(enabled=True, statuses=("no-answer", "busy"), after=3_600, attempts=3, per_24h=3)
T0 = 1_800_000_000.0


@pytest.mark.parametrize("status", [NO_ANSWER, BUSY])
def test_an_unanswered_call_makes_the_person_due_after_the_delay(status):
    assert next_call_at(POLICY, status, [T0]) == T0 + 3_600


@pytest.mark.parametrize("status", [ANSWERED, NOT_KNOWN, "unknown", None, "", "voicemail"])
def test_an_answered_call_or_an_outcome_not_known_is_never_called_again(status):
    assert next_call_at(POLICY, status, [T0]) is None


def test_failed_is_called_again_only_when_the_campaign_asks_for_it():
    assert next_call_at(POLICY, FAILED, [T0]) is None
    assert next_call_at(Recycle(enabled=True, statuses=("failed",)), FAILED, [T0]) == T0 + 3_600


def test_nothing_is_recycled_without_recycle_or_without_a_placed_call():
    assert next_call_at(Recycle(), NO_ANSWER, [T0]) is None  # [recycle] absent: off
    assert next_call_at(POLICY, NO_ANSWER, []) is None


def test_the_delay_counts_from_the_latest_call_whatever_the_order_given():
    assert next_call_at(POLICY, NO_ANSWER, [T0 + 7_200, T0]) == T0 + 7_200 + 3_600


def test_no_call_beyond_attempts_in_all():
    assert next_call_at(POLICY, NO_ANSWER, [T0, T0 + DAY]) == T0 + DAY + 3_600
    assert next_call_at(POLICY, NO_ANSWER, [T0, T0 + DAY, T0 + 2 * DAY]) is None
    assert next_call_at(Recycle(enabled=True, attempts=1), NO_ANSWER, [T0]) is None


def test_per_24h_holds_the_next_call_until_the_oldest_of_the_last_ones_is_a_day_old():
    policy = Recycle(enabled=True, after=60, attempts=10, per_24h=2)
    assert next_call_at(policy, NO_ANSWER, [T0]) == T0 + 60  # one in the last day: after is enough
    assert next_call_at(policy, NO_ANSWER, [T0, T0 + 60]) == T0 + DAY  # two: the first must leave the day
    assert next_call_at(policy, NO_ANSWER, [T0, T0 + 60, T0 + DAY]) == T0 + 60 + DAY
    one_a_day = Recycle(enabled=True, after=60, attempts=10, per_24h=1)
    assert next_call_at(one_a_day, BUSY, [T0]) == T0 + DAY


@pytest.mark.parametrize("seed", range(40))
def test_calls_made_whenever_allowed_keep_every_cap(seed):
    """Calls placed at (or any time after) the moment each becomes due: never two closer than
    ``after``, never more than ``attempts``, never more than ``per_24h`` in any 24 hours."""
    rng = random.Random(seed)
    policy = Recycle(
        enabled=True,
        after=rng.choice([1, 60, 3_600, 5 * 3_600, 30_000]),
        attempts=rng.randint(1, 12),
        per_24h=rng.randint(1, 5),
    )
    placed = [T0]
    while (at := next_call_at(policy, rng.choice([NO_ANSWER, BUSY]), placed)) is not None:
        assert at >= placed[-1] + policy.after
        placed.append(at + rng.choice([0.0, 0.0, rng.uniform(0, 10_000)]))
        assert len(placed) < 100, "never ends"
    assert len(placed) == policy.attempts
    for i, start in enumerate(placed):
        in_day = [t for t in placed[i:] if t < start + DAY]
        assert len(in_day) <= policy.per_24h, (policy, placed)


def test_the_reason_says_how_the_last_call_ended_and_which_call_this_is():
    reason = why(NO_ANSWER, [T0, T0 + 3_600], POLICY)
    assert "no-answer" in reason and "call 3 of at most 3" in reason and "3600 s" in reason


# -- across runs: a call whose outcome an earlier run did not learn ---------------------------------


def one_person_list() -> CallList:
    table = pd.DataFrame({"snumber": ["100"], "cnumber": ["200"]}, index=pd.Index([2], name="row"))
    persons = pd.Series(["100"], index=table.index, dtype="str")
    columns = ["snumber", "cnumber"]
    return CallList(Path("x.csv"), table, columns, [], [], columns, 1, persons=persons)


def test_a_person_whose_outcome_is_still_to_learn_has_every_earlier_call_counted():
    """Killed before the outcome of its second call was learned: the next run learns it, and must
    know both calls to keep to ``attempts`` (a queue knowing only the last would allow more)."""
    first, second = "2026-12-01T09:00:00.000000Z", "2026-12-01T10:00:00.000000Z"
    history = lines(
        dial(2, ts=first, run="r1"),
        result(2, "placed", run="r1"),
        call_ended(2, "no-answer", placed_run="r1"),
        dial(2, ts=second, run="r2"),
        result(2, "placed", run="r2"),
    )
    p = plan(
        one_person_list(),
        replay_lines(history),
        recycle=POLICY,
        now=unix_time(second, 0.0) + 60,
        outcomes_since="2026-12-01T00:00:00.000000Z",
    )
    assert p.outcomes_pending == [(2, "100")] and p.to_dial == []
    assert p.placed_times["100"] == [unix_time(first, 0.0), unix_time(second, 0.0)]
