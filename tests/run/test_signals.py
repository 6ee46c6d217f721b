"""SIGTERM and SIGINT on a real `dialer run`, with requests in flight or the list still loading, judged from
the switch's side."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter

import pytest

from dialer.core import exitcodes
from dialer.core import outcomes as o
from dialer.core.lookup import FOUND
from dialer.journal.lines import Event
from dialer.journal.results_file import read_results
from tests.helpers.files import campaign_toml, numbered_list, read_lines
from tests.helpers.processes import dialer_cmd, dialer_env, finish, run_dialer, start_dialer, wait_for
from tests.helpers.results_side import (
    assert_every_row_has_an_outcome,
    checks_by_attempt,
    count_events,
    row_states,
)
from tests.helpers.switch_side import assert_every_arrival_had_an_intent, assert_placed_at_most_once

pytestmark = pytest.mark.timeout(60)


def sent_not_withdrawn(lines: list[dict]) -> Counter:
    """Per number, the intents whose request may have left (a withdrawn line cancels its intent)."""
    out: Counter = Counter()
    for line in lines:
        if line.get("event") == Event.DIAL:
            out[line["snumber"]] += 1
        elif line.get("event") == Event.WITHDRAWN:
            out[line["snumber"]] -= 1
    return +out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_first_signal_finishes_in_flight_then_resume_completes(tmp_path, simulator, sig):
    """One signal: no new row, requests in flight answered and recorded, exit 6; a resume finishes."""
    sim = simulator("--place-latency", "0.5")
    list_path = numbered_list(tmp_path / "list.csv", 60)
    results = tmp_path / "list.results.jsonl"
    args = ("run", str(list_path), "--url", sim.url, "--rate", "40", "--concurrency", "25", "--wait", "3")
    process = start_dialer(*args)
    wait_for(lambda: count_events(results, Event.DIAL) >= 5, 20, "requests to leave")
    process.send_signal(sig)
    signalled = time.monotonic()
    status, err = finish(process)
    took = time.monotonic() - signalled
    assert status == exitcodes.STOPPED, err
    assert 0.3 < took < 3, f"stopped {took:.1f} s after the signal: in-flight requests take 0.5 s"
    lines = read_lines(results)
    arrivals = sim.arrivals()
    time.sleep(0.3)
    assert sim.arrivals() == arrivals, "a request arrived after the run exited"
    # Every request that left was answered and recorded; nothing is left in flight or unknown.
    replay = read_results(results)
    assert not any(r.in_flight for r in replay.records.records())
    assert all(r.state in (o.PLACED, o.NOT_DIALED) for r in replay.records.records())
    assert Counter(a["snumber"] for a in arrivals) == sent_not_withdrawn(lines)
    assert count_events(results, Event.RESULT) == len(arrivals) < 60
    assert lines[-1]["event"] == Event.RUN_ENDED and lines[-1]["status"] == exitcodes.STOPPED
    resumed = run_dialer(*args, "--quiet", timeout=40)
    assert resumed.returncode == exitcodes.OK, resumed.stderr
    assert_placed_at_most_once(sim.placed())
    assert len(sim.placed()) == 60
    assert_every_row_has_an_outcome(read_lines(results), range(2, 62))


def test_second_signal_stops_now_and_in_flight_rows_become_unknown(tmp_path, simulator):
    """Two SIGINTs: exit 6 without waiting; what was in flight is unknown on resume and not redialed:
    the resume asks the switch's call lists about it once settled, and they show each call."""
    sim = simulator("--place-latency", "2")
    list_path = numbered_list(tmp_path / "list.csv", 20)
    camp = campaign_toml(tmp_path, list_path, sim.url, settle=0.5)
    results = tmp_path / "camp.results.jsonl"
    args = ("run", str(camp), "--concurrency", "10", "--wait", "4")
    process = start_dialer(*args)
    # The simulator logs an arrival when it answers: the intents say what is in flight.
    wait_for(lambda: count_events(results, Event.DIAL) >= 10, 20, "ten requests in flight")
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    signalled = time.monotonic()
    status, err = finish(process)
    assert status == exitcodes.STOPPED, err
    assert time.monotonic() - signalled < 1.5, "the second signal did not stop the run at once"
    in_flight = {r.row for r in read_results(results).records.records() if r.in_flight}
    assert len(in_flight) == 10
    resumed = run_dialer(*args, "--quiet", timeout=40)
    assert resumed.returncode == exitcodes.OK, resumed.stderr
    lines = read_lines(results)
    interrupted = {ln["row"] for ln in lines if ln.get("code") == "interrupted"}
    assert interrupted == in_flight
    assert all(
        ln["event"] == Event.RESULT and ln["outcome"] == o.UNKNOWN
        for ln in lines
        if ln.get("code") == "interrupted"
    )
    # Asked about once settled (wait 4 + settle 0.5 after their intents): each call is listed.
    assert checks_by_attempt(lines) == dict.fromkeys(((row, 1) for row in in_flight), FOUND)
    assert set(row_states(results).values()) == {o.PLACED}
    # Not redialed: each of them reached the switch once, and the switch placed it once.
    arrivals = Counter(a["snumber"] for a in sim.arrivals())
    assert all(n == 1 for n in arrivals.values()) and len(arrivals) == 20
    wait_for(lambda: len(sim.placed()) == 20, 5, "the switch to place every call")
    assert_placed_at_most_once(sim.placed())
    assert_every_arrival_had_an_intent(sim.arrivals(), lines)
    assert_every_row_has_an_outcome(lines, range(2, 22))


def test_signal_during_retry_backoff_leaves_the_row_to_the_resume(tmp_path, simulator):
    """A row waiting to retry a 503 when SIGTERM comes is not sent again in this run; the resume places it."""
    number = "2125550000"
    sim = simulator("--script", f"{number}=503", "--retry-after", "30")
    list_path = numbered_list(tmp_path / "list.csv", 3)
    args = ("run", str(list_path), "--url", sim.url)
    process = start_dialer(*args)
    wait_for(lambda: len(sim.placed()) == 2, 20, "the other rows to be placed")
    process.send_signal(signal.SIGTERM)
    status, err = finish(process, timeout=10)
    assert status == exitcodes.STOPPED, err
    assert Counter(a["snumber"] for a in sim.arrivals())[number] == 1
    resumed = run_dialer(*args, "--quiet", timeout=30)
    assert resumed.returncode == exitcodes.OK, resumed.stderr
    assert Counter(p["snumber"] for p in sim.placed()) == {number: 1, "2125550001": 1, "2125550002": 1}


def test_signal_while_a_large_list_loads_exits_6_without_dialing(tmp_path, simulator):
    """SIGTERM before the first row is claimed (the list still loading): exit 6, nothing sent."""
    sim = simulator()
    source = numbered_list(tmp_path / "big.csv", 9999)
    with open(source, "a") as f:  # a list slow enough to load that the signal lands mid-load
        f.writelines(f"31255{i:06d},100\n" for i in range(150_000))
    proc = subprocess.Popen(
        dialer_cmd("run", str(source), "--url", sim.url),
        env=dialer_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    locked = tmp_path / "big.results.jsonl"  # made and locked before the list is read
    deadline = time.monotonic() + 30
    while not locked.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    time.sleep(0.1)
    proc.send_signal(15)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == exitcodes.STOPPED, stderr
    assert sim.arrivals() == []
