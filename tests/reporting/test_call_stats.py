"""Whom the campaign reached (dialer/reporting/call_stats.py), from the report tests' campaign with what
became of its placed calls added: rows 2, 3 (run r1) and 8, 9, 10 (run r2) were placed."""

from __future__ import annotations

from collections import Counter
from zoneinfo import ZoneInfo

from dialer.planning.planner import list_row_states
from dialer.reporting.call_stats import (
    CallTally,
    RecycleWaiting,
    answers_by_hour,
    call_stats,
    percentile,
)
from dialer.reporting.rows import row_table
from dialer.reporting.summary import row_line
from tests.helpers.report_campaign import (
    RECYCLE,
    campaign_lines,
    make_call_list,
    replay_of,
    summary_of,
    with_outcomes,
)


def stats_of(lines: list[dict], **kwargs):
    replay = replay_of(lines)
    return call_stats(CallTally.of(replay.tally), row_table(make_call_list(), replay), **kwargs)


def test_calls_by_status_count_every_placed_call_and_those_still_waiting():
    """Five placed calls: two answered, one no answer, one busy, one whose outcome is to be learned."""
    s = stats_of(with_outcomes())
    assert s.calls == {"answered": 2, "no-answer": 1, "busy": 1, "failed": 0, "not-known": 0, "waiting": 1}
    assert list(s.calls) == ["answered", "no-answer", "busy", "failed", "not-known", "waiting"]


def test_answer_rate_over_rows_whose_outcome_is_known():
    """Reached 2 (rows 2, 3), not reached 2 (rows 8, 9); row 10, still waiting, is neither."""
    s = stats_of(with_outcomes())
    assert (s.reached, s.not_reached, s.answer_rate) == (2, 2, 0.5)


def test_no_outcome_learned_gives_no_rate():
    s = stats_of(campaign_lines())
    assert (s.reached, s.not_reached, s.answer_rate, s.talk_median_s) == (0, 0, None, None)
    assert s.calls["waiting"] == 5


def test_talk_time_median_and_90th_percentile_over_answered_calls():
    assert percentile(Counter({30.0: 1, 90.0: 1}), 0.5) == 30.0
    assert percentile(Counter({float(s): 1 for s in range(1, 11)}), 0.9) == 9.0
    assert percentile(Counter(), 0.5) is None
    s = stats_of(with_outcomes())
    assert (s.talk_median_s, s.talk_p90_s) == (30.0, 90.0)


def test_answers_by_hour_in_the_campaigns_zone():
    """Rows 2 and 3 were placed at 20:00 UTC: 15:00 in New York (EST in November), 01:30 in Kolkata."""
    assert stats_of(with_outcomes()).answers_by_hour[20] == 2
    new_york = stats_of(with_outcomes(), zone=ZoneInfo("America/New_York")).answers_by_hour
    assert new_york[15] == 2 and sum(new_york) == 2
    assert answers_by_hour(Counter({"2026-11-26T20:00": 3}), ZoneInfo("Asia/Kolkata"))[1] == 3


def test_recycle_waiting_lists_the_unanswered_soonest_first():
    """With [recycle], rows 8 (no answer) and 9 (busy) are called again an hour after their call."""
    s = stats_of(with_outcomes(), recycle=RECYCLE)
    assert s.recycle_waiting == [
        RecycleWaiting(8, "201", "+15550100008", "2026-11-26T21:10:30.000000Z", "no-answer", 1),
        RecycleWaiting(9, "202", "+15550100009", "2026-11-26T21:10:40.000000Z", "busy", 1),
    ]
    assert stats_of(with_outcomes()).recycle_waiting == []  # no [recycle]: nobody is called again


def test_summary_carries_the_call_stats_and_each_rows_call():
    """The summary holds these figures; a row's line its person's calls, latest status and talk."""
    lines = with_outcomes()
    assert summary_of(lines).call_stats == stats_of(lines)
    replay = replay_of(lines)
    row2 = next(row_line(st) for st in list_row_states(make_call_list(), replay) if st.row == 2)
    assert (row2.call_status, row2.talk_s, row2.calls) == ("answered", 30.0, 1)
