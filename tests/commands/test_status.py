"""`dialer status` (dialer/commands/status.py) on a campaign on disk: its counts, its flags, and one line and
an exit status for what it cannot read."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from dialer.commands.status import status
from dialer.core import exitcodes
from dialer.core import outcomes as o
from dialer.reporting.summary import parse_ts
from tests.helpers.files import numbered_list
from tests.helpers.outcomes import NUMBERS, ListingSwitch, recycling_run
from tests.helpers.processes import run_dialer
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


def test_rows_needing_attention_the_first_few_and_all_with_all(tmp_path: Path):
    """25 rows not yet dialed: the first 20 listed and how many more; --all lists them all (text and
    JSON), each state always counted."""
    source = numbered_list(tmp_path / "list.csv", 25)
    result = CliRunner().invoke(status, [str(source)])
    assert result.exit_code == 0, result.output
    assert "Rows needing attention: 0 unknown, 0 failed, 0 rejected, 25 not yet dialed" in result.output
    assert "  … and 5 more" in result.output and "--all" in result.output
    listed = result.output.split("Not yet dialed (25):")[1].splitlines()[2:]
    assert [line.split()[0] for line in listed[:20]] == [str(row) for row in range(2, 22)]
    everything = CliRunner().invoke(status, [str(source), "--all", "--json"])
    rows = json.loads(everything.output)["attention"][o.NOT_DIALED]
    assert rows["count"] == 25 and [r["row"] for r in rows["rows"]] == list(range(2, 27))


def test_requests_that_never_connected_and_why_rows_failed(tmp_path: Path):
    """A run against a port where no switch listens: every row failed; status says no request reached
    the switch, and why each row failed, in words with the raw code."""
    source = numbered_list(tmp_path / "list.csv", 3)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ran = run_dialer("run", str(source), "--url", f"http://127.0.0.1:{port}/", "--attempts", "1", timeout=60)
    assert ran.returncode == exitcodes.NEEDS_ATTENTION, ran.stderr
    result = CliRunner().invoke(status, [str(source)])
    assert result.exit_code == 0, result.output
    assert "Requests: 0 reached the switch, 3 never connected (nothing sent), in 1 run(s)" in result.output
    failed = result.output.split("Failed (3):")[1].splitlines()
    assert "could not connect to the switch (ClientConnectorError): nothing was sent" in failed[2]
    assert "Last error" not in result.output  # exit 4: rows need attention, nothing else went wrong
    data = json.loads(CliRunner().invoke(status, [str(source), "--json"]).output)
    assert (data["requests"], data["requests_never_connected"]) == (3, 3)


def test_calls_answers_and_who_is_called_again_after_a_run_that_recycles(tmp_path: Path):
    """A run whose switch lists its calls: one person not answering (called again in an hour), two
    answering; status shows the calls by what became of them and who waits for another call."""
    switch = ListingSwitch({NUMBERS[0]: ["noanswer"]})
    ran, lines = recycling_run(tmp_path, switch, {"after": 3_600})
    assert ran == exitcodes.RECYCLE_LATER
    result = CliRunner().invoke(status, [str(tmp_path / "camp.toml"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["calls"] == {
        "answered": 2,
        "no-answer": 1,
        "busy": 0,
        "failed": 0,
        "not-known": 0,
        "waiting": 0,
    }
    assert (data["reached"], data["not_reached"]) == (2, 1)
    assert data["answer_rate"] == pytest.approx(2 / 3)
    assert sum(data["answers_by_hour"]) == 2
    (waiting,) = data["recycle_waiting"]
    placed = next(ln for ln in lines if ln["event"] == "result" and ln["snumber"] == NUMBERS[0])
    assert (waiting["row"], waiting["last_status"], waiting["calls"]) == (2, "no-answer", 1)
    assert 3_599 < (parse_ts(waiting["due"]) - parse_ts(placed["ts"])).total_seconds() <= 3_600
    assert data["last_error"] is None  # exit 10: nothing left but calls to make later, in order
    text = CliRunner().invoke(status, [str(tmp_path / "camp.toml")]).output
    assert "Answer rate: 66.7% (2 rows reached, 1 not reached)" in text
    assert "Waiting to be called again ([recycle]): 1" in text
