"""Rows earlier runs left unknown, asked about when a run starts (dialer/planning/earlier_unknown.py): which
rows, when each is due, and the placed rows that prove the lists can be believed."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.calllist import load_call_list
from dialer.campaign.file import load_campaign
from dialer.core import outcomes as o
from dialer.core.lookup import UNASKED
from dialer.journal.lines import Event
from dialer.journal.replay import PersonRecord, replay_lines
from dialer.planning.earlier_unknown import (
    carried,
    cdr_window_opens,
    controls_before,
    seconds_until_settled,
    unknown_to_check,
)
from dialer.planning.planner import plan
from dialer.planning.times import unix_time
from tests.helpers.earlier_run import dial, line, result, stamp
from tests.helpers.files import write_csv

A, B, C = "2000000001", "2000000002", "2000000003"


NUMBERS = [f"200000000{i}" for i in range(1, 10)]  # rows 2 to 10


def history(ts: str) -> list[bytes]:
    """One row in each state an earlier run can leave."""
    n = dict(zip(range(2, 11), NUMBERS, strict=True))
    return [
        dial(2, n[2], ts),
        result(2, n[2], ts, o.UNKNOWN, "ClientOSError"),  # dropped, never checked: asked about
        dial(3, n[3], ts),  # in flight when the run died (interrupted): asked about
        dial(4, n[4], ts),
        result(4, n[4], ts, o.PLACED, "204"),
        dial(5, n[5], ts),
        result(5, n[5], ts, o.FAILED, "503", attempt=3),
        # row 6: never dialed
        dial(7, "2999999999", ts),  # the list now holds other numbers in row 7
        result(7, "2999999999", ts, o.UNKNOWN, "timeout"),
        dial(8, n[8], ts),
        result(8, n[8], ts, o.UNKNOWN, "500", callid="c8"),  # the switch gave a callid
        dial(9, n[9], ts),
        result(9, n[9], ts, o.UNKNOWN, "timeout"),
        line(Event.CHECKED, 9, n[9], ts, attempt=1, verdict=UNASKED, outcome=o.UNKNOWN, code=UNASKED),
        dial(10, n[10], ts),
        result(10, n[10], ts, o.UNKNOWN, "timeout"),  # the list now rejects row 10
    ]


def list_and_replay(tmp_path: Path, ts: str):
    rows = [[n, "100"] for n in NUMBERS[:-1]] + [["not a number", "100"]]
    source = write_csv(tmp_path / "list.csv", ["snumber", "cnumber"], rows)
    return load_call_list(source, load_campaign(source).list), replay_lines(history(ts))


def test_unknown_rows_sent_without_a_callid_are_chosen(tmp_path):
    """Unknown, sent, no callid, a person the list holds: asked about (a drop, an interrupted request, a
    check that decided nothing); placed, failed, never dialed, someone no longer in the list, callid,
    rejected: not."""
    call_list, replay = list_and_replay(tmp_path, stamp(60))
    chosen = unknown_to_check(plan(call_list, replay), replay)
    assert [row for row, _ in chosen] == [2, 3, 9]
    assert all(rec.state == o.UNKNOWN and rec.sent and rec.callid is None for _, rec in chosen)


def test_rows_the_operator_redials_are_not_asked_about(tmp_path):
    """--redial-unknown: the operator's choice wins; those rows are dialed, not checked."""
    call_list, replay = list_and_replay(tmp_path, stamp(60))
    the_plan = plan(call_list, replay, redial_unknown=True)
    assert unknown_to_check(the_plan, replay) == []
    assert {2, 3, 9} <= set(the_plan.redial_unknown)


def record(**fields) -> PersonRecord:
    return PersonRecord(f"+1{A}", row=2, snumber=A, cnumber="100", state=o.UNKNOWN, sent=True, **fields)


NOW = unix_time("2026-11-26T09:00:00Z", 0.0)


