"""`dialer status` output as text and as JSON (dialer/reporting/status_text.py), from the report tests'
campaign."""

from __future__ import annotations

from dialer.campaign.settings import Recycle
from dialer.core import outcomes as o
from dialer.journal.replay import Replay
from dialer.reporting.rows import row_table
from dialer.reporting.status_text import StatusInfo, status_json, status_text
from dialer.reporting.summary import summarise
from tests.helpers.report_campaign import (
    EXPECTED_COUNTS,
    make_call_list,
    replay_of,
    summary_of,
    with_outcomes,
)

INFO = StatusInfo("calls", "calls.csv", "calls.csv", "calls.results.jsonl", True)


def test_text_shows_counts_rates_last_error_and_unknown_rows():
    """The text names each count, both rates, the last error and every unknown row with the advice."""
    text = status_text(summary_of(), INFO)
    assert "  placed                  5\n" in text
    assert "  not yet dialed          1\n" in text
    assert "  total                  13\n" in text
    assert "Rate: 0.10 requests/s in the last run, 0.21 requests/s overall" in text
    assert "Last error: 2026-11-26 20:11:21 UTC, run r2: ServiceUnavailable: the switch answered 503" in text
    assert "--redial-unknown" in text
    unknown = text.split("Unknown (2): ")[1].splitlines()
    assert unknown[1].split() == ["row", "snumber", "cnumber", "time", "why"]
    assert unknown[2].split()[:6] == ["6", "201", "+15550100006", "2026-11-26", "20:00:04", "UTC"]
    assert unknown[2].endswith("no answer came back in time (timeout): no answer within 40 s")
    assert unknown[3].split()[0] == "7" and unknown[3].endswith("no answer came back")


def test_text_lists_rows_needing_attention_with_their_reasons_in_words_and_codes():
    """Each state's rows with why, in words with the raw code beside them, and how many of each."""
    text = status_text(summary_of(), INFO)
    assert "Rows needing attention: 2 unknown, 1 failed, 2 rejected, 1 not yet dialed" in text
    failed = text.split("Failed (1):")[1].splitlines()
    assert failed[2].split()[:3] == ["5", "201", "+15550100005"]
    assert failed[2].endswith("the switch was too busy to take the call (503): Service unavailable")
    rejected = text.split("Rejected (2):")[1].splitlines()
    assert "a number or setting it does not accept (400): Invalid destination <b>number</b>" in rejected[2]
    assert rejected[3].endswith("not a valid row (invalid): cnumber is not a telephone number")
    assert text.split("Not yet dialed (1):")[1].splitlines()[2].split()[:3] == ["14", "202", "+15550100014"]
    assert "--all" not in text  # every row is listed


def test_text_lists_the_first_rows_of_each_state_and_says_how_to_see_all():
    replay = replay_of()
    text = status_text(summarise(row_table(make_call_list(), replay), replay, attention_limit=1), INFO)
    assert "Rejected (2):" in text and "  … and 1 more" in text
    assert "`dialer status --all` lists every row needing attention." in text


def test_text_tells_requests_that_reached_the_switch_from_those_that_never_connected():
    text = status_text(summary_of(), INFO)
    assert "Requests: 13 reached the switch, 1 never connected (nothing sent), in 2 run(s)" in text


def test_text_shows_calls_answer_rate_talk_time_answers_by_hour_and_who_is_called_again():
    replay = replay_of(with_outcomes())
    recycle = Recycle(enabled=True, after=3600.0)
    s = summarise(row_table(make_call_list(), replay), replay, recycle=recycle)
    info = StatusInfo("calls", "c", "c", "r", True, "UTC", now="2026-11-26T21:10:35.000000Z")
    text = status_text(s, info)
    assert "Calls placed: 5 (2 answered, 1 no answer, 1 busy, 1 outcome not learned yet)" in text
    assert "Answer rate: 50.0% (2 rows reached, 2 not reached)" in text
    assert "Talk time: median 30 s, 90th percentile 1 min 30 s" in text
    assert "Answers by hour (UTC): 20h 2" in text
    waiting = text.split("Waiting to be called again ([recycle]): 2")[1].splitlines()
    assert waiting[1].split() == ["row", "snumber", "cnumber", "due", "last", "call", "calls"]
    assert waiting[2].split() == ["8", "201", "+15550100008", "now", "no", "answer", "1"]
    assert waiting[3].split() == ["9", "202", "+15550100009", "2026-11-26", "21:10:40", "UTC", "busy", "1"]


