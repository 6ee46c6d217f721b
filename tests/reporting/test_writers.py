"""Writing the report files (dialer/reporting/writers.py): where they go, cells a spreadsheet would run as a
formula, what xlsx cannot hold, and the files' permissions."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from dialer.reporting.writers import report_paths, spreadsheet_safe, write_html, write_xlsx


def test_report_paths():
    """Default, directory and prefix (with or without an extension) targets."""
    res = Path("/d/calls.results.jsonl")
    assert report_paths(res, None, ("csv",)) == {"csv": Path("/d/calls.results.report.csv")}
    assert report_paths(res, "/tmp/x/", ("html",)) == {"html": Path("/tmp/x/calls.results.report.html")}
    assert report_paths(res, "/tmp/june.html", ("csv", "html")) == {
        "csv": Path("/tmp/june.csv"),
        "html": Path("/tmp/june.html"),
    }


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


def test_write_xlsx_strips_control_characters_and_keeps_types(tmp_path: Path):
    """Control characters xlsx forbids are dropped; numbers stay numbers, '=' text stays text."""
    table = pd.DataFrame({"row": [2, 3], "Name": ["bell\x07here", "=1+1"], "attempts": [1, 0]})
    path = tmp_path / "t.xlsx"
    write_xlsx(table, path)
    back = pd.read_excel(path, engine="openpyxl")
    assert back["Name"].tolist() == ["bellhere", "=1+1"]
    assert back["attempts"].tolist() == [1, 0]


def test_report_files_get_ordinary_permissions(tmp_path: Path):
    """Report files are created like any new file (umask 022: 0644), not private like a temp file."""
    old = os.umask(0o022)
    try:
        write_html("<p>x</p>", tmp_path / "r.html")
    finally:
        os.umask(old)
    assert (tmp_path / "r.html").stat().st_mode & 0o777 == 0o644
