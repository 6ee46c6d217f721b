"""`dialer status` output as text and as JSON (dialer/reporting/status_text.py), from the report tests'
campaign."""

from __future__ import annotations

from dialer.journal.replay import Replay
from dialer.planning.planner import list_row_states
from dialer.reporting.status_text import StatusInfo, status_json, status_text
from dialer.reporting.summary import summarise
from tests.helpers.report_campaign import (
    EXPECTED_COUNTS,
    make_call_list,
    summary_of,
)

INFO = StatusInfo("calls", "calls.csv", "calls.csv", "calls.results.jsonl", True)


def test_text_shows_counts_rates_last_error_and_unknown_rows():
    """The text names each count, both rates, the last error and every unknown row with the advice."""
    text = status_text(summary_of(), INFO)
    assert "  placed                  5\n" in text
    assert "  not yet dialed          1\n" in text
    assert "  total                  13\n" in text
    assert "Rate: 0.10 requests/s in the last run, 0.21 requests/s overall" in text
    assert "Last error: 2026-11-26 20:11:21 UTC, run r2: exit status 4" in text
    assert "--redial-unknown" in text
    unknown = text.split("Unknown rows (2)")[1].splitlines()
    assert unknown[1].split() == ["row", "snumber", "cnumber", "time", "code"]
    assert unknown[2].split() == ["6", "201", "+15550100006", "2026-11-26", "20:00:04", "UTC", "timeout"]
    assert unknown[3].split()[0] == "7" and unknown[3].endswith("no answer")


def test_json_has_stable_keys():
    """The JSON object always has the same keys, in the same order, and counts for every state."""
    data = status_json(summary_of(), INFO)
    assert list(data) == [
        "version", "campaign", "source", "list", "results", "results_exists", "total", "counts",
        "requests", "first_request", "last_request", "rate", "runs", "unknown", "last_error",
        "not_in_list", "torn_tail",
    ]  # fmt: skip
    assert data["counts"] == EXPECTED_COUNTS
    assert data["unknown"][0] == {
        "row": 6, "snumber": "201", "cnumber": "+15550100006", "time": "2026-11-26T20:00:04.000000Z",
        "code": "timeout",
    }  # fmt: skip
    assert data["last_error"]["error"] == "exit status 4"


def test_text_without_requests_says_so():
    """Before any run, status says nothing was sent and lists no unknown rows."""
    s = summarise(list_row_states(make_call_list(), Replay()), Replay(), [])
    text = status_text(s, StatusInfo("calls", "calls.csv", "calls.csv", "calls.results.jsonl", False))
    assert "(none yet)" in text
    assert "Requests: none sent yet" in text
    assert "Unknown rows" not in text
