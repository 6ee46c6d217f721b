"""Crashes (kill -9 at random moments, with requests held by the switch, after a checkpoint; lines torn
mid-write) and the resume after them, judged from the switch's placed log: nobody is called twice, and
the rows a crash left unknown are settled from the switch's call lists."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import time
from collections import Counter

import orjson
import pytest

from dialer.core import exitcodes
from dialer.core import outcomes as o
from dialer.core.lookup import ABSENT, FOUND
from dialer.journal.checkpoint import checkpoint_path, replay_with_checkpoint
from dialer.journal.lines import Event
from dialer.journal.results_file import read_results
from tests.helpers.files import campaign_toml, numbered_list, read_lines, snumber_of
from tests.helpers.processes import finish, run_dialer, start_dialer, wait_for
from tests.helpers.replays import assert_same_replay
from tests.helpers.results_side import (
    assert_every_row_has_an_outcome,
    checks_by_attempt,
    count_events,
    last_outcomes,
    row_states,
    torn_by_a_crash,
)
from tests.helpers.switch_side import (
    assert_every_arrival_had_an_intent,
    assert_placed_at_most_once,
)

pytestmark = pytest.mark.timeout(120)


def run_args(list_path, url, *extra: str) -> list[str]:
    return ["run", str(list_path), "--url", url, *extra]


@pytest.mark.slow
def test_three_kill9_at_random_moments_then_resume(tmp_path, simulator):
    """300 rows, kill -9 three times mid-run, resume: no row placed twice, every row has its outcome,
    and the rows the kills left in flight are settled by the switch's call lists."""
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    sim = simulator("--place-latency", "0.3")
    list_path = numbered_list(tmp_path / "list.csv", 300)
    results = tmp_path / "list.results.jsonl"
    # Short margins: the resume asks the switch about the killed runs' rows once they have settled.
    camp = campaign_toml(tmp_path, list_path, sim.url, timeout_margin=1, settle=0.5)
    args = ["run", str(camp), "--results", str(results), "--rate", "100", "--concurrency", "20"]
    args += ["--wait", "2"]
    for kill in range(3):
        dials_before = count_events(results, Event.DIAL)
        process = start_dialer(*args)
        # Once this run has sent something, kill it at a random moment of the next 0.8 s.
        wait_for(
            lambda b=dials_before, p=process: count_events(results, Event.DIAL) > b or p.poll() is not None,
            20,
            "the run to send",
        )
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=rng.uniform(0.0, 0.8))
        process.send_signal(signal.SIGKILL)
        status, _ = finish(process)
        assert status == -signal.SIGKILL, f"seed {seed}: run {kill} ended by itself before the kill"
    resumed = run_dialer(*args, timeout=60)
    lines = read_lines(results)
    placed = sim.placed()
    rows = list(range(2, 302))
    context = f"seed {seed}"
    assert resumed.returncode in (exitcodes.OK, exitcodes.NEEDS_ATTENTION), f"{context}\n{resumed.stderr}"
    assert_placed_at_most_once(placed)
    assert_every_arrival_had_an_intent(sim.arrivals(), lines)
    assert_every_row_has_an_outcome(lines, rows)
    states = row_states(results)
    assert set(states.values()) <= {o.PLACED, o.UNKNOWN}, context
    # A row the results file calls placed was placed at the switch; a row it never placed is unknown.
    placed_numbers = {p["snumber"] for p in placed}
    last = last_outcomes(lines)
    for line in lines:
        if line.get("event") == Event.DIAL and line["snumber"] not in placed_numbers:
            assert last[line["row"]] == o.UNKNOWN, f"{context}: row {line['row']}"
    # The rows a kill left in flight were asked about when the resume started (the lists answer):
    # each is placed now, once; only a row the lists could not settle may stay unknown.
    interrupted = {ln["row"] for ln in lines if ln.get("code") == "interrupted"}
    unknown = {r for r, s in states.items() if s == o.UNKNOWN}
    assert unknown <= interrupted, context
    assert {ln["row"] for ln in lines if ln.get("event") == Event.CHECKED} >= interrupted - unknown, context
    assert len(placed) >= 300 - len(unknown), context


