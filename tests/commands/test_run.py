"""`dialer run`'s interface (dialer/commands/run.py): what an operator sees (a bar on a terminal, plain lines
otherwise, nothing with --quiet), and the exit status and one clear line for each refusal to start."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time

import pytest

from dialer.core import exitcodes
from dialer.journal.lines import Event
from dialer.run.eventloop import ENV
from dialer.run.progress import ORDER
from tests.helpers.events import dial_line
from tests.helpers.files import numbered_list, read_lines, write_csv
from tests.helpers.processes import (
    dialer_cmd,
    dialer_env,
    finish,
    run_dialer,
    start_dialer,
    wait_for,
)
from tests.helpers.results_side import (
    count_events,
)
from tests.helpers.switch_side import (
    assert_placed_at_most_once,
)
from tests.helpers.terminal import json_events

pytestmark = pytest.mark.timeout(120)


# -- what the operator sees ------------------------------------------------------------------------


def test_the_console_is_one_json_object_a_line_when_not_a_terminal(tmp_path, simulator):
    """Under cron (no terminal) every line of the console is a JSON object (time, level and event
    first), with no bar's carriage returns; the last progress event has the run ended line's counts,
    in the display's order, adding up."""
    sim = simulator()
    done = run_dialer("run", str(numbered_list(tmp_path / "l.csv", 5)), "--url", sim.url)
    assert done.returncode == exitcodes.OK
    assert "\r" not in done.stderr
    events = json_events(done.stderr)
    assert all(list(e)[:3] == ["ts", "level", "event"] for e in events)
    names = [e["event"] for e in events]
    assert names.index("run started") < names.index("progress") < names.index("run ended")
    progress = [e for e in events if e["event"] == "progress"][-1]
    ended = events[names.index("run ended")]
    as_ended = [ended[k] for k in ("placed", "failed", "rejected", "unknown", "not_dialed")]
    assert [progress[k] for k in ORDER] == as_ended
    assert progress["done"] + progress["left"] == progress["total"] == 5 and progress["placed"] == 5


def test_log_format_human_speaks_sentences_without_a_terminal(tmp_path, simulator):
    """--log-format human: sentences even into a file (a person reading a log), never JSON or
    key=value."""
    sim = simulator()
    source = str(numbered_list(tmp_path / "l.csv", 5))
    done = run_dialer("run", source, "--url", sim.url, "--log-format", "human")
    assert done.returncode == exitcodes.OK
    assert "Run started: campaign l, 5 rows in the list, 5 to dial now." in done.stderr
    assert "Run ended with exit status 0: finished" in done.stderr
    assert "{" not in done.stderr and "='" not in done.stderr and "event=" not in done.stderr


def test_quiet_prints_only_warnings_and_errors(tmp_path, simulator):
    """--quiet: a successful run says nothing at all; an account refusal still says why."""
    sim = simulator()
    done = run_dialer("run", str(numbered_list(tmp_path / "l.csv", 5)), "--url", sim.url, "--quiet")
    assert done.returncode == exitcodes.OK
    assert done.stderr == "" and done.stdout == ""
    refused = run_dialer(
        "run",
        str(numbered_list(tmp_path / "m.csv", 2)),
        "--url",
        sim.url,
        "--quiet",
        env=dialer_env(ENSWITCH_PASSWORD="not-the-one"),
    )
    assert refused.returncode == exitcodes.ACCOUNT_REFUSED
    assert "account refused" in refused.stderr and "progress" not in refused.stderr


def test_progress_bar_on_a_terminal(tmp_path, simulator):
    """On a terminal a live bar shows rows done and the counts."""
    sim = simulator()
    source = numbered_list(tmp_path / "l.csv", 20)
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        dialer_cmd("run", str(source), "--url", sim.url, "--rate", "20"),
        env=dialer_env(COLUMNS="120"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=follower,
    )
    os.close(follower)
    screen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
        elif proc.poll() is not None:
            break
    os.close(leader)
    assert proc.wait(timeout=30) == exitcodes.OK
    text = screen.decode(errors="replace")
    assert "\r" in text and "20/20 rows" in text
    assert "placed 20  failed 0  rejected 0  unknown 0  left 0" in text


# -- exit statuses ---------------------------------------------------------------------------------


def test_missing_credentials_are_bad_input(tmp_path):
    """No password in the environment: exit 2 before anything else, and no flag takes one."""
    source = numbered_list(tmp_path / "list.csv", 1)
    env = {k: v for k, v in dialer_env().items() if k != "ENSWITCH_PASSWORD"}
    done = run_dialer("run", str(source), "--url", "http://127.0.0.1:9/", env=env)
    assert done.returncode == exitcodes.BAD_INPUT and "ENSWITCH_PASSWORD" in done.stderr
    assert run_dialer("run", str(source), "--password", "x").returncode == 2