def test_due_is_last_line_plus_delay_wait_and_settle():
    """Counted from the row's last line: delay + wait (as the row sends them now) + settle."""
    rec = record(first_ts="2026-11-26T08:59:00Z", last_ts="2026-11-26T08:59:58Z")
    now = carried(rec, {"delay": "5", "wait": "8"}, 0.0)
    assert seconds_until_settled(rec, now, 2.5, NOW) == pytest.approx(13.5)
    assert seconds_until_settled(rec, carried(rec, {}, 0.0), 1.0, NOW) == 0.0  # settled already: at once
    assert seconds_until_settled(rec, carried(rec, {"wait": "1"}, 0.0), 10.0, NOW + 3600) == 0.0


def test_due_adds_one_period_when_staggered():
    """A staggered request carried up to one period of delay that no line it left records (and its
    wait was raised by as much)."""
    rec = record(last_ts="2026-11-26T09:00:00Z")
    assert carried(rec, {"wait": "2"}, 60.0) == {"delay": "60", "wait": "62"}
    assert seconds_until_settled(rec, carried(rec, {"wait": "2"}, 60.0), 1.0, NOW) == pytest.approx(123.0)
    assert carried(rec, {}, 0.5) == {"delay": "1", "wait": "0"}


def test_due_waits_for_the_delay_the_request_carried_when_the_list_sends_less_now():
    """The results file said the request carried a delay of 60 s and a wait of 65 s (its answer's line,
    or its intent's): a list that has lost its delay column since does not make the check sooner; one
    that sends more now is waited for too."""
    rec = record(last_ts="2026-11-26T09:00:00Z", sent_delay=60, sent_wait=65)
    assert carried(rec, {}, 0.0) == {"delay": "60", "wait": "65"}
    assert carried(rec, {"delay": "90"}, 0.0) == {"delay": "90", "wait": "65"}
    assert seconds_until_settled(rec, carried(rec, {}, 0.0), 1.0, NOW) == pytest.approx(126.0)


def test_due_without_a_time_counts_from_now():
    assert seconds_until_settled(record(), carried(record(), {"wait": "2"}, 0.0), 1.0, NOW) == pytest.approx(
        3.0
    )
    garbled = record(last_ts="garbled")
    assert seconds_until_settled(garbled, carried(garbled, {}, 0.0), 1.0, NOW) == pytest.approx(1.0)


def test_cdr_window_opens_at_the_last_dial_or_else_the_first_line():
    rec = record(first_ts="2026-11-26T08:00:00.250000Z", last_ts="2026-11-26T08:59:00Z")
    assert cdr_window_opens(rec) == pytest.approx(NOW - 3600 + 0.25)
    redialed = record(first_ts="2026-11-26T08:00:00Z", dialed_ts="2026-11-26T08:30:00Z")
    assert cdr_window_opens(redialed) == pytest.approx(NOW - 1800)
    assert cdr_window_opens(record()) == 0.0  # no time known: the widest window


def test_a_control_is_the_call_placed_last_before_the_unknown_one_and_close_to_it():
    """A call placed after the unknown one proves nothing of the time before it (a switch that lost its
    records when it restarted lists the calls made since); one placed long before proves nothing
    either."""
    lines = []
    for row, second in ((2, 0), (3, 10), (4, 20), (5, 40)):
        ts = f"2026-11-26T09:00:{second:02d}.000000Z"
        lines += [dial(row, f"200000000{row}", ts), result(row, f"200000000{row}", ts, o.PLACED, "204")]
    lines += [dial(8, "2000000008", "2026-11-26T09:00:30.000000Z")]  # unknown, between 4 and 5
    lines += [dial(9, "2000000009", "2026-11-26T10:00:00.000000Z")]  # unknown, an hour later
    replay = replay_lines(lines)
    u8, u9 = (replay.records.record_of(f"+1200000000{r}") for r in (8, 9))
    assert [r.row for r in controls_before(replay, [u8], 60.0)] == [4]
    assert [r.row for r in controls_before(replay, [u8], 5.0)] == []  # 10 s before: too far
    assert controls_before(replay, [u9], 900.0) == []
    assert [r.row for r in controls_before(replay, [u8, u9], 7200.0)] == [4, 5]