def test_result_line_torn_by_a_crash(tmp_path, simulator):
    """A file cut mid-way through a result line: the row becomes unknown (it was sent), never redialed;
    the resume asks the switch's lists about it, which show its call: placed."""
    sim = simulator()
    list_path = numbered_list(tmp_path / "list.csv", 10)
    camp = campaign_toml(tmp_path, list_path, sim.url, settle=0.5)
    results = tmp_path / "camp.results.jsonl"
    args = ("run", str(camp))
    assert run_dialer(*args, timeout=30).returncode == exitcodes.OK
    data = results.read_bytes()
    last_result = data.rfind(b'"event":"result"')
    start = data.rfind(b"\n", 0, last_result) + 1
    torn_row = orjson.loads(data[start : data.index(b"\n", start)])["row"]
    torn_by_a_crash(results, start + 40)
    resumed = run_dialer(*args, timeout=30)
    assert resumed.returncode == exitcodes.OK, resumed.stderr
    assert "torn line" in resumed.stderr
    assert len(sim.arrivals()) == 10, "a resume sent a request again"
    assert_placed_at_most_once(sim.placed())
    lines = read_lines(results)  # raises if any line (the torn one included) were left broken
    assert results.read_bytes().endswith(b"\n")
    assert [ln["code"] for ln in lines if ln.get("row") == torn_row and ln["event"] == Event.RESULT] == [
        "interrupted"
    ]
    assert checks_by_attempt(lines) == {(torn_row, 1): FOUND}
    assert row_states(results)[torn_row] == o.PLACED
    assert_every_row_has_an_outcome(lines, range(2, 12))


def test_intent_torn_by_a_crash(tmp_path, simulator):
    """A crash while writing an intent: that request never left, so the resume dials the row, once."""
    sim = simulator()
    list_path = numbered_list(tmp_path / "list.csv", 10)
    results = tmp_path / "list.results.jsonl"
    assert run_dialer(*run_args(list_path, sim.url), timeout=30).returncode == exitcodes.OK
    # The list grows by five rows; the crash tore the intent of the first new one (row 12).
    longer = numbered_list(tmp_path / "list.csv", 15)
    intent = next(ln for ln in read_lines(results) if ln.get("event") == Event.DIAL)
    intent.update(row=12, snumber="2125550010")
    with open(results, "ab") as f:
        f.write(orjson.dumps(intent)[:50])
    resumed = run_dialer(*run_args(longer, sim.url), timeout=30)
    assert resumed.returncode == exitcodes.OK, resumed.stderr
    assert "torn line" in resumed.stderr
    assert_placed_at_most_once(sim.placed())
    assert len(sim.placed()) == 15
    assert_every_row_has_an_outcome(read_lines(results), range(2, 17))


def test_killed_while_the_switch_waits_to_place(tmp_path, simulator):
    """kill -9 with every request in flight: all rows unknown on resume, none redialed, each placed
    once; the resume asks the switch's lists about them once settled, and they show every call."""
    sim = simulator("--place-latency", "1")
    list_path = numbered_list(tmp_path / "list.csv", 8)
    camp = campaign_toml(tmp_path, list_path, sim.url, settle=0.5)
    results = tmp_path / "camp.results.jsonl"
    args = ("run", str(camp), "--concurrency", "8", "--wait", "3")
    process = start_dialer(*args)
    wait_for(lambda: count_events(results, Event.DIAL) == 8, 20, "eight requests in flight")
    time.sleep(0.3)
    process.send_signal(signal.SIGKILL)
    assert finish(process)[0] == -signal.SIGKILL
    wait_for(lambda: len(sim.placed()) == 8, 5, "the switch to place the calls it had accepted")
    resumed = run_dialer(*args, timeout=30)
    assert resumed.returncode == exitcodes.OK, resumed.stderr
    assert "left unknown" in resumed.stderr
    assert len(sim.arrivals()) == 8
    lines = read_lines(results)
    assert all(ln["outcome"] == o.UNKNOWN for ln in lines if ln.get("code") == "interrupted")
    assert checks_by_attempt(lines) == {(row, 1): FOUND for row in range(2, 10)}
    assert set(row_states(results).values()) == {o.PLACED}
    assert_every_row_has_an_outcome(lines, range(2, 10))


def test_kill9_after_a_checkpoint_then_resume_dials_nobody_twice(tmp_path, simulator):
    """The checkpoint of a stopped run, then a run killed with -9 mid-flight (its intents after the
    checkpoint, perhaps a torn line), then a resume from the checkpoint and that tail: nobody placed
    twice, the killed run's requests in flight recorded as unknown, every row with an outcome."""
    sim = simulator("--place-latency", "0.3")
    source = numbered_list(tmp_path / "list.csv", 120)
    results = tmp_path / "list.results.jsonl"
    # Short margins: the resume asks the switch about the killed run's rows once they have settled.
    camp = campaign_toml(tmp_path, source, sim.url, timeout_margin=1, settle=0.5)
    args = ("run", str(camp), "--results", str(results), "--rate", "40", "--concurrency", "10", "--wait", "2")
    first = run_dialer(*args, "--max-duration", "1")
    assert first.returncode == exitcodes.TIME_LIMIT, first.stderr
    assert checkpoint_path(results).exists()
    dials = count_events(results, "dial")
    killed = start_dialer(*args)
    wait_for(lambda: count_events(results, "dial") >= dials + 15, 20, "the second run to send")
    killed.send_signal(signal.SIGKILL)
    assert finish(killed)[0] == -signal.SIGKILL
    resumed = run_dialer(*args, "--rate", "200", timeout=60)
    assert resumed.returncode in (exitcodes.OK, exitcodes.NEEDS_ATTENTION), resumed.stderr
    assert "results file replayed from its checkpoint" in resumed.stderr
    lines = read_lines(results)
    assert_placed_at_most_once(sim.placed())
    assert_every_row_has_an_outcome(lines, list(range(2, 122)))
    interrupted = {ln["row"] for ln in lines if ln.get("code") == "interrupted"}
    states = row_states(results)
    # The resume asks the switch's lists about the rows the kill left in flight: those it shows
    # placed are placed; only rows it could not settle stay unknown.
    assert {r for r, s in states.items() if s == "unknown"} <= interrupted
    assert set(states.values()) <= {"placed", "unknown"}
    assert len(sim.placed()) >= 120 - len(interrupted)
    # and what the resumed run checkpointed is what a full replay of the file says
    history = replay_with_checkpoint(results)
    assert history.restored == results.stat().st_size
    assert_same_replay(history.replay, read_results(results))


