"""Each column's cells checked and cleaned by the parameter's kind (dialer/calllist/values.py): numbers,
flags, whole numbers, stype and free text."""

from __future__ import annotations

import pytest

from dialer.core import outcomes
from tests.helpers.call_lists import by_row, load


def test_numbers_are_cleaned_of_separators_only(tmp_path):
    """Spaces, dashes, dots and brackets go; digits, *, # and a leading + stay; no reformatting."""
    rows = [
        ["snumber", "cnumber"],
        ["(212) 555-1234", "*72#"],
        ["+44 20.7123.4567", "100"],
        ["0044 20 7123 4567", "  101  "],
        ["555\u00a01234", "1-800-FLOWERS"],
        ["21+25551234", "100"],
    ]
    calls = load(tmp_path, rows)
    assert calls.table[["snumber", "cnumber"]].to_dict("index") == {
        2: {"snumber": "2125551234", "cnumber": "*72#"},
        3: {"snumber": "+442071234567", "cnumber": "100"},
        4: {"snumber": "00442071234567", "cnumber": "101"},
    }
    problems = by_row(calls)
    assert problems[5].column == "cnumber"
    assert problems[5].reason.startswith("cnumber is not a dialable number")
    assert problems[5].snumber == "5551234"
    assert problems[5].cnumber == "1-800-FLOWERS"
    assert problems[6].column == "snumber"


def test_float_renderings_repaired_only_when_exact(tmp_path):
    """'2125551234.0' loses its '.0'; '212.555.1234' is dots; scientific notation is rejected."""
    rows = [
        ["snumber", "cnumber"],
        ["2125551234.0", "100.00"],
        ["212.555.1235", "101"],
        ["2.125551234E+09", "100"],
        ["2125551234.5", "100"],
        ["555.1234", "102"],
    ]
    calls = load(tmp_path, rows)
    assert calls.row_params(2) == {"snumber": "2125551234", "cnumber": "100"}
    assert calls.row_params(3) == {"snumber": "2125551235", "cnumber": "101"}
    problems = by_row(calls)
    assert problems[4].outcome == outcomes.REJECTED
    assert problems[4].code == "invalid"
    assert "scientific notation" in problems[4].reason
    assert problems[4].values == {"snumber": "2.125551234E+09", "cnumber": "100"}
    assert calls.row_params(6) == {"snumber": "5551234", "cnumber": "102"}
    # not exact: taking its dot as a separator would dial 21255512345
    assert problems[5].reason.startswith("snumber is a decimal number")


@pytest.mark.parametrize(
    ("column", "cell", "sent"),
    [
        ("answer1", "1", "1"),
        ("answer1", " 0 ", "0"),
        ("answer1", "1.0", "1"),
        ("answer1", "2", None),
        ("answer1", "yes", None),
        ("answer1", "0.5", None),
        ("delay", "30", "30"),
        ("delay", "030", "30"),
        ("delay", "5.0", "5"),
        ("delay", "-5", None),
        ("delay", "1.5", None),
        ("stype", "PHONE", "phone"),
        ("stype", " Phone ", "phone"),
        ("stype", "line", None),
    ],
)
def test_flags_integers_and_stype(tmp_path, column, cell, sent):
    """Flags are 0/1, integers whole and non-negative, stype 'phone' or empty."""
    calls = load(tmp_path, [["snumber", "cnumber", column], ["2125551234", "100", cell]])
    if sent is None:
        assert calls.table.empty
        assert calls.problems[0].column == column
        assert calls.problems[0].reason.startswith(column)
    else:
        assert calls.table.loc[2, column] == sent


def test_strings_are_kept_exactly(tmp_path):
    """A callerid2 with '&;'<>' and inner and outer spaces is sent exactly as written."""
    name = "  O'Brien & Sons;  <Sales>  "
    calls = load(tmp_path, [["snumber", "cnumber", "callerid2", "card"], ["2125551234", "100", name, "   "]])
    assert calls.table.loc[2, "callerid2"] == name
    assert calls.row_params(2) == {"snumber": "2125551234", "cnumber": "100", "callerid2": name}


def test_empty_required_cell_is_rejected(tmp_path):
    """An empty snumber with no default is rejected, naming the column."""
    calls = load(tmp_path, [["snumber", "cnumber", "x"], ["", "100", "y"]])
    assert calls.problems[0].column == "snumber"
    assert "snumber is empty" in calls.problems[0].reason


@pytest.mark.parametrize(
    ("cell", "sent"),
    [
        ("+44 (0) 20 7946 0000", "+442079460000"),
        ("+44(0)2079460000", "+442079460000"),
        ("+33 (0)1 23 45 67 89", "+33123456789"),
        ("0044 (0) 20 7946 0000", "00442079460000"),
        ("00 44 (0)20 7946 0000", "00442079460000"),
        ("011 44 (0) 20 7946 0000", "011442079460000"),
    ],
)
def test_a_trunk_zero_in_brackets_after_the_country_code_is_not_dialed(tmp_path, cell, sent):
    """How people write UK (and French...) numbers for callers at home and abroad: with the country
    code, the (0) is not dialed. Kept, "0044 (0) 20 ..." would go out as 0044020..., a wrong number."""
    calls = load(tmp_path, [["snumber", "cnumber"], [cell, "100"]])
    assert calls.table.loc[2, "snumber"] == sent


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("1234567890123456", "snumber has more than 15 digits"),
        ("+1234567890123456", "snumber has more than 15 digits"),
        ("*#", "snumber is not a telephone number: it has no digit"),
        ("(  )", "snumber is empty"),
        ("1064.5", "snumber is a decimal number"),
        ("2125551234.25", "snumber is a decimal number"),
    ],
)
def test_numbers_that_are_no_telephone_numbers_are_rejected(tmp_path, cell, reason):
    calls = load(tmp_path, [["snumber", "cnumber"], [cell, "100"]])
    assert by_row(calls)[2].reason.startswith(reason)
    assert len(calls.table) == 0


def test_fifteen_digits_are_a_telephone_number(tmp_path):
    calls = load(tmp_path, [["snumber", "cnumber"], ["123456789012345", "+123456789012345"]])
    assert calls.table.loc[2, ["snumber", "cnumber"]].tolist() == ["123456789012345", "+123456789012345"]


@pytest.mark.parametrize(("cell", "sent"), [("auto", "auto"), (" AUTO ", "auto"), ("", None)])
def test_cdialplan_auto_or_nothing(tmp_path, cell, sent):
    calls = load(tmp_path, [["snumber", "cnumber", "cdialplan"], ["2125550001", "100", cell]])
    got = calls.table.loc[2, "cdialplan"] if "cdialplan" in calls.table else None
    assert (got or None) == sent


@pytest.mark.parametrize("cell", ["e164", "none", "0", "international"])
def test_cdialplan_other_than_auto_is_rejected(tmp_path, cell):
    """The API page: auto is the only dialplan supported."""
    calls = load(tmp_path, [["snumber", "cnumber", "cdialplan"], ["2125550001", "100", cell]])
    problem = by_row(calls)[2]
    assert problem.column == "cdialplan" and problem.reason.startswith('cdialplan must be "auto" or empty')
