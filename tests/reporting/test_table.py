"""The per-row report table (dialer/reporting/table.py): original cells, then what became of each row."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from dialer.calllist import load_call_list
from dialer.calllist.model import ListOptions
from dialer.core import outcomes as o
from dialer.journal.replay import Replay
from dialer.planning.planner import list_row_states
from dialer.reporting.call_stats import recycle_waiting
from dialer.reporting.rows import row_table
from dialer.reporting.summary import row_line
from dialer.reporting.table import (
    RESULT_COLUMNS,
    line_columns,
    report_table,
    result_names,
    row_details,
)
from tests.helpers.replays import stored_from
from tests.helpers.report_campaign import (
    HEADERS,
    ORIGINAL,
    RECYCLE,
    XSS,
    make_call_list,
    replay_of,
    with_outcomes,
)


def _table(call_list=None, replay=None) -> pd.DataFrame:
    replay = replay or replay_of()
    call_list = call_list or make_call_list()
    table = report_table(call_list, row_table(call_list, replay))
    return pd.DataFrame(table.columns)


def test_one_row_per_list_row_in_row_order_with_original_cells():
    """Every list row appears once, in order, with its cells as in the file."""
    t = _table()
    dialed = ["snumber (dialer)", "cnumber (dialer)"]  # the list has its own snumber and cnumber
    assert list(t.columns) == ["row", *HEADERS, *dialed, *RESULT_COLUMNS[2:]]
    assert t["row"].tolist() == sorted(ORIGINAL)
    assert t.loc[t["row"] == 4, "callerid1"].item() == XSS
    assert t.loc[t["row"] == 11, "cnumber"].item() == "not a number"


def test_result_columns_hold_final_outcome_code_message_callid_attempts_time():
    """Placed, failed, unknown, problem and undialed rows each carry their own results."""
    t = _table().set_index("row")
    assert t.loc[2, ["outcome", "code", "message", "callid", "attempts"]].tolist() == [
        o.PLACED,
        "200",
        "Call placed",
        "c-2",
        1,
    ]
    assert t.loc[5, ["outcome", "code", "attempts"]].tolist() == [o.FAILED, "503", 3]
    assert t.loc[7, ["outcome", "code", "time"]].tolist() == [o.UNKNOWN, "", "2026-11-26T20:00:02.500000Z"]
    assert t.loc[13, ["outcome", "code", "attempts", "time"]].tolist() == [o.SUPPRESSED, "do-not-call", 0, ""]
    assert t.loc[14, ["outcome", "message"]].tolist() == [o.NOT_DIALED, ""]


def test_reason_in_an_operators_words_beside_the_raw_code():
    """The reason column says what the code means; the code keeps its own column."""
    t = _table().set_index("row")
    assert t.loc[5, ["reason", "code"]].tolist() == ["the switch was too busy to take the call (503)", "503"]
    assert t.loc[6, "reason"] == "no answer came back in time (timeout)"
    assert t.loc[13, "reason"] == "on the do-not-call list (do-not-call)"
    assert t.loc[14, ["reason", "code"]].tolist() == ["not yet dialed", ""]


def test_rows_waiting_for_a_call_again_say_when():
    """[recycle]: the rows waiting to be called again carry the time of the next call, the others none."""
    cl, replay = make_call_list(), replay_of(with_outcomes())
    rows = row_table(cl, replay)
    t = pd.DataFrame(report_table(cl, rows, recycle_waiting(rows, RECYCLE)).columns).set_index("row")
    assert t.loc[8, "next_call"] == "2026-11-26T21:10:30.000000Z"
    assert t.loc[9, "next_call"] == "2026-11-26T21:10:40.000000Z"
    assert (t.drop([8, 9])["next_call"] == "").all()


def test_each_row_carries_its_persons_last_call_talk_time_and_calls():
    """Answered rows with their talk time, the unanswered, a placed row whose outcome is to be learned
    (waiting), and rows never placed (empty)."""
    t = _table(replay=replay_of(with_outcomes())).set_index("row")
    got = t.loc[[2, 3, 8, 9, 10, 5, 14], ["call_status", "talk_s", "calls"]]
    assert got.astype(object).where(got.notna(), None).values.tolist() == [
        ["answered", 30.0, 1],
        ["answered", 90.0, 1],
        ["no-answer", None, 1],
        ["busy", None, 1],
        ["waiting", None, 1],
        ["", None, 0],
        ["", None, 0],
    ]


@pytest.mark.parametrize("store", ["records", "checkpoint columns"])
def test_line_columns_say_what_row_line_says_of_every_row(store):
    """The columns the report is made of hold, row for row, what summary.row_line gives (the status and
    the page's rows), placed, recycled, problem and undialed rows alike; callid too; from a replay's
    records as from a checkpoint's columns (read before any record is made of them)."""
    cl, replay = make_call_list(), replay_of(with_outcomes())
    if store == "checkpoint columns":
        replay.records = stored_from(replay.records.records())
    rows = row_table(cl, replay)
    in_columns = replay.records.keys_in_columns
    columns = line_columns(rows)
    assert replay.records.keys_in_columns == in_columns  # no record made to read them
    assert (in_columns > 0) == (store == "checkpoint columns")
    states = [rows.state_at(i) for i in range(len(rows))]
    for i, st in enumerate(states):
        line = row_line(st)
        got = {name: values[i] for name, values in columns.items()}
        callid = st.record.callid if st.record is not None else None
        assert got == {
            "code": line.code,
            "message": line.message,
            "attempts": line.attempts,
            "time": line.time,
            "call_status": line.call_status,
            "talk_s": line.talk_s,
            "calls": line.calls,
            "callid": callid,
        }, st.row
    assert {st.state for st in states} == {
        o.PLACED,
        o.REJECTED,
        o.SUPPRESSED,
        o.FAILED,
        o.UNKNOWN,
        o.NOT_DIALED,
    }


def test_without_original_falls_back_to_table_and_problem_values():
    """A CallList without `original` still gives every row, problem rows from their values."""
    t = _table(replace(make_call_list(), original=None)).set_index("row")
    assert len(t) == len(ORIGINAL)
    assert t.loc[12, "Name"] == "Ann Lee again"
    assert t.loc[3, "cnumber"] == "+15550100003"


def test_no_results_yet():
    """Before any run every row is reported, undialed ones with zero attempts."""
    t = _table(make_call_list(), Replay())
    assert t["outcome"].value_counts().to_dict() == {o.NOT_DIALED: 10, o.SUPPRESSED: 2, o.REJECTED: 1}
    assert set(t["attempts"]) == {0}


def test_result_names_do_not_clash_with_list_headers():
    """A list with its own 'code' or 'row' column keeps it; ours get a suffix."""
    names = result_names(["row", "Name", "code"])
    assert names["row"] == "row (dialer)"
    assert names["code"] == "code (dialer)"
    assert names["outcome"] == "outcome"


def test_row_details_show_the_other_cells_without_repeating_numbers():
    """A row's details are its non-number, non-empty cells by header, long ones shortened."""
    cl = make_call_list()
    cl.original.loc[5, "Name"] = "x" * 100
    lines = [row_line(st) for st in list_row_states(cl, Replay()) if st.row in (4, 5, 11)]
    details = row_details(cl, lines)
    assert details[4] == f"callerid1: {XSS}; Name: Cat <b>Bold</b> & Co"
    assert details[5] == "callerid1: Sales; Name: " + "x" * 59 + "…"
    assert details[11] == "callerid1: Sales; Name: Ivy Po"


def test_numbers_dialed_have_their_own_columns_whatever_the_list_calls_them(tmp_path):
    """A list naming its number "Phone", with snumber a campaign-wide default, still gets snumber and
    cnumber columns holding the numbers as dialed (the report had no cnumber column)."""
    path = tmp_path / "list.csv"
    path.write_text("Phone,Name\n+1 (555) 010-0002,Ann\n", encoding="utf-8")
    options = ListOptions(columns={"Phone": "cnumber"}, defaults={"snumber": "201"}, keep_original=True)
    t = _table(load_call_list(path, options), Replay())
    assert list(t.columns[:5]) == ["row", "Phone", "Name", "snumber", "cnumber"]
    assert t.loc[0, ["Phone", "snumber", "outcome"]].tolist() == ["+1 (555) 010-0002", "201", o.NOT_DIALED]
    assert t.loc[0, "cnumber"] == "+15550100002"


def test_only_dialers_own_columns_are_marked_as_holding_no_outside_text():
    """A list column named like one of ours ("outcome") is the list's text: not among the table's own
    columns, so the CSV writer still defuses formulas in it."""
    cl = make_call_list()
    cl.original["outcome"] = '=HYPERLINK("http://evil")'
    table = report_table(cl, row_table(cl, replay_of()))
    assert "outcome" in table.columns and "outcome (dialer)" in table.own
    assert "outcome" not in table.own and "Name" not in table.own and "message" not in table.own
