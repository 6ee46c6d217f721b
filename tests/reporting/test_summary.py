"""The campaign summary (dialer/reporting/summary.py): a pure function of list rows' states and results
lines."""

from __future__ import annotations

import pytest

from dialer.core import outcomes as o
from dialer.journal.lines import Event
from dialer.journal.replay import Replay
from dialer.planning.planner import list_row_states
from dialer.reporting.summary import CodeCount, parse_ts, rate, summarise
from tests.helpers.report_campaign import (
    EXPECTED_COUNTS,
    R1_REQUESTS,
    R1_SECONDS,
    R2_REQUESTS,
    R2_SECONDS,
    campaign_lines,
    make_call_list,
    replay_of,
    summary_of,
)


def test_counts_agree_with_the_results_file():
    """Every state is counted as the replayed results file and the list say."""
    s = summary_of()
    assert s.counts == EXPECTED_COUNTS
    assert s.total == sum(EXPECTED_COUNTS.values())
    assert list(s.counts) == list(o.ROW_STATES)


def test_requests_exclude_withdrawn_intents_and_rates_use_each_runs_span():
    """Requests are dial lines minus withdrawn ones; rates are (n - 1) over first-to-last seconds."""
    s = summary_of()
    assert [r.requests for r in s.runs] == [R1_REQUESTS, R2_REQUESTS]
    assert s.requests == R1_REQUESTS + R2_REQUESTS
    assert s.runs[0].rate == pytest.approx((R1_REQUESTS - 1) / R1_SECONDS)
    assert s.rate_last_run == pytest.approx((R2_REQUESTS - 1) / R2_SECONDS)
    assert s.rate_overall == pytest.approx((R1_REQUESTS + R2_REQUESTS - 2) / (R1_SECONDS + R2_SECONDS))
    assert (s.first_request, s.last_request) == ("2026-11-26T20:00:00.000000Z", "2026-11-26T20:11:20.000000Z")


def test_runs_carry_their_end_status():
    """Each run has its start, end, exit status and reason."""
    s = summary_of()
    assert [(r.run, r.status) for r in s.runs] == [("r1", 6), ("r2", 4)]
    assert s.runs[0].reason == "stopped by SIGTERM"


def test_unknown_rows_listed_with_their_time_and_code():
    """Rows 6 (timed out) and 7 (in flight when the process died) are the unknown rows."""
    s = summary_of()
    assert [(r.row, r.cnumber, r.code) for r in s.unknown] == [
        (6, "+15550100006", "timeout"),
        (7, "+15550100007", None),
    ]
    assert s.unknown[1].time == "2026-11-26T20:00:02.500000Z"


def test_attention_lists_unknown_then_failed_then_rejected():
    """Rows needing attention: unknown first, then failed, then rejected (by the switch or the list)."""
    s = summary_of()
    assert [(r.state, r.row) for r in s.attention] == [
        (o.UNKNOWN, 6),
        (o.UNKNOWN, 7),
        (o.FAILED, 5),
        (o.REJECTED, 4),
        (o.REJECTED, 11),
    ]
    assert s.attention[-1].message == "cnumber is not a telephone number"


def test_last_error_is_the_last_run_error_or_failing_run_end():
    """r2's run_ended (status 4) comes after its run_error, so it is the last error."""
    s = summary_of()
    assert s.last_error is not None
    assert (s.last_error.run, s.last_error.event, s.last_error.error) == (
        "r2",
        Event.RUN_ENDED,
        "exit status 4",
    )
    assert "calling window closed" in s.last_error.message


def test_run_error_is_the_last_error_when_the_run_then_ends_cleanly():
    """A run_error followed by a run_ended with status 0 stays the last error."""
    lines = campaign_lines()
    lines[-1] = {**lines[-1], "status": 0}
    s = summary_of(lines)
    assert s.last_error is not None
    assert (s.last_error.event, s.last_error.error) == (Event.RUN_ERROR, "ServiceUnavailable")


def test_codes_per_attempt_and_per_row():
    """Attempt codes count every result line; row codes count each row's final state and code."""
    s = summary_of()
    assert CodeCount(o.RETRY, "503", 3) in s.attempt_codes
    assert CodeCount(o.PLACED, "200", 4) in s.attempt_codes
    assert sum(c.count for c in s.attempt_codes) == 13  # result lines
    assert CodeCount(o.FAILED, "503", 1) in s.row_codes
    assert CodeCount(o.SUPPRESSED, "do-not-call", 1) in s.row_codes
    assert CodeCount(o.UNKNOWN, None, 1) in s.row_codes
    assert sum(c.count for c in s.row_codes) == s.total - s.counts[o.NOT_DIALED]


def test_placed_per_minute():
    """Placements are counted in the UTC minute their result line was written."""
    s = summary_of()
    assert s.placed_per_minute == [
        ("2026-11-26T20:00Z", 2),
        ("2026-11-26T20:10Z", 2),
        ("2026-11-26T20:11Z", 1),
    ]


def test_no_results_yet_everything_not_dialed_except_list_problems():
    """Without a results file the list's rows are not yet dialed, its problems rejected or suppressed."""
    s = summarise(list_row_states(make_call_list(), Replay()), Replay(), [])
    assert s.counts == {
        o.PLACED: 0,
        o.REJECTED: 1,
        o.SUPPRESSED: 2,
        o.FAILED: 0,
        o.UNKNOWN: 0,
        o.NOT_DIALED: 10,
    }
    assert (s.requests, s.rate_last_run, s.rate_overall, s.last_error, s.runs) == (0, None, None, None, [])


def test_sent_rows_no_longer_in_the_list_are_reported():
    """A placed person no longer in the list (row 9 now calls someone else) is counted under not_in_list."""
    cl = make_call_list()
    cl.table.loc[9, "cnumber"] = "+15550109999"  # someone edited row 9 after it was placed
    cl.persons.loc[9] = "+15550109999"
    lines = campaign_lines()
    replay = replay_of(lines)
    s = summarise(list_row_states(cl, replay), replay, lines)
    assert s.not_in_list == {o.PLACED: 1}
    assert s.counts[o.NOT_DIALED] == 2


def test_rate_needs_two_requests_and_elapsed_time():
    """One request, or all in the same instant, gives no rate instead of a division by zero."""
    assert rate(1, "2026-11-26T20:00:00Z", "2026-11-26T20:00:00Z") is None
    assert rate(3, "2026-11-26T20:00:00Z", "2026-11-26T20:00:00Z") is None
    assert rate(3, "2026-11-26T20:00:00Z", "2026-11-26T20:00:04Z") == pytest.approx(0.5)


def test_parse_ts_accepts_z_and_rejects_garbage():
    """Timestamps with Z parse as UTC; anything else is None."""
    assert parse_ts("2026-11-26T20:01:02.345678Z").utcoffset().total_seconds() == 0
    assert parse_ts("yesterday") is None
    assert parse_ts(None) is None
