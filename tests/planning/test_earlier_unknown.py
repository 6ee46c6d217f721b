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
from dialer.journal.replay import RowRecord, replay_lines
from dialer.planning.earlier_unknown import (
    cdr_window_opens,
    list_numbers_of,
    recent_placed,
    seconds_until_settled,
    unix_time,
    unknown_to_check,
)
from dialer.planning.planner import plan
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
    """Unknown, sent, no callid, the list's numbers: asked about (a drop, an interrupted request, a
    check that decided nothing); placed, failed, never dialed, renumbered, callid, rejected: not."""
    call_list, replay = list_and_replay(tmp_path, stamp(60))
    chosen = unknown_to_check(plan(call_list, replay), replay)
    assert [rec.row for rec in chosen] == [2, 3, 9]
    assert all(rec.state == o.UNKNOWN and rec.sent and rec.callid is None for rec in chosen)


def test_rows_the_operator_redials_are_not_asked_about(tmp_path):
    """--redial-unknown: the operator's choice wins; those rows are dialed, not checked."""
    call_list, replay = list_and_replay(tmp_path, stamp(60))
    the_plan = plan(call_list, replay, redial_unknown=True)
    assert unknown_to_check(the_plan, replay) == []
    assert {2, 3, 9} <= set(the_plan.redial_unknown)


def record(**fields) -> RowRecord:
    return RowRecord(row=2, snumber=A, cnumber="100", state=o.UNKNOWN, sent=True, **fields)


NOW = unix_time("2026-11-26T09:00:00Z", 0.0)


def test_due_is_last_line_plus_delay_wait_and_settle():
    """Counted from the row's last line: delay + wait (as the row sends them now) + settle."""
    rec = record(first_ts="2026-11-26T08:59:00Z", last_ts="2026-11-26T08:59:58Z")
    assert seconds_until_settled(rec, {"delay": "5", "wait": "8"}, 2.5, 0.0, NOW) == pytest.approx(13.5)
    assert seconds_until_settled(rec, {}, 1.0, 0.0, NOW) == 0.0  # settled already: ask at once
    assert seconds_until_settled(rec, {"wait": "1"}, 10.0, 0.0, NOW + 3600) == 0.0


def test_due_adds_one_period_when_staggered():
    """A staggered request carried up to one period of delay that no line it left records."""
    rec = record(last_ts="2026-11-26T09:00:00Z")
    assert seconds_until_settled(rec, {"wait": "2"}, 1.0, 60.0, NOW) == pytest.approx(63.0)


def test_due_without_a_time_counts_from_now():
    assert seconds_until_settled(record(), {"wait": "2"}, 1.0, 0.0, NOW) == pytest.approx(3.0)
    assert seconds_until_settled(record(last_ts="garbled"), {}, 1.0, 0.0, NOW) == pytest.approx(1.0)


def test_cdr_window_opens_at_the_first_line():
    rec = record(first_ts="2026-11-26T08:00:00.250000Z", last_ts="2026-11-26T08:59:00Z")
    assert cdr_window_opens(rec) == pytest.approx(NOW - 3600 + 0.25)
    assert cdr_window_opens(record()) == 0.0  # no time known: the widest window


def test_controls_are_the_most_recent_placed_rows_the_list_still_holds(tmp_path):
    lines = []
    for row in range(2, 8):
        ts = f"2026-11-26T09:00:0{row}.000000Z"
        lines += [dial(row, f"200000000{row}", ts), result(row, f"200000000{row}", ts, o.PLACED, "204")]
    lines += [dial(8, "2000000008", "2026-11-26T09:00:09.000000Z")]  # the latest, but unknown
    replay = replay_lines(lines)

    def list_numbers(row):  # row 7 (the most recent placed) holds another number now
        return None if row == 7 else (f"200000000{row}", "100")

    assert [r.row for r in recent_placed(replay, list_numbers, 2)] == [6, 5]
    assert [r.row for r in recent_placed(replay, list_numbers, 9)] == [6, 5, 4, 3, 2]


def test_list_numbers_of_the_list(tmp_path):
    """A row's numbers as the list holds them now: None for a row the list rejects or does not have."""
    call_list, _ = list_and_replay(tmp_path, stamp(60))
    numbers = list_numbers_of(call_list)
    assert numbers(2) == (NUMBERS[0], "100")
    assert numbers(10) is None  # rejected by the list
    assert numbers(99) is None
