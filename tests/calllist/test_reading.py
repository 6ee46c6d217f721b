"""Reading a list file into rows (dialer/calllist/reading.py): encodings, delimiters, spreadsheets, files
that are not tables, blank and ragged rows, row numbers as an editor shows them."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from dialer.calllist import ListError, ListOptions, load_call_list
from tests.helpers.call_lists import load

ROWS = [
    ["snumber", "cnumber", "callerid2"],
    ["2125551234", "100", "Zoë Müller €"],
    ["2125550000", "101", "Ünïcode"],
]


def write_text(path, rows, delimiter=",", encoding="utf-8"):
    path.write_bytes("".join(delimiter.join(r) + "\r\n" for r in rows).encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_encodings_are_detected(tmp_path, encoding):
    """UTF-8 with or without BOM, UTF-16 with BOM and cp1252 all read to the same text."""
    path = write_text(tmp_path / "list.csv", ROWS, encoding=encoding)
    calls = load_call_list(path, ListOptions())
    assert list(calls.table["callerid2"]) == ["Zoë Müller €", "Ünïcode"]
    assert calls.headers == ["snumber", "cnumber", "callerid2"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_detected(tmp_path, delimiter):
    """Comma, semicolon, tab and pipe lists give the same table."""
    path = write_text(tmp_path / "list.csv", ROWS, delimiter=delimiter)
    calls = load_call_list(path, ListOptions())
    assert list(calls.table["snumber"]) == ["2125551234", "2125550000"]
    assert list(calls.table["cnumber"]) == ["100", "101"]


def test_forced_encoding_and_delimiter(tmp_path):
    """Options override detection: latin-1 text read as given, ';' forced."""
    rows = [["snumber;x", "cnumber", "callerid1"], ["2125551234", "100", "Café"]]
    path = write_text(tmp_path / "list.csv", rows, delimiter="|", encoding="latin-1")
    options = ListOptions(encoding="latin-1", delimiter="pipe", columns={"snumber;x": "snumber"})
    calls = load_call_list(path, options)
    assert calls.table.loc[2, "callerid1"] == "Café"
    with pytest.raises(ListError, match="unknown encoding"):
        load_call_list(path, ListOptions(encoding="klingon"))


def test_forced_encoding_that_does_not_fit(tmp_path):
    """A file that is not the forced encoding is a ListError, not a traceback."""
    path = write_text(tmp_path / "list.csv", ROWS, encoding="cp1252")
    with pytest.raises(ListError, match=r"list\.csv: is not utf-8 text"):
        load_call_list(path, ListOptions(encoding="utf-8"))


def test_xlsx_with_numbers_stored_as_numbers(tmp_path):
    """Numbers typed as numbers in Excel come back without '.0'; sheets chosen by name or index."""
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active.append(["nothing here"])
    ws = wb.create_sheet("Calls")
    ws.append(["SNumber", "cnumber", "answer1", "delay"])
    ws.append([2125551234, 100, 1, 5.0])
    ws.append([])
    ws.append(["+1 212 555 0000", "101", 0.0, 0])
    path = tmp_path / "list.xlsx"
    wb.save(path)
    calls = load_call_list(path, ListOptions(sheet="calls"))
    assert calls.table.to_dict("index") == {
        2: {"snumber": "2125551234", "cnumber": "100", "answer1": "1", "delay": "5"},
        4: {"snumber": "+12125550000", "cnumber": "101", "answer1": "0", "delay": "0"},
    }
    assert calls.blank_rows == 1
    assert len(load_call_list(path, ListOptions(sheet=1)).table) == 2
    assert len(load_call_list(path, ListOptions(sheet="1")).table) == 2
    with pytest.raises(ListError, match=r"no sheet named 'Nope' \(sheets: Notes, Calls\)"):
        load_call_list(path, ListOptions(sheet="Nope"))
    with pytest.raises(ListError, match="no sheet number 7"):
        load_call_list(path, ListOptions(sheet=7))


def test_ods(tmp_path):
    """An OpenDocument sheet written by pandas' odf writer reads like a CSV."""
    path = tmp_path / "list.ods"
    frame = pd.DataFrame({"snumber": ["2125551234", "0044 20 7123 4567"], "cnumber": ["100", "100"]})
    frame.to_excel(path, engine="odf", index=False)
    calls = load_call_list(path, ListOptions())
    assert list(calls.table["snumber"]) == ["2125551234", "00442071234567"]


