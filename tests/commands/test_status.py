"""`dialer status` (dialer/commands/status.py) on a campaign on disk: its counts, its flags, and one line and
an exit status for what it cannot read."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from dialer.commands.status import status
from dialer.core import exitcodes
from dialer.core import outcomes as o
from tests.helpers.report_campaign import (
    EXPECTED_COUNTS,
    results_bytes,
    write_campaign,
)


def test_command_counts_agree_with_the_results_file(tmp_path: Path):
    """`dialer status --json` on a finished campaign gives the results file's counts and rates."""
    files = write_campaign(tmp_path)
    result = CliRunner().invoke(status, [str(files.toml), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["counts"] == EXPECTED_COUNTS
    assert data["requests"] == 14
    assert [u["row"] for u in data["unknown"]] == [6, 7]
    assert data["results_exists"] is True


def test_command_text(tmp_path: Path):
    """Plain `dialer status` prints the counts table."""
    files = write_campaign(tmp_path)
    result = CliRunner().invoke(status, [str(files.toml)])
    assert result.exit_code == 0, result.output
    assert "  unknown                 2\n" in result.output


def test_command_with_no_results_file(tmp_path: Path):
    """No results file yet: everything not yet dialed, list problems rejected or suppressed."""
    files = write_campaign(tmp_path)
    files.results.unlink()
    result = CliRunner().invoke(status, [str(files.toml), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["counts"][o.NOT_DIALED] == 10
    assert (data["counts"][o.REJECTED], data["counts"][o.SUPPRESSED]) == (1, 2)
    assert data["results_exists"] is False


def test_results_flag_overrides_the_results_path(tmp_path: Path):
    """--results reads another file (here an empty one: nothing sent)."""
    files = write_campaign(tmp_path)
    other = tmp_path / "elsewhere.jsonl"
    other.write_bytes(b"")
    result = CliRunner().invoke(status, [str(files.toml), "--results", str(other), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["requests"] == 0


def test_corrupt_results_file_is_one_line_and_results_exit_status(tmp_path: Path):
    """A results line that is not JSON (not the torn last line) exits RESULTS_UNWRITABLE, no traceback."""
    files = write_campaign(tmp_path)
    files.results.write_bytes(b"{not json}\n" + results_bytes())
    result = CliRunner().invoke(status, [str(files.toml)])
    assert result.exit_code == exitcodes.RESULTS_UNWRITABLE
    assert result.output.count("\n") == 1 and str(files.results) in result.output
    assert "Traceback" not in result.output


def test_torn_last_line_is_noted_not_fatal(tmp_path: Path):
    """A half-written last line (a crash) is skipped and mentioned."""
    files = write_campaign(tmp_path)
    files.results.write_bytes(results_bytes() + b'{"ts": "2026-11-26T20:12')
    result = CliRunner().invoke(status, [str(files.toml)])
    assert result.exit_code == 0, result.output
    assert "cut short" in result.output


def test_missing_source_is_bad_input(tmp_path: Path):
    """A campaign that does not exist exits BAD_INPUT with one line naming it."""
    result = CliRunner().invoke(status, [str(tmp_path / "nope.toml")])
    assert result.exit_code == exitcodes.BAD_INPUT
    assert "nope.toml" in result.output and result.output.count("\n") == 1


def test_list_error_is_bad_input(tmp_path: Path):
    """A list without the columns calls/make needs exits BAD_INPUT with one line naming it."""
    files = write_campaign(tmp_path)
    files.csv.write_text("who,when\nAnn,today\n", encoding="utf-8")
    result = CliRunner().invoke(status, [str(files.toml)])
    assert result.exit_code == exitcodes.BAD_INPUT
    assert result.output.count("\n") == 1 and "calls.csv" in result.output
    assert "Traceback" not in result.output


def test_bare_list_as_source(tmp_path: Path):
    """SOURCE may be the list itself; its results file is <list stem>.results.jsonl beside it."""
    files = write_campaign(tmp_path)
    result = CliRunner().invoke(
        status, [str(files.csv), "--do-not-call", str(tmp_path / "dnc.csv"), "--person", "cnumber", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["counts"] == EXPECTED_COUNTS


def test_without_the_do_not_call_list_its_rows_are_not_dialed(tmp_path: Path):
    """Status re-checks the list as given: without --do-not-call, row 13 is simply not dialed yet."""
    files = write_campaign(tmp_path)
    result = CliRunner().invoke(status, [str(files.csv), "--person", "cnumber", "--json"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)["counts"]
    assert (counts[o.SUPPRESSED], counts[o.NOT_DIALED]) == (1, 2)
