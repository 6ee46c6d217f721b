"""Writing the report files (dialer/reporting/writers.py): where they go, cells a spreadsheet would run as a
formula, what xlsx cannot hold, and the files' permissions."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from dialer.reporting.table import ReportTable
from dialer.reporting.writers import (
    XLSX_MAX_ROWS,
    TooManyRows,
    check_fits_xlsx,
    report_paths,
    spreadsheet_safe,
    write_csv,
    write_html,
    write_xlsx,
)


def test_report_paths_are_named_after_the_campaign():
    """Default, directory and prefix (with or without an extension) targets; the default names are
    <campaign name>.report.<ext>, not the results file's stem (calls.results.report.html)."""
    res = Path("/d/calls.results.jsonl")
    assert report_paths("spring", res, None, ("csv",)) == {"csv": Path("/d/spring.report.csv")}
    assert report_paths("spring", res, "/tmp/x/", ("html",)) == {"html": Path("/tmp/x/spring.report.html")}
    assert report_paths("spring", res, "/tmp/june.html", ("csv", "html")) == {
        "csv": Path("/tmp/june.csv"),
        "html": Path("/tmp/june.html"),
    }


def test_a_campaign_name_that_is_no_file_name_is_made_one():
    """Separators and characters some systems refuse become '_', a leading dot goes, an empty name
    falls back to the results file's stem."""
    res = Path("/d/calls.results.jsonl")
    assert report_paths("June/July: *west*", res, None, ("csv",)) == {
        "csv": Path("/d/June_July_ _west_.report.csv")
    }
    assert report_paths("..hidden", res, None, ("csv",)) == {"csv": Path("/d/hidden.report.csv")}
    assert report_paths("  ", res, None, ("csv",)) == {"csv": Path("/d/calls.results.report.csv")}


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("+1 (555) 010-0000", "+1 (555) 010-0000"),
        ("-5", "-5"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("Ann", "Ann"),
        ("", ""),
    ],
)
def test_spreadsheet_safe(cell, safe):
    """Only cells a spreadsheet would run as a formula are changed."""
    assert spreadsheet_safe(cell) == safe


def _table(**columns: list) -> ReportTable:
    return ReportTable(columns, times=frozenset({"time"}))


def test_write_xlsx_strips_control_characters_and_keeps_types(tmp_path: Path):
    """Control characters xlsx forbids are dropped; numbers stay numbers, '=' text stays text."""
    table = _table(row=[2, 3], Name=["bell\x07here", "=1+1"], attempts=[1, 0])
    path = tmp_path / "t.xlsx"
    write_xlsx(table, path)
    back = pd.read_excel(path, engine="openpyxl")
    assert back["Name"].tolist() == ["bellhere", "=1+1"]
    assert back["attempts"].tolist() == [1, 0]


def test_xlsx_time_is_a_date_time_cell_and_phone_numbers_stay_text(tmp_path: Path):
    """The time column holds date-times (UTC) a spreadsheet sorts and formats, not text; numbers that
    look numeric (201, 2125550001, +1555...) stay text, so no leading zero or plus sign is lost."""
    table = _table(
        snumber=["201", "0201"],
        cnumber=["2125550001", "+15550100002"],
        time=["2026-11-26T20:00:02.500000Z", ""],
    )
    write_xlsx(table, tmp_path / "t.xlsx")
    ws = load_workbook(tmp_path / "t.xlsx")["report"]
    (_, first, second) = [[(c.value, c.data_type) for c in row] for row in ws.iter_rows()]
    assert first == [("201", "s"), ("2125550001", "s"), (datetime(2026, 11, 26, 20, 0, 2, 500000), "d")]
    assert second[:2] == [("0201", "s"), ("+15550100002", "s")] and second[2][0] is None


def test_xlsx_refuses_more_rows_than_a_sheet_holds(tmp_path: Path):
    """Past Excel's 1,048,576 rows (header included) the writer refuses, naming the limit and the way
    out, and leaves no file behind."""
    check_fits_xlsx(XLSX_MAX_ROWS - 1)
    with pytest.raises(TooManyRows, match="1,048,576 rows.*--format csv"):
        check_fits_xlsx(XLSX_MAX_ROWS)

    class Huge(ReportTable):
        def __len__(self) -> int:
            return XLSX_MAX_ROWS

    with pytest.raises(TooManyRows):
        write_xlsx(Huge({"row": [2]}), tmp_path / "t.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_write_csv_defuses_formulas_and_keeps_numbers(tmp_path: Path):
    """Text a spreadsheet would run is defused in every column; numbers and empty cells are written as
    they are; rows end in CRLF after a byte-order mark."""
    table = _table(row=[2, 3], Name=["=1+1", "Ann"], cnumber=["+15550100002", "-x"], talk_s=[12.5, None])
    write_csv(table, tmp_path / "t.csv")
    data = (tmp_path / "t.csv").read_bytes()
    assert data == (b"\xef\xbb\xbfrow,Name,cnumber,talk_s\r\n2,'=1+1,+15550100002,12.5\r\n3,Ann,'-x,\r\n")


def test_report_files_get_ordinary_permissions(tmp_path: Path):
    """Report files are created like any new file (umask 022: 0644), not private like a temp file."""
    old = os.umask(0o022)
    try:
        write_html("<p>x</p>", tmp_path / "r.html")
    finally:
        os.umask(old)
    assert (tmp_path / "r.html").stat().st_mode & 0o777 == 0o644