def test_json_has_stable_keys():
    """The JSON object always has the same keys, in the same order, and counts for every state."""
    data = status_json(summary_of(), INFO)
    assert list(data) == [
        "version", "campaign", "source", "list", "results", "results_exists", "total", "counts",
        "requests", "requests_never_connected", "first_request", "last_request", "rate", "runs",
        "unknown", "last_error", "not_in_list", "torn_tail", "calls", "answer_rate", "reached",
        "not_reached", "talk_s", "answers_by_hour", "answers_by_hour_zone", "recycle_waiting",
        "attention",
    ]  # fmt: skip
    assert data["version"] == 2
    assert data["counts"] == EXPECTED_COUNTS
    assert data["unknown"][0] == {
        "row": 6, "snumber": "201", "cnumber": "+15550100006", "time": "2026-11-26T20:00:04.000000Z",
        "code": "timeout",
    }  # fmt: skip
    assert data["last_error"]["error"] == "ServiceUnavailable"
    assert (data["requests"], data["requests_never_connected"]) == (14, 1)
    assert data["attention"][o.FAILED]["count"] == 1
    assert data["attention"][o.FAILED]["rows"][0]["why"].startswith("the switch was too busy")


def test_json_has_the_calls_by_status_and_what_they_came_to():
    replay = replay_of(with_outcomes())
    s = summarise(row_table(make_call_list(), replay), replay, recycle=Recycle(enabled=True))
    data = status_json(s, INFO)
    assert data["calls"] == {
        "answered": 2, "no-answer": 1, "busy": 1, "failed": 0, "not-known": 0, "waiting": 1,
    }  # fmt: skip
    assert (data["reached"], data["not_reached"], data["answer_rate"]) == (2, 2, 0.5)
    assert data["talk_s"] == {"median": 30.0, "p90": 90.0}
    assert data["answers_by_hour"][20] == 2 and sum(data["answers_by_hour"]) == 2
    assert [w["row"] for w in data["recycle_waiting"]] == [8, 9]


def test_text_without_requests_says_so():
    """Before any run, status says nothing was sent and lists no unknown rows."""
    s = summarise(row_table(make_call_list(), Replay()), Replay())
    text = status_text(s, StatusInfo("calls", "calls.csv", "calls.csv", "calls.results.jsonl", False))
    assert "(none yet)" in text
    assert "Requests: none sent yet" in text
    assert "Unknown (" not in text and "Calls placed" not in text


def test_on_a_terminal_long_reasons_wrap_under_their_column_and_piped_they_stay_one_line():
    """On a 90-column terminal no line of the rows needing attention passes 90 columns, a reason's
    continuation starts under the "why" column; piped (no width), each row is one line, for grep."""
    info = StatusInfo("calls", "calls.csv", "calls.csv", "c.jsonl", True, width=90)
    attention = status_text(summary_of(), info).split("Rows needing attention")[1]
    assert all(len(line) <= 90 for line in attention.splitlines())
    table = attention.split("--redial-unknown.\n")[1].splitlines()
    why = table[0].index("why")
    assert table[1].split()[0] == "6" and table[2].startswith(" " * why) and table[2][why] != " "
    assert "no answer within 40 s" in " ".join(attention.split())
    piped = status_text(summary_of(), INFO).splitlines()
    assert any(line.lstrip().startswith("6 ") and line.endswith("no answer within 40 s") for line in piped)
