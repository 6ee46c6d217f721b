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
    """A repeated person (by default the snumber, when stype is empty) keeps its first row, whatever
    cnumber the copies have; the copies point to it."""
    rows = [
        ["snumber", "cnumber", "Name"],
        ["212-555-1234", "100", "a"],
        ["2125551234", "101", "b"],
        ["(212) 555 1234", "100", "c"],
        ["+1 212 555 1234", "100", "d"],
        ["2125551235", "100", "e"],
    ]
    calls = load(tmp_path, rows)
    assert list(calls.table.index) == [2, 6]
    assert calls.persons.tolist() == ["+12125551234", "+12125551235"]
    assert [(p.row, p.outcome, p.code, p.duplicate_of) for p in calls.problems] == [
        (3, outcomes.SUPPRESSED, "duplicate", 2),
        (4, outcomes.SUPPRESSED, "duplicate", 2),
        (5, outcomes.SUPPRESSED, "duplicate", 2),
    ]
    assert calls.problems[1].values["Name"] == "c"
    assert calls.problems[0].reason == "the same person (snumber 2125551234) as row 2, which is dialed once"


def test_the_person_of_a_row_is_the_number_stype_says_is_outside_the_switch(tmp_path):
    """stype phone: snumber is a line of the switch (an agent's) and cnumber the person; a campaign
    can also name the person, or call each snumber and cnumber pair once."""
    rows = [
        ["stype", "snumber", "cnumber"],
        ["phone", "1001", "2125550001"],
        ["phone", "1001", "2125550002"],
        ["", "2125550003", "100"],
    ]
    assert load(tmp_path, rows).persons.tolist() == ["+12125550001", "+12125550002", "+12125550003"]
    assert load(tmp_path, rows, person="pair").persons.tolist() == [
        "1001|+12125550001",
        "1001|+12125550002",
        "+12125550003|100",
    ]
    by_cnumber = load(tmp_path, rows, person="cnumber")
    assert by_cnumber.persons.tolist() == ["+12125550001", "+12125550002", "100"]


def test_one_person_on_many_rows_with_other_numbers_is_refused_naming_the_setting(tmp_path):
    """An agent's mobile dialed first with an empty stype: it would be "the person" of every row, and
    all but one row suppressed. The list is refused, saying which setting to change."""
    rows = [["snumber", "cnumber"]] + [["07700 900123", f"21255500{i:02d}"] for i in range(30)]
    with pytest.raises(ListError) as caught:
        load(tmp_path, rows, default_region="GB")
    message = str(caught.value)
    assert "snumber +447700900123 is on 30 of 30 rows, with 30 different cnumbers" in message
    assert 'stype = "phone"' in message and 'person = "cnumber"' in message
    assert len(load(tmp_path, rows, default_region="GB", person="pair").table) == 30


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
    assert calls.persons.loc[30_001] == "+12125029999"
    assert [(p.row, p.code, p.duplicate_of) for p in calls.problems] == [
        (102, "invalid", None),
        (203, "duplicate", 3),
        (302, "do-not-call", None),
    ]
    assert "scientific notation" in calls.problems[0].reason
