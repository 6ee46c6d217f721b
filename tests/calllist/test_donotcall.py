"""Do-not-call files (dialer/calllist/donotcall.py): their shapes, numbers matched on their canonical form."""

from __future__ import annotations

import pytest

from dialer.calllist import ListError
from dialer.core import outcomes
from tests.helpers.call_lists import load


def test_do_not_call_matches_three_shapes(tmp_path):
    """'(212) 555-1234', '212.555.1234' and '+12125551234' are the same do-not-call number."""
    dnc = tmp_path / "dnc.csv"
    dnc.write_text("Phone Number,Added\n(212) 555-1234,2024-01-01\n+1 646 555 0000,2024-01-02\n")
    rows = [
        ["snumber", "cnumber"],
        ["212.555.1234", "100"],
        ["+12125551234", "101"],
        ["6465550000", "102"],
        ["7185550000", "100"],
    ]
    calls = load(tmp_path, rows, do_not_call=(dnc,))
    assert list(calls.table.index) == [5]
    assert [(p.row, p.outcome, p.code, p.column) for p in calls.problems] == [
        (2, outcomes.SUPPRESSED, "do-not-call", "snumber"),
        (3, outcomes.SUPPRESSED, "do-not-call", "snumber"),
        (4, outcomes.SUPPRESSED, "do-not-call", "snumber"),
    ]
    assert "dnc.csv" in calls.problems[0].reason


def test_do_not_call_one_number_a_line_and_stype_phone(tmp_path):
    """A headerless list of numbers; with stype phone the called number is cnumber, not the line."""
    dnc = tmp_path / "dnc.txt"
    dnc.write_text("2125551234\n\n1234567\n")
    rows = [
        ["stype", "snumber", "cnumber"],
        ["phone", "1234567", "2125550000"],
        ["phone", "1234567", "212 555 1234"],
        ["", "2125550000", "1234567"],
    ]
    calls = load(tmp_path, rows, do_not_call=(dnc,))
    assert list(calls.table.index) == [2]
    assert calls.persons.tolist() == ["+12125550000"]
    assert [(p.row, p.column) for p in calls.problems] == [(3, "cnumber"), (4, "cnumber")]


def test_do_not_call_file_must_exist(tmp_path):
    """A missing do-not-call file is a ListError naming it."""
    with pytest.raises(ListError, match="nope.csv: no such file"):
        load(tmp_path, [["snumber", "cnumber"], ["1", "2"]], do_not_call=(tmp_path / "nope.csv",))
