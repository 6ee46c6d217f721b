"""`dialer report` (dialer/commands/report.py): CSV, xlsx and HTML files from a finished campaign on disk."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from openpyxl import load_workbook

from dialer.commands.report import report
from dialer.commands.status import status
from dialer.core import exitcodes
from dialer.core import outcomes as o
from dialer.reporting import writers
from dialer.reporting.source import load_source, summary_of
from dialer.reporting.status_text import LABELS
from tests.helpers.report_campaign import (
    EXPECTED_COUNTS,
    ORIGINAL,
    XSS,
    results_bytes,
    with_outcomes,
    write_campaign,
)


def _run(*args: str):
    return CliRunner().invoke(report, [str(a) for a in args])


def test_all_formats_beside_the_results_file(tmp_path: Path):
    """By default the three files go beside the results file, named after the campaign, and their paths
    are printed."""
    files = write_campaign(tmp_path)
    result = _run(files.toml)
    assert result.exit_code == 0, result.output
    expected = [tmp_path / f"calls.report.{ext}" for ext in ("csv", "xlsx", "html")]
    assert result.output.splitlines() == [str(p) for p in expected]
    assert all(p.stat().st_size > 0 for p in expected)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_xlsx_opens_in_pandas_with_counts_that_agree(tmp_path: Path):
    """The xlsx has one row per list row, original cells as text, and the outcomes of the results file."""
    files = write_campaign(tmp_path)
    assert _run(files.toml, "--format", "xlsx").exit_code == 0
    sheet = pd.read_excel(tmp_path / "calls.report.xlsx", engine="openpyxl", dtype=str)
    assert len(sheet) == len(ORIGINAL)
    assert sheet["outcome"].value_counts().to_dict() == {k: v for k, v in EXPECTED_COUNTS.items() if v}
    by_row = sheet.set_index("row")
    assert by_row.loc["4", "callerid1"] == XSS
    assert by_row.loc["10", "Name"] == '=HYPERLINK("http://evil")'  # text, not a formula
    assert by_row.loc["2", "cnumber"] == "+15550100002"
    assert by_row.loc["5", ["code", "attempts"]].tolist() == ["503", "3"]


def test_xlsx_never_holds_a_formula(tmp_path: Path):
    """A cell starting with '=' is stored as a string, so a spreadsheet does not evaluate it."""
    from openpyxl import load_workbook

    files = write_campaign(tmp_path)
    assert _run(files.toml, "--format", "xlsx").exit_code == 0
    ws = load_workbook(tmp_path / "calls.report.xlsx")["report"]
    assert not [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_csv_reads_back_with_the_same_rows_and_defused_formulas(tmp_path: Path):
    """The CSV (UTF-8 with BOM) has every row; a cell that would be a formula gets a leading apostrophe."""
    files = write_campaign(tmp_path)
    assert _run(files.toml, "--format", "csv").exit_code == 0
    path = tmp_path / "calls.report.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert table["row"].tolist() == [str(r) for r in ORIGINAL]
    assert table["outcome"].value_counts().to_dict() == {k: v for k, v in EXPECTED_COUNTS.items() if v}
    by_row = table.set_index("row")
    assert by_row.loc["10", "Name"] == '\'=HYPERLINK("http://evil")'
    assert by_row.loc["2", "cnumber"] == "+15550100002"
    assert by_row.loc["7", ["outcome", "time"]].tolist() == [o.UNKNOWN, "2026-11-26T20:00:02.500000Z"]


def test_html_only_with_out_prefix(tmp_path: Path):
    """--format html --out PREFIX writes PREFIX.html and nothing else."""
    files = write_campaign(tmp_path)
    out = tmp_path / "out" / "june"
    result = _run(files.toml, "--format", "html", "--out", out)
    assert result.exit_code == 0, result.output
    page = (tmp_path / "out" / "june.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "&lt;script&gt;" in page and XSS not in page
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["june.html"]


def test_out_directory(tmp_path: Path):
    """--out an existing directory puts the files there under the default names."""
    files = write_campaign(tmp_path)
    (tmp_path / "reports").mkdir()
    assert _run(files.toml, "--out", tmp_path / "reports").exit_code == 0
    assert len(list((tmp_path / "reports").glob("calls.report.*"))) == 3


def test_report_before_any_run(tmp_path: Path):
    """Without a results file the report still lists every row, as not yet dialed or a list problem."""
    files = write_campaign(tmp_path)
    files.results.unlink()
    assert _run(files.toml, "--format", "csv").exit_code == 0
    table = pd.read_csv(tmp_path / "calls.report.csv", dtype=str, encoding="utf-8-sig")
    assert table["outcome"].value_counts().to_dict() == {o.NOT_DIALED: 10, o.SUPPRESSED: 2, o.REJECTED: 1}


def test_results_flag(tmp_path: Path):
    """--results reads another results file and the report goes beside it."""
    files = write_campaign(tmp_path)
    other = tmp_path / "other" / "copy.jsonl"
    other.parent.mkdir()
    other.write_bytes(results_bytes())
    files.results.unlink()
    assert _run(files.toml, "--results", other, "--format", "csv").exit_code == 0
    table = pd.read_csv(other.parent / "calls.report.csv", dtype=str, encoding="utf-8-sig")
    assert (table["outcome"] == o.PLACED).sum() == EXPECTED_COUNTS[o.PLACED]


def test_corrupt_results_file(tmp_path: Path):
    """A corrupt results file: one line naming it, RESULTS_UNWRITABLE, and no report written."""
    files = write_campaign(tmp_path)
    files.results.write_bytes(b"garbage\n" + results_bytes())
    result = _run(files.toml)
    assert result.exit_code == exitcodes.RESULTS_UNWRITABLE
    assert result.output.count("\n") == 1 and "calls.results.jsonl" in result.output
    assert not list(tmp_path.glob("*.report.*"))


def test_bad_campaign_is_bad_input(tmp_path: Path):
    """A campaign file that is not TOML: BAD_INPUT and one line naming it."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[campaign\n", encoding="utf-8")
    result = _run(bad)
    assert result.exit_code == exitcodes.BAD_INPUT
    assert result.output.count("\n") == 1 and "bad.toml" in result.output