def test_spreadsheet_named_csv_is_read_as_spreadsheet(tmp_path):
    """The content decides: an xlsx saved as .csv is still read."""
    wb = openpyxl.Workbook()
    wb.active.append(["snumber", "cnumber"])
    wb.active.append(["2125551234", "100"])
    path = tmp_path / "list.csv"
    wb.save(path)
    assert list(load_call_list(path, ListOptions()).table["snumber"]) == ["2125551234"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b""), "list.csv: the file is empty"),
        (lambda p: p.write_bytes(b"\n \n"), "list.csv: the file is empty"),
        (lambda p: p.write_bytes(bytes(range(256)) * 4), "list.csv: is not a text table"),
        (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x01\x02junk\x7f"), "list.csv: is not a text table"),
        (lambda p: None, "list.csv: no such file"),
        (lambda p: p.mkdir(), "list.csv: is a directory"),
    ],
    ids=["empty", "whitespace", "binary", "png", "missing", "directory"],
)
def test_not_a_table(tmp_path, make, message):
    """Empty, binary, missing and directory lists are one clear ListError naming the file."""
    path = tmp_path / "list.csv"
    make(path)
    with pytest.raises(ListError) as err:
        load_call_list(path, ListOptions())
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_damaged_spreadsheet(tmp_path):
    """A broken xlsx is a ListError naming the file."""
    path = tmp_path / "list.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00garbage" * 20)
    with pytest.raises(ListError, match=r"list\.xlsx: cannot read it as a spreadsheet"):
        load_call_list(path, ListOptions())


def test_unclosed_quote(tmp_path):
    """A quote never closed is a ListError, not a parser traceback."""
    path = tmp_path / "list.csv"
    path.write_text('snumber,cnumber\n2125551234,"100\n')
    with pytest.raises(ListError, match=r"list\.csv: cannot read it as CSV"):
        load_call_list(path, ListOptions())


def test_only_blank_lines_then_header(tmp_path):
    """Lines before the header are skipped and still counted in row numbers."""
    path = tmp_path / "list.csv"
    path.write_text("\n,,\nsnumber,cnumber\n2125551234,100\n")
    calls = load_call_list(path, ListOptions())
    assert list(calls.table.index) == [4]
    assert calls.blank_rows == 0


def test_quoted_delimiters_and_newlines(tmp_path):
    """Quoted values keep their delimiters and line breaks; a multi-line cell is one row."""
    path = tmp_path / "list.csv"
    path.write_text('snumber,cnumber,Notes\n2125551234,100,"a, b\nc"\n2125550000,100,x\n')
    calls = load_call_list(path, ListOptions())
    assert calls.table.loc[2, "Notes"] == "a, b\nc"
    assert list(calls.table.index) == [2, 3]


def test_no_nan_ever_reaches_the_table(tmp_path):
    """'NA', 'null', 'nan' and empty cells are text or "", never NaN."""
    rows = [["snumber", "cnumber", "callerid1", "ctype", "Country"], ["2125551234", "100", "NA", "", "null"]]
    rows.append(["2125550000", "100", "nan", "N/A", ""])
    calls = load(tmp_path, rows)
    assert not calls.table.isna().any().any()
    assert calls.table.loc[2].tolist() == ["2125551234", "", "100", "NA", "null"]
    assert calls.table.loc[3].tolist() == ["2125550000", "N/A", "100", "nan", ""]


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