def test_bad_input_is_one_clear_line_and_nothing_is_sent(tmp_path, simulator):
    """A list without a cnumber column: exit 2, the file and column named, no traceback, no request."""
    sim = simulator()
    source = write_csv(tmp_path / "list.csv", ["snumber", "name"], [["2125550001", "x"]])
    done = run_dialer("run", str(source), "--url", sim.url)
    assert done.returncode == exitcodes.BAD_INPUT
    assert "cnumber" in done.stderr and "list.csv" in done.stderr
    assert "Traceback" not in done.stderr
    assert sim.arrivals() == []


def test_a_bad_loop_setting_is_bad_input_before_anything_is_dialed(tmp_path):
    """DIALER_EVENT_LOOP=nonsense: exit 2 with one clear line, no traceback, no results file."""
    source = numbered_list(tmp_path / "list.csv", 3)
    env = dialer_env(**{ENV: "nonsense"})
    done = run_dialer("run", str(source), "--url", "http://127.0.0.1:9/", env=env)
    assert done.returncode == exitcodes.BAD_INPUT
    assert "DIALER_EVENT_LOOP='nonsense'" in done.stderr
    assert "Traceback" not in done.stderr
    assert read_lines(tmp_path / "list.results.jsonl") == []


def test_a_bad_flag_exits_2_with_one_bad_input_line(tmp_path):
    """`dialer run --concurrency none`: exit 2, "bad input" naming --concurrency, no traceback."""
    source = numbered_list(tmp_path / "list.csv", 1)
    done = run_dialer("run", str(source), "--url", "http://127.0.0.1:9/", "--concurrency", "none")
    assert done.returncode == exitcodes.BAD_INPUT
    assert "bad input" in done.stderr and "--concurrency must be" in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_window_flag_is_bad_input(tmp_path):
    """A typo in --window is reported against the flag, exit 2."""
    source = numbered_list(tmp_path / "list.csv", 1)
    done = run_dialer("run", str(source), "--window", "9-5pm", "--timezone", "UTC")
    assert done.returncode == exitcodes.BAD_INPUT and "--window" in done.stderr


def run_args(list_path, url, *extra: str) -> list[str]:
    return ["run", str(list_path), "--url", url, *extra]


def test_second_run_at_once_exits_5_and_dials_nothing(tmp_path, simulator):
    """While a run holds the campaign, another exits 5 at once, writes nothing and sends nothing."""
    sim = simulator("--place-latency", "0.5")
    list_path = numbered_list(tmp_path / "list.csv", 20)
    results = tmp_path / "list.results.jsonl"
    args = run_args(list_path, sim.url, "--concurrency", "5", "--wait", "2")
    first = start_dialer(*args)
    wait_for(lambda: count_events(results, Event.DIAL) > 0, 20, "the first run to send")
    started = time.monotonic()
    second = run_dialer(*args, timeout=20)
    assert second.returncode == exitcodes.ALREADY_RUNNING, second.stderr
    assert "already running" in second.stderr
    assert time.monotonic() - started < 6 and first.poll() is None, "the second run waited for the first"
    status, err = finish(first, timeout=40)
    assert status == exitcodes.OK, err
    assert count_events(results, Event.RUN_STARTED) == 1
    assert_placed_at_most_once(sim.placed())
    assert len(sim.arrivals()) == len(sim.placed()) == 20


def test_run_refuses_a_results_file_corrupt_in_the_middle(tmp_path, simulator):
    """`dialer run` exits 8, dials nothing and leaves the file as it was; it does not start afresh."""
    sim = simulator()
    list_path = numbered_list(tmp_path / "list.csv", 5)
    results = tmp_path / "list.results.jsonl"
    before = dial_line(2) + b"garbage\n" + dial_line(3)
    results.write_bytes(before)
    done = run_dialer("run", str(list_path), "--url", sim.url, "--quiet", timeout=30)
    assert done.returncode == exitcodes.RESULTS_UNWRITABLE, done.stderr
    assert "line 2" in done.stderr
    assert sim.arrivals() == []
    assert results.read_bytes() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_run_refuses_an_unreadable_results_file(tmp_path, simulator):
    """chmod 000 on the results file: exit 8, nothing dialed (as an ordinary user)."""
    sim = simulator()
    list_path = numbered_list(tmp_path / "list.csv", 3)
    results = tmp_path / "list.results.jsonl"
    results.write_bytes(dial_line(2))
    results.chmod(0)
    try:
        done = run_dialer("run", str(list_path), "--url", sim.url, "--quiet", timeout=30)
    finally:
        results.chmod(0o644)
    assert done.returncode == exitcodes.RESULTS_UNWRITABLE, done.stderr
    assert sim.arrivals() == []