ROWS = 30
RESET = (1, 4, 7)  # reset before placing: nothing placed, the run sees a dropped connection


def test_kill9_then_resume_settles_every_row_from_the_switch_side(tmp_path, simulator):
    """kill -9 with requests held by the switch (some it places later), rows dropped before placing
    whose checks were not yet due, and perhaps an intent not yet sent; a resume with a short settle:
    nobody placed twice, every row placed, and exactly the rows the switch never placed redialed once."""
    reset = [snumber_of(i) for i in RESET]
    sim = simulator("--place-latency", "1", *[a for s in reset for a in ("--script", f"{s}=reset-before")])
    list_path = numbered_list(tmp_path / "list.csv", ROWS)
    results_path = tmp_path / "camp.results.jsonl"
    args = ("run", str(tmp_path / "camp.toml"), "--rate", "10", "--concurrency", "20", "--wait", "3")
    campaign_toml(tmp_path, list_path, sim.url, settle=30)  # no check falls due before the kill
    killed = start_dialer(*args)

    def placed_and_dropped() -> bool:
        lines = [ln for ln in read_lines(results_path) if ln.get("event") == Event.RESULT]
        placed = sum(ln["outcome"] == o.PLACED for ln in lines)
        return placed >= 3 and sum(ln["outcome"] == o.UNKNOWN for ln in lines) >= 2

    wait_for(lambda: placed_and_dropped() or killed.poll() is not None, 20, "placements and drops")
    killed.send_signal(signal.SIGKILL)
    assert finish(killed)[0] == -signal.SIGKILL
    killed_at = time.time()
    before = row_states(results_path)
    left_unknown = {row for row, state in before.items() if state == o.UNKNOWN}
    in_flight = {r.row for r in read_results(results_path).records.records() if r.in_flight}
    assert in_flight and left_unknown - in_flight, (in_flight, left_unknown)  # both kinds of unknown
    assert count_events(results_path, Event.CHECKED) == 0

    campaign_toml(tmp_path, list_path, sim.url, settle=0.5)
    done = run_dialer(*args, "--quiet", timeout=25)
    assert done.returncode == exitcodes.OK, done.stderr
    lines = read_lines(results_path)
    assert_placed_at_most_once(sim.placed())
    assert_every_arrival_had_an_intent(sim.arrivals(), lines)
    assert set(row_states(results_path).values()) == {o.PLACED}
    assert Counter(p["snumber"] for p in sim.placed()) == {snumber_of(i): 1 for i in range(ROWS)}

    # Judged from the switch: a request the killed run sent placed its call unless it was reset.
    first, resume = [], []
    for arrival in sim.arrivals():
        (first if arrival["t"] < killed_at else resume).append(arrival)
    placed_by_first = {a["snumber"] for a in first if a["fault"] is None}
    resent = Counter(a["snumber"] for a in resume)
    checks = checks_by_attempt(lines)
    for row in left_unknown:
        number = snumber_of(row - 2)
        if number in placed_by_first:
            assert resent[number] == 0, f"row {row}: placed by the killed run, dialed again"
            assert FOUND in {v for (r, _), v in checks.items() if r == row}, f"row {row}: {checks}"
        else:
            assert resent[number] == 1, f"row {row}: never placed, dialed {resent[number]} times"
            assert ABSENT in {v for (r, _), v in checks.items() if r == row}, f"row {row}: {checks}"
    assert set(reset) <= {snumber_of(r - 2) for r in left_unknown}
    never_dialed = {row for row in range(2, ROWS + 2) if before.get(row, o.NOT_DIALED) == o.NOT_DIALED}
    assert all(resent[snumber_of(r - 2)] == 1 for r in never_dialed)
    never_placed = {r for r in left_unknown if snumber_of(r - 2) not in placed_by_first}
    assert sum(resent.values()) == len(never_dialed) + len(never_placed)
