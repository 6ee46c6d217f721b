"""The call-list loader: columns, values, row numbers, duplicates and do-not-call lists."""

from __future__ import annotations

import pandas as pd
import pytest

from dialer.calllist import ListError, ListOptions, canonical_number, canonical_numbers, load_call_list
from dialer.core import outcomes
from tests.helpers.call_lists import by_row, load


def test_headers_match_ignoring_case_spaces_and_underscores(tmp_path):
    """' SNumber ', 'C_NUMBER' and 'caller id 2' are snumber, cnumber and callerid2."""
    rows = [[" SNumber ", "C_NUMBER", "caller id 2", "Notes"], ["2125551234", "100", "X", "n"]]
    calls = load(tmp_path, rows)
    assert calls.parameters == ["snumber", "cnumber", "callerid2"]
    assert calls.extras == ["Notes"]
    assert calls.row_params(2) == {"snumber": "2125551234", "cnumber": "100", "callerid2": "X"}
    assert calls.table.loc[2, "Notes"] == "n"


def test_column_mapping(tmp_path):
    """ListOptions.columns maps other headers to parameters; a mapped header must exist."""
    rows = [["Phone", "Agent line", "Name"], ["212-555-1234", "1234567", "Ann"]]
    columns = {"phone": "cnumber", "Agent line": "snumber"}
    calls = load(tmp_path, rows, columns=columns, defaults={"stype": "phone"})
    assert calls.row_params(2) == {"stype": "phone", "snumber": "1234567", "cnumber": "2125551234"}
    assert calls.extras == ["Name"]
    with pytest.raises(ListError, match="names 'Mobile', not a header in the list"):
        load(tmp_path, rows, columns={"Phone": "cnumber", "Agent line": "snumber", "Mobile": "callerid1"})


def test_missing_required_column_names_it_and_lists_headers(tmp_path):
    """No cnumber column and no default: the error names cnumber and the headers found."""
    with pytest.raises(ListError) as err:
        load(tmp_path, [["snumber", "Phone"], ["2125551234", "100"]])
    message = str(err.value)
    assert "list.csv: no cnumber column" in message
    assert "headers found: 'snumber', 'Phone'" in message


def test_default_fills_a_missing_required_column(tmp_path):
    """A campaign default stands in for a column the list lacks."""
    calls = load(tmp_path, [["snumber"], ["2125551234"]], defaults={"cnumber": "100"})
    assert calls.row_params(2) == {"snumber": "2125551234", "cnumber": "100"}


def test_two_columns_for_one_parameter(tmp_path):
    """'snumber' and a header mapped to snumber cannot both fill it."""
    with pytest.raises(ListError, match="both 'snumber' and 'Phone' give snumber"):
        load(tmp_path, [["snumber", "Phone", "cnumber"], ["1", "2", "3"]], columns={"Phone": "snumber"})


def test_auth_columns_are_never_used_or_carried(tmp_path):
    """auth_username/auth_password columns vanish from the table, extras, headers and problems."""
    rows = [["snumber", "cnumber", "Auth Password", "auth_username"], ["2125551234", "100", "s3cret", "bob"]]
    rows.append(["bad", "100", "s3cret", "bob"])
    calls = load(tmp_path, rows, keep_original=True)
    assert list(calls.table.columns) == ["snumber", "cnumber"]
    assert calls.headers == ["snumber", "cnumber"]
    assert "s3cret" not in repr(calls.problems)
    assert list(calls.original.columns) == ["snumber", "cnumber"]


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
        ["212.555.1234", "101"],
        ["2.125551234E+09", "100"],
        ["2125551234.5", "100"],
        ["555.1234", "102"],
    ]
    calls = load(tmp_path, rows)
    assert calls.row_params(2) == {"snumber": "2125551234", "cnumber": "100"}
    assert calls.row_params(3) == {"snumber": "2125551234", "cnumber": "101"}
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