def test_unwritable_out_is_bad_input(tmp_path: Path):
    """A report path under a file (not a directory): BAD_INPUT and one line naming it, no traceback."""
    files = write_campaign(tmp_path)
    (tmp_path / "blocker").write_text("", encoding="utf-8")
    result = _run(files.toml, "--out", tmp_path / "blocker" / "june")
    assert result.exit_code == exitcodes.BAD_INPUT
    assert (
        result.output.count("\n") == 1
        and "blocker" in result.output
        and "cannot write the report" in result.output
    )
    assert "Traceback" not in result.output


def test_files_are_named_after_the_campaign_not_the_results_file(tmp_path: Path):
    """[campaign] name gives the names (they were <results stem>.report.<ext>); a list given
    directly gives its own name."""
    files = write_campaign(tmp_path)
    text = files.toml.read_text(encoding="utf-8").replace('name = "calls"', 'name = "Spring drive"')
    files.toml.write_text(text, encoding="utf-8")
    result = _run(files.toml, "--format", "html")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [str(tmp_path / "Spring drive.report.html")]
    (tmp_path / "june.csv").write_text("snumber,cnumber\n201,+15550100002\n", encoding="utf-8")
    result = _run(tmp_path / "june.csv", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [str(tmp_path / "june.report.csv")]
    assert not list(tmp_path.glob("*.results.report.*"))


def test_help_says_how_the_files_are_named():
    """--help documents the names and both forms of --out."""
    text = " ".join(CliRunner().invoke(report, ["--help"], terminal_width=100).output.split())
    assert "<campaign name>.report.csv" in text
    assert "--out reports/june writes reports/june.csv" in text
    assert f"{writers.XLSX_MAX_ROWS:,} rows" in text and "--format csv" in text


def test_xlsx_time_column_holds_date_times(tmp_path: Path):
    """The xlsx `time` column is a date-time cell (it was text); phone numbers stay text."""
    files = write_campaign(tmp_path)
    assert _run(files.toml, "--format", "xlsx").exit_code == 0
    ws = load_workbook(tmp_path / "calls.report.xlsx")["report"]
    header = [c.value for c in ws[1]]
    row_7 = next(r for r in ws.iter_rows(min_row=2) if r[0].value == 7)
    time = row_7[header.index("time")]
    assert (time.value, time.data_type) == (datetime(2026, 11, 26, 20, 0, 2, 500000), "d")
    number = row_7[header.index("cnumber")]
    assert (number.value, number.data_type) == ("+15550100007", "s")


def test_a_list_too_long_for_xlsx_is_refused_before_anything_is_written(tmp_path: Path, monkeypatch):
    """Past the limit of an xlsx sheet (lowered here to the fixture's size): exit status 2, one line
    naming the limit and --format csv, no traceback, and no file at all, not even the CSV."""
    files = write_campaign(tmp_path)
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", len(ORIGINAL))  # 13 rows and a header: one too many
    before = sorted(tmp_path.iterdir())
    result = _run(files.toml)
    assert result.exit_code == exitcodes.BAD_INPUT
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert f"at most {len(ORIGINAL):,} rows" in result.output and "--format csv" in result.output
    assert "calls.report.xlsx" in result.output
    assert sorted(tmp_path.iterdir()) == before
    assert _run(files.toml, "--format", "csv").exit_code == 0


def _with_calls(tmp_path: Path):
    """The report tests' campaign with its calls' outcomes, [recycle] and a calling window in New York."""
    files = write_campaign(tmp_path)
    files.results.write_bytes(results_bytes(with_outcomes()))
    toml = files.toml.read_text(encoding="utf-8")
    toml += '[recycle]\nafter = "1h"\n[window]\ntimezone = "America/New_York"\nhours = "09:00-20:00"\n'
    files.toml.write_text(toml, encoding="utf-8")
    return files


def test_csv_carries_reason_and_each_rows_last_call(tmp_path: Path):
    """The CSV has the reason in words, the raw code, and per row its call status, talk time, calls and
    when [recycle] may call again."""
    files = _with_calls(tmp_path)
    assert _run(files.toml, "--format", "csv").exit_code == 0
    table = pd.read_csv(tmp_path / "calls.report.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    by_row = table.set_index("row")
    assert by_row.loc["2", ["call_status", "talk_s", "calls"]].tolist() == ["answered", "30.0", "1"]
    assert by_row.loc["9", ["call_status", "talk_s"]].tolist() == ["busy", ""]
    assert by_row.loc["10", ["call_status", "next_call"]].tolist() == ["waiting", ""]
    assert by_row.loc["8", "next_call"] == "2026-11-26T21:10:30.000000Z"  # [recycle] after 1 h
    assert by_row.loc["5", ["reason", "code"]].tolist() == [
        "the switch was too busy to take the call (503)",
        "503",
    ]


def test_html_figures_are_the_summarys_that_status_shows(tmp_path: Path):
    """The page's totals are `dialer status --json`'s counts, its call figures the same summary's."""
    files = _with_calls(tmp_path)
    assert _run(files.toml, "--format", "html").exit_code == 0
    page = (tmp_path / "calls.report.html").read_text(encoding="utf-8")
    status_json = json.loads(CliRunner().invoke(status, [str(files.toml), "--json"]).output)
    cards = dict(
        (label.lower(), int(n.replace(",", "")))
        for n, label in re.findall(r'<div class="n">([\d,]+)</div><div class="l">([^<]+)</div>', page)
    )
    assert cards == {"list rows": status_json["total"]} | {
        LABELS[k]: n for k, n in status_json["counts"].items()
    }
    c = summary_of(load_source(files.toml)).call_stats
    assert (
        f"Answer rate: {c.answer_rate:.1%}" in page
        and f"Waiting to be called again ({len(c.recycle_waiting)})" in page
    )
    assert "America/New_York" in page
