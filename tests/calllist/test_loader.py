"""Loading a call list (dialer/calllist/loader.py): defaults, one problem a row, duplicates, the original
cells, and a large list."""

from __future__ import annotations

import pytest

from dialer.calllist import ListError
from dialer.core import outcomes
from tests.helpers.call_lists import load


def test_defaults_apply_to_empty_cells_and_are_checked(tmp_path):
    """An empty cell takes the campaign default; a bad default is a ListError."""
    rows = [["snumber", "cnumber", "callerid1"], ["2125551234", "100", "Row ID"], ["2125550000", "100", " "]]
    calls = load(tmp_path, rows, defaults={"callerid1": "Campaign", "answer1": "1"})
    assert calls.table["callerid1"].tolist() == ["Row ID", "Campaign"]
    assert calls.table["answer1"].tolist() == ["1", "1"]
    with pytest.raises(ListError, match="list.csv: the campaign default answer1 must be 0 or 1"):
        load(tmp_path, rows, defaults={"answer1": "yes"})
    with pytest.raises(ListError, match="not a calls/make parameter"):
        load(tmp_path, rows, defaults={"auth_password": "x"})


def test_first_problem_of_a_row_names_its_column(tmp_path):
    """With two bad cells, the problem is the first in file order and names its header."""
    calls = load(tmp_path, [["Warn1", "snumber", "cnumber"], ["9", "x", "100"]])
    (problem,) = calls.problems
    assert (problem.column, problem.reason) == ("Warn1", "Warn1 must be 0 or 1")
    assert problem.snumber == "x"


def test_duplicates_are_dialed_once(tmp_path):
    """A repeated (snumber, cnumber) pair keeps its first row; copies point to it."""
    rows = [
        ["snumber", "cnumber", "Name"],
        ["212-555-1234", "100", "a"],
        ["2125551234", "101", "b"],
        ["(212) 555 1234", "100", "c"],
        ["+1 212 555 1234", "100", "d"],
        ["2125551234", "100", "e"],
    ]
    calls = load(tmp_path, rows)
    assert list(calls.table.index) == [2, 3]
    assert [(p.row, p.outcome, p.code, p.duplicate_of) for p in calls.problems] == [
        (4, outcomes.SUPPRESSED, "duplicate", 2),
        (5, outcomes.SUPPRESSED, "duplicate", 2),
        (6, outcomes.SUPPRESSED, "duplicate", 2),
    ]
    assert calls.problems[0].values["Name"] == "c"


def test_invalid_row_does_not_shadow_a_valid_copy(tmp_path):
    """Duplicates are counted among valid rows only."""
    rows = [["snumber", "cnumber", "answer1"], ["2125551234", "100", "x"], ["2125551234", "100", "1"]]
    calls = load(tmp_path, rows)
    assert list(calls.table.index) == [3]
    assert [p.code for p in calls.problems] == ["invalid"]


def test_keep_original_keeps_every_data_row(tmp_path):
    """keep_original gives every non-blank data row's cells by header; off by default."""
    rows = [["snumber", "cnumber"], ["212-555-1234", "100"], ["", ""], ["x", "100"]]
    assert load(tmp_path, rows).original is None
    original = load(tmp_path, rows, keep_original=True).original
    assert original.to_dict("index") == {
        2: {"snumber": "212-555-1234", "cnumber": "100"},
        4: {"snumber": "x", "cnumber": "100"},
    }


def test_large_list_of_distinct_numbers(tmp_path):
    """Past 20,000 rows of mostly distinct numbers the cells are checked without deduplicating first."""
    rows = [["snumber", "cnumber"]] + [[f"(212) 5{i:06d}", "100"] for i in range(30_000)]
    rows[101] = ["2.12E+09", "100"]
    rows[202] = ["212 500 0001", "100"]
    dnc = tmp_path / "dnc.txt"
    dnc.write_text("+12125000300\n")
    calls = load(tmp_path, rows, do_not_call=(dnc,))
    assert len(calls.table) == 29_997
    assert calls.table.loc[30_001, "snumber"] == "2125029999"
    assert calls.called.loc[30_001] == "+12125029999"
    assert [(p.row, p.code, p.duplicate_of) for p in calls.problems] == [
        (102, "invalid", None),
        (203, "duplicate", 3),
        (302, "do-not-call", None),
    ]
    assert "scientific notation" in calls.problems[0].reason
