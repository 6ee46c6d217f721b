"""The campaign summary (dialer/reporting/summary.py): a pure function of list rows' states and results
lines."""

from __future__ import annotations

import pytest

from dialer.calllist.model import RowProblem
from dialer.core import outcomes as o
from dialer.journal.lines import Event
from dialer.journal.replay import Replay, replay_lines
from dialer.planning.planner import not_in_list
from dialer.reporting.rows import row_table
from dialer.reporting.summary import CodeCount, parse_ts, rate, summarise
from tests.helpers.call_lists import make_list
from tests.helpers.events import dial, lines, result
from tests.helpers.report_campaign import (
    EXPECTED_COUNTS,
    R1_REQUESTS,
    R1_SECONDS,
    R2_REQUESTS,
    R2_SECONDS,
    campaign_lines,
    found_placed,
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


def test_attention_lists_unknown_then_failed_then_rejected_then_not_dialed():
    """Rows needing attention: unknown first, then failed, rejected (by the switch or the list), and the
    rows not yet dialed, each state counted."""
    s = summary_of()
    assert [(r.state, r.row) for r in s.attention] == [
        (o.UNKNOWN, 6),
        (o.UNKNOWN, 7),
        (o.FAILED, 5),
        (o.REJECTED, 4),
        (o.REJECTED, 11),
        (o.NOT_DIALED, 14),
    ]
    assert s.attention[-2].message == "cnumber is not a telephone number"
    assert s.attention_counts == {o.UNKNOWN: 2, o.FAILED: 1, o.REJECTED: 2, o.NOT_DIALED: 1}


def test_attention_limit_lists_the_first_rows_of_each_state_and_counts_them_all():
    replay = replay_of()
    s = summarise(row_table(make_call_list(), replay), replay, attention_limit=1)
    assert [(r.state, r.row) for r in s.attention] == [
        (o.UNKNOWN, 6),
        (o.FAILED, 5),
        (o.REJECTED, 4),
        (o.NOT_DIALED, 14),
    ]
    assert s.attention_counts[o.REJECTED] == 2 and len(s.unknown) == 2


def test_last_error_is_a_run_error_not_an_expected_exit_4():
    """r1 was stopped (exit 6); r2 carried on, met a run_error, and finished with rows needing attention
    (exit 4, no error in itself): r2's run_error is the last error."""
    s = summary_of()
    assert s.last_error is not None
    assert (s.last_error.run, s.last_error.event, s.last_error.error) == (
        "r2",
        Event.RUN_ERROR,
        "ServiceUnavailable",
    )


def _ended(lines: list[dict], run: str, status: int) -> list[dict]:
    """``lines`` with ``run``'s run_ended status set, and no run_error."""
    out = [line for line in lines if line["event"] != Event.RUN_ERROR]
    return [
        {**line, "status": status} if line["event"] == Event.RUN_ENDED and line["run"] == run else line
        for line in out
    ]


@pytest.mark.parametrize(
    ("r1", "r2", "shown"),
    [
        (6, 0, None),  # stopped, then a resume that finished: nothing to show
        (6, 4, None),  # ... finished with rows rejected, as expected: nothing wrong
        (6, 7, None),  # ... paused until the window opens again: in order
        (0, 4, None),
        (6, 6, ("r2", "exit status 6")),  # stopped again: the latest stop
        (3, 8, ("r2", "exit status 8")),
        (8, 10, None),
    ],
)
def test_last_error_only_while_it_still_describes_the_campaign(r1, r2, shown):
    s = summary_of(_ended(_ended(campaign_lines(), "r1", r1), "r2", r2))
    assert (None if s.last_error is None else (s.last_error.run, s.last_error.error)) == shown


def test_an_error_of_an_earlier_run_is_cleared_by_a_later_run_that_finished():
    lines = campaign_lines()
    error = next(line for line in lines if line["event"] == Event.RUN_ERROR)
    lines.remove(error)
    lines.insert(
        lines.index(next(ln for ln in lines if ln["event"] == Event.RUN_ENDED)), {**error, "run": "r1"}
    )
    assert summary_of(_ended(lines, "r2", 0)).last_error is None
    assert summary_of(_ended(lines, "r2", 6)).last_error.error == "exit status 6"


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


def test_placed_per_minute_counts_rows_settled_by_the_switchs_call_lists():
    """Row 6 timed out (unknown); the switch's lists then showed its call: placed at 20:12, in the
    minutes as in the counts."""
    lines = campaign_lines()
    found = found_placed(6)
    s = summary_of([*lines, found])
    assert s.counts[o.PLACED] == EXPECTED_COUNTS[o.PLACED] + 1
    assert ("2026-11-26T20:12Z", 1) in s.placed_per_minute
    assert sum(n for _, n in s.placed_per_minute) == s.counts[o.PLACED]
    assert s.call_stats.calls["waiting"] == s.counts[o.PLACED]


def test_requests_that_never_connected_are_told_apart():
    """A connection that never opened (no HTTP status, nothing placed) sent nothing: r1's 503s reached
    the switch, its ServerDisconnectedError retry did not."""
    s = summary_of()
    assert (s.requests, s.never_connected) == (14, 1)
    assert [r.never_connected for r in s.runs] == [1, 0]


def test_no_results_yet_everything_not_dialed_except_list_problems():
    """Without a results file the list's rows are not yet dialed, its problems rejected or suppressed."""
    s = summarise(row_table(make_call_list(), Replay()), Replay())
    assert s.counts == {
        o.PLACED: 0,
        o.REJECTED: 1,
        o.SUPPRESSED: 2,
        o.FAILED: 0,
        o.UNKNOWN: 0,
        o.NOT_DIALED: 10,
    }
    assert (s.requests, s.rate_last_run, s.rate_overall, s.last_error, s.runs) == (0, None, None, None, [])
    assert s.attention_counts[o.NOT_DIALED] == 10


def test_sent_rows_no_longer_in_the_list_are_reported():
    """A placed person no longer in the list (row 9 now calls someone else) is counted under not_in_list."""
    cl = make_call_list()
    cl.table.loc[9, "cnumber"] = "+15550109999"  # someone edited row 9 after it was placed
    cl.persons.loc[9] = "+15550109999"
    lines = campaign_lines()
    replay = replay_of(lines)
    s = summarise(row_table(cl, replay), replay)
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


def test_people_no_longer_in_the_list_are_those_the_planner_names():
    """A person the list now holds with other numbers (already called: the row is suppressed and
    speaks for no record) or sets aside (do-not-call) is still in the list; one no row holds is not."""
    r = replay_lines(
        lines(
            dial(2, s="100"),
            result(2, "placed", s="100"),
            dial(3, s="104"),
            result(3, "placed", s="104"),
            dial(4, s="105"),
            result(4, "placed", s="105"),
        )
    )
    dnc = RowProblem(
        3, o.SUPPRESSED, "do-not-call", "on the list", snumber="104", cnumber="200", person="104"
    )
    edited = make_list({2: ("100", "300")}, [dnc])  # 100 bridged elsewhere now; 105 gone
    assert [rec.key for rec in not_in_list(edited, r)] == ["105"]
    assert summarise(row_table(edited, r), r).not_in_list == {o.PLACED: 1}
    kept = make_list({2: ("100", "200"), 4: ("105", "200")}, [dnc])
    assert summarise(row_table(kept, r), r).not_in_list == {}