def test_no_nan_ever_reaches_the_table(tmp_path):
    """'NA', 'null', 'nan' and empty cells are text or "", never NaN."""
    rows = [["snumber", "cnumber", "callerid1", "ctype", "Country"], ["2125551234", "100", "NA", "", "null"]]
    rows.append(["2125550000", "100", "nan", "N/A", ""])
    calls = load(tmp_path, rows)
    assert not calls.table.isna().any().any()
    assert calls.table.loc[2].tolist() == ["2125551234", "", "100", "NA", "null"]
    assert calls.table.loc[3].tolist() == ["2125550000", "N/A", "100", "nan", ""]


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


def test_empty_required_cell_is_rejected(tmp_path):
    """An empty snumber with no default is rejected, naming the column."""
    calls = load(tmp_path, [["snumber", "cnumber", "x"], ["", "100", "y"]])
    assert calls.problems[0].column == "snumber"
    assert "snumber is empty" in calls.problems[0].reason


def test_blank_rows_are_skipped_and_counted_in_row_numbers(tmp_path):
    """Blank lines and rows of empty cells are skipped, yet row numbers match the editor's lines."""
    path = tmp_path / "list.csv"
    path.write_text("snumber,cnumber\n2125551234,100\n\n , \n,,\nbad,100\n2125550000,100\n")
    calls = load_call_list(path, ListOptions())
    assert list(calls.table.index) == [2, 7]
    assert calls.blank_rows == 3
    assert calls.total_rows == 3
    assert [p.row for p in calls.problems] == [6]


def test_extra_cells_are_a_row_problem(tmp_path):
    """A row with more cells than the header (an unquoted comma) is rejected, not truncated."""
    path = tmp_path / "list.csv"
    path.write_text("snumber,cnumber,callerid1\n2125551234,100,Smith, John\n2125550000,100,Ann,,\n")
    calls = load_call_list(path, ListOptions())
    assert list(calls.table.index) == [3]
    assert calls.problems[0].row == 2
    assert calls.problems[0].column is None
    assert "1 more cell(s)" in calls.problems[0].reason


def test_wide_ragged_row_is_still_read(tmp_path):
    """A row far wider than the header is rejected on its own; the rest of the list loads."""
    path = tmp_path / "list.csv"
    path.write_text("snumber,cnumber\n2125551234,100\n2125550000,100,a,b,c,d,e,f,g\n2125550001,100\n")
    calls = load_call_list(path, ListOptions())
    assert list(calls.table.index) == [2, 4]
    assert calls.problems[0].row == 3


def test_unnamed_column_with_data_is_carried(tmp_path):
    """A column with no header but with data is carried as 'column N'."""
    calls = load(tmp_path, [["snumber", "", "cnumber"], ["2125551234", "note", "100"]])
    assert calls.extras == ["column 2"]
    assert calls.table.loc[2, "column 2"] == "note"


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
    assert calls.called.tolist() == ["+12125550000"]
    assert [(p.row, p.column) for p in calls.problems] == [(3, "cnumber"), (4, "cnumber")]


def test_do_not_call_file_must_exist(tmp_path):
    """A missing do-not-call file is a ListError naming it."""
    with pytest.raises(ListError, match="nope.csv: no such file"):
        load(tmp_path, [["snumber", "cnumber"], ["1", "2"]], do_not_call=(tmp_path / "nope.csv",))


def test_canonical_fast_path_agrees_with_phonenumbers():
    """The vectorised shapes give what phonenumbers gives; other shapes go through it."""
    numbers = ["2125551234", "12125551234", "+12125551234", "+442071234567", "02071234567", "100", "*72"]
    fast = canonical_numbers(pd.Series(numbers, dtype="str"), "US").tolist()
    assert fast == [canonical_number(n, "US") for n in numbers]
    assert fast[:4] == ["+12125551234"] * 3 + ["+442071234567"]
    assert fast[5:] == ["100", "*72"]
    assert canonical_numbers(pd.Series(["02071234567"], dtype="str"), "GB").tolist() == ["+442071234567"]


def test_unknown_region(tmp_path):
    """A default region phonenumbers does not know is a ListError."""
    with pytest.raises(ListError, match="default region 'XX'"):
        load(tmp_path, [["snumber", "cnumber"], ["1", "2"]], default_region="XX")


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
