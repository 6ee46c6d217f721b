"""Call outcomes end to end: `dialer run` in its own process against the simulator with an answer model
(seeded, short ring and talk times). Every placed attempt ends with exactly one call_ended line, whose
status is what the switch logged for that call; calls are matched by callid when the switch returned
one, else by their numbers and time; the lookups stay far fewer than the calls."""

from __future__ import annotations

from collections import Counter

import pytest

from dialer.core.call_outcome import call_status
from tests.helpers.files import numbered_list, read_lines
from tests.helpers.outcomes import (
    attempt_key,
    call_ended_lines,
    outcomes_campaign,
    placed_attempts,
    switch_statuses,
)
from tests.helpers.processes import run_dialer

pytestmark = pytest.mark.timeout(120)

ANSWER_MODEL = [
    "--answer",
    "noanswer=0.3,busy=0.1,congestion=0.05,cancel=0.05",
    "--ring-seconds",
    "0.2-1.2",
    "--talk-seconds",
    "0.2-1.5",
    "--fail-seconds",
    "0.3",
]
ROWS = 80


@pytest.mark.parametrize("wait", ["1", None], ids=["by-callid", "by-numbers-and-time"])
def test_every_placed_call_ends_with_one_line_saying_what_the_switch_logged(tmp_path, simulator, wait):
    sim = simulator(*ANSWER_MODEL, "--seed", "14")
    list_path = numbered_list(tmp_path / "list.csv", ROWS)
    camp = outcomes_campaign(tmp_path, list_path, sim.url)
    args = ["run", str(camp), "--rate", "40", *(["--wait", wait] if wait else [])]
    done = run_dialer(*args)
    assert done.returncode == 0, done.stderr[-3000:]
    results = read_lines(tmp_path / "camp.results.jsonl")
    placed, ended = sim.placed(), call_ended_lines(results)
    attempts = placed_attempts(results)

    assert len(placed) == len(attempts) == ROWS
    assert Counter(map(attempt_key, ended)) == Counter(map(attempt_key, attempts))  # one line each
    assert Counter(line["call_status"] for line in ended) == switch_statuses(placed)
    by_callid = {p["callid"]: p for p in placed}
    by_number = {p["snumber"]: p for p in placed}
    for line in ended:
        call = by_callid[line["callid"]] if wait else by_number[line["snumber"]]
        assert line["callid"] == call["callid"] and line["uniqueid"] == f"{call['callid']}-1"
        assert (line["switch_status"], line["call_status"]) == (call["status"], call_status(call["status"]))
        assert line["total_s"] == int(call["end"]) - int(call["t"])
        answered = call["status"] == "answer"
        assert line["talk_s"] == (int(call["end"]) - int(call["t"] + call["ring_s"]) if answered else 0)
        assert line["outcome"] == "placed" and line["placed_run"] == line["run"]
        assert line["placed_at"] and line["attempt"] == 1
    if wait:  # the result line had the callid the switch returned, and call_ended the same
        result_callids = {(a["person"], a["callid"]) for a in attempts}
        assert {(line["person"], line["callid"]) for line in ended} == result_callids

    lookups = Counter(lookup["path"] for lookup in sim.lookups())
    assert lookups["cdrs/list"] + lookups["calls/active/list"] < ROWS / 4
    assert {lookup["auth"] for lookup in sim.lookups()} == {"token"}


def test_a_switch_that_cannot_list_finished_calls_makes_every_outcome_not_known(tmp_path, simulator):
    """cdrs/list refused (404): one warning, and each placed call's line says not-known, never
    no-answer; the calls themselves are placed as ever."""
    sim = simulator(*ANSWER_MODEL, "--seed", "3", "--lookups", "missing")
    list_path = numbered_list(tmp_path / "list.csv", 12)
    camp = outcomes_campaign(tmp_path, list_path, sim.url)
    done = run_dialer("run", str(camp))
    assert done.returncode == 0, done.stderr[-3000:]
    ended = call_ended_lines(read_lines(tmp_path / "camp.results.jsonl"))
    assert len(ended) == len(sim.placed()) == 12
    assert {line["call_status"] for line in ended} == {"not-known"}
    assert done.stderr.count("the switch cannot tell what became of calls") == 1


def test_the_outcome_of_a_call_an_earlier_run_could_not_wait_for_is_learned_by_the_next(tmp_path, simulator):
    """[outcomes] wait = 1 and calls that talk for 4 s: the run ends before they do, without their
    lines; the next run (waiting longer), with nothing to dial, looks them up: one line each."""
    sim = simulator("--ring-seconds", "0.1", "--talk-seconds", "4", "--seed", "5")
    list_path = numbered_list(tmp_path / "list.csv", 6)
    camp = outcomes_campaign(tmp_path, list_path, sim.url, outcomes={"wait": 1})
    first = run_dialer("run", str(camp), "--wait", "1")
    assert first.returncode == 0, first.stderr[-3000:]
    results = tmp_path / "camp.results.jsonl"
    assert call_ended_lines(read_lines(results)) == []
    outcomes_campaign(tmp_path, list_path, sim.url, outcomes={"wait": 30})
    second = run_dialer("run", str(camp), "--wait", "1")
    assert second.returncode == 0, second.stderr[-3000:]
    lines = read_lines(results)
    ended = call_ended_lines(lines)
    assert len(ended) == 6 and {line["call_status"] for line in ended} == {"answered"}
    first_run = next(line["run"] for line in lines if line["event"] == "run_started")
    assert {line["placed_run"] for line in ended} == {first_run} != {line["run"] for line in ended}
    assert len(sim.placed()) == 6  # nobody called twice


def test_a_call_found_by_reconciliation_gets_its_outcome_in_the_same_run(tmp_path, simulator):
    """A dropped connection after the switch placed the call (reset-after): the row is unknown until
    the call lists show the call, and that call's outcome is then learned in the same run, as any
    placed call's is: one call_ended line per call the switch placed, none left to a later run."""
    dropped = [f"212555{i:04d}" for i in (1, 4)]
    faults = [a for n in dropped for a in ("--script", f"{n}=reset-after")]
    sim = simulator(*ANSWER_MODEL, "--seed", "5", *faults)
    list_path = numbered_list(tmp_path / "list.csv", 8)
    camp = outcomes_campaign(tmp_path, list_path, sim.url)
    done = run_dialer("run", str(camp), "--wait", "1")
    assert done.returncode == 0, done.stderr[-3000:]
    results = read_lines(tmp_path / "camp.results.jsonl")
    found = [ln for ln in results if ln.get("event") == "checked" and ln.get("outcome") == "placed"]
    assert sorted(ln["snumber"] for ln in found) == dropped
    ended = {ln["callid"]: ln for ln in call_ended_lines(results)}
    placed = sim.placed()
    assert len(placed) == 8 and set(ended) == {p["callid"] for p in placed}
    for call in placed:
        assert ended[call["callid"]]["call_status"] == call_status(call["status"])
