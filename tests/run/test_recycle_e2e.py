"""[recycle] end to end: `dialer run` in its own process against the simulator, whose outcome scripts
decide what each person's calls become, judged from the simulator's placed log. No-answer and busy
people are called again ``after`` later and never sooner, up to ``attempts`` and ``per_24h``; nobody
who answered is called again, nor anyone whose outcome is not known (a call the switch kept no record
of) or who failed; exit 10 says when the next call is due, and --wait-for-recycle carries on; across
kill -9 and resume the caps still hold."""

from __future__ import annotations

import re
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.helpers.files import numbered_list, read_lines, snumber_of
from tests.helpers.outcomes import (
    attempt_key,
    call_ended_lines,
    outcomes_campaign,
    placed_attempts,
    placed_times_by_number,
)
from tests.helpers.processes import finish, run_dialer, start_dialer, wait_for

pytestmark = pytest.mark.timeout(180)

AFTER = 2.0
# The simulator stamps a placement when it reads the request; a run that recycles counts from the
# answer (later), but a run that resumes counts from the intent line written just before the
# request left: the next call can reach the switch that much under ``after`` (milliseconds).
TOLERANCE = 0.25

# What each person's calls become, and how many calls they get with attempts = 3.
SCRIPTS = {
    0: (["noanswer"] * 4, 3),
    1: (["busy", "answer"], 2),
    2: (["answer"], 1),
    3: (["noanswer", "noanswer", "answer"], 3),
    4: (["noanswer"] * 3, 1),  # the switch keeps no record of its calls: not-known, never recycled
    5: (["cancel"] * 4, 3),  # rang out: no-answer
    6: (["congestion"] * 3, 1),  # failed: not among the statuses recycled
    7: (["busy"] * 4, 3),
}
NO_RECORD = snumber_of(4)
EXPECTED = {snumber_of(i): calls for i, (_, calls) in SCRIPTS.items()}


def recycling_switch(simulator):
    args = ["--ring-seconds", "0.2-0.6", "--talk-seconds", "0.2-0.5", "--fail-seconds", "0.3"]
    for i, (statuses, _) in SCRIPTS.items():
        args += ["--outcome-script", f"{snumber_of(i)}={','.join(statuses)}"]
    return simulator(*args, "--no-cdr", NO_RECORD, "--seed", "1")


def campaign(tmp_path: Path, url: str, **recycle) -> Path:
    list_path = numbered_list(tmp_path / "list.csv", len(SCRIPTS))
    policy = {"after": AFTER, "attempts": 3, "per_24h": 3, **recycle}
    return outcomes_campaign(tmp_path, list_path, url, outcomes={"give_up": 5}, recycle=policy)


def assert_caps_hold(placed: list[dict], *, attempts: int = 3, exact: dict | None = None) -> None:
    """From the switch's side: never more than ``attempts`` calls to a person, never two closer than
    ``after``, never a call after one answered, never a second call to the person without records."""
    times = placed_times_by_number(placed)
    for number, ts in times.items():
        assert len(ts) <= attempts, (number, ts)
        gaps = [b - a for a, b in zip(ts, ts[1:], strict=False)]
        assert all(gap >= AFTER - TOLERANCE for gap in gaps), (number, gaps)
    for call in placed:
        later = [t for t in times[call["snumber"]] if t > call["t"]]
        if call["status"] == "answer" or not call.get("cdr", True) or call["status"] == "congestion":
            assert later == [], f"{call['snumber']} called again after {call['status']}"
    if exact is not None:
        assert {number: len(ts) for number, ts in times.items()} == exact


def next_due(stderr: str) -> float:
    found = re.search(r"due at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", stderr)
    assert found, stderr[-2000:]
    return datetime.strptime(found[1], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp()


def test_wait_for_recycle_calls_the_unanswered_again_within_the_caps(tmp_path, simulator):
    sim = recycling_switch(simulator)
    camp = campaign(tmp_path, sim.url)
    done = run_dialer("run", str(camp), "--wait-for-recycle", "--wait", "1")
    assert done.returncode == 0, done.stderr[-3000:]
    placed = sim.placed()
    assert_caps_hold(placed, exact=EXPECTED)

    results = read_lines(tmp_path / "camp.results.jsonl")
    ended = call_ended_lines(results)
    attempts = placed_attempts(results)
    assert len(ended) == len(attempts) == len(placed) == sum(EXPECTED.values())
    assert sorted(map(attempt_key, ended)) == sorted(map(attempt_key, attempts))  # one each
    assert sorted(line["callid"] for line in ended) == sorted(p["callid"] for p in placed)
    statuses = {line["callid"]: line["call_status"] for line in ended}
    assert [statuses[p["callid"]] for p in placed if p["snumber"] == NO_RECORD] == ["not-known"]

    recycled = [line for line in results if line["event"] == "recycled"]
    assert len(recycled) == len(placed) - len(SCRIPTS)
    for line in recycled:  # each says why, and comes just before the dial it explains
        at = results.index(line)
        why = re.search(r"the last call ended (no-answer|busy); call ([23]) of at most 3", line["reason"])
        assert why, line["reason"]
        before = [e for e in results[:at] if e.get("person") == line["person"]]
        last_ended = [e for e in before if e["event"] == "call_ended"][-1]
        assert last_ended["call_status"] == why[1]  # the outcome the results file holds says so too
        assert len([e for e in before if e["event"] == "call_ended"]) == int(why[2]) - 1
        following = results[at + 1]
        assert (following["event"], following["row"], following["attempt"]) == ("dial", line["row"], 1)


def test_exit_10_says_when_the_next_call_is_due_and_a_run_then_carries_on(tmp_path, simulator):
    """Run as cron would: each run dials what is due, learns the outcomes, and exits 10 with the
    time of the next call; run again at that time, until nothing is left (exit 0)."""
    sim = recycling_switch(simulator)
    camp = campaign(tmp_path, sim.url)
    statuses = []
    for _ in range(6):
        done = run_dialer("run", str(camp), "--wait", "1")
        statuses.append(done.returncode)
        if done.returncode != 10:
            break
        due = next_due(done.stderr)
        placed = sim.placed()
        earliest = min(
            max(placed_times_by_number(placed)[number]) + AFTER
            for number, calls in EXPECTED.items()
            if len(placed_times_by_number(placed)[number]) < calls
        )
        assert earliest - 1 <= due <= earliest + 1  # to the second, as the switch saw the calls
        time.sleep(max(0.0, due + 1 - time.time()))
    assert statuses == [10, 10, 0], statuses
    assert_caps_hold(sim.placed(), exact=EXPECTED)
    results = read_lines(tmp_path / "camp.results.jsonl")
    assert len(call_ended_lines(results)) == len(sim.placed())


def test_per_24h_holds_the_third_call_a_day_and_exit_10_says_so(tmp_path, simulator):
    sim = recycling_switch(simulator)
    camp = campaign(tmp_path, sim.url, per_24h=2)
    done = run_dialer("run", str(camp), "--max-duration", "60", "--wait", "1")
    assert done.returncode == 10, done.stderr[-3000:]
    placed = sim.placed()
    assert_caps_hold(placed, attempts=2)
    times = placed_times_by_number(placed)
    assert len(times[snumber_of(0)]) == len(times[snumber_of(7)]) == 2
    first_calls = [times[snumber_of(i)][0] for i in (0, 3, 5, 7)]
    assert abs(next_due(done.stderr) - (min(first_calls) + 86_400)) <= 2


def test_caps_hold_across_kill_9_and_resume(tmp_path, simulator):
    """Killed while people are being called again, then resumed: judged from the switch's side,
    nobody gets more calls, sooner calls, or a call after an answer, than one uninterrupted run."""
    sim = recycling_switch(simulator)
    camp = campaign(tmp_path, sim.url)
    killed = start_dialer("run", str(camp), "--wait-for-recycle", "--wait", "1")
    round_one = len(SCRIPTS)
    wait_for(lambda: len(sim.placed()) > round_one or killed.poll() is not None, 60, "a second call")
    killed.send_signal(signal.SIGKILL)
    assert finish(killed)[0] == -signal.SIGKILL
    at_kill = len(sim.placed())
    done = run_dialer("run", str(camp), "--wait-for-recycle", "--wait", "1")
    assert done.returncode in (0, 4), done.stderr[-3000:]
    placed = sim.placed()
    assert len(placed) > at_kill  # the resumed run called people again
    assert_caps_hold(placed)
    results = read_lines(tmp_path / "camp.results.jsonl")
    callids = [line["callid"] for line in call_ended_lines(results)]
    assert len(callids) == len(set(callids))  # never two lines for one call
    assert {p["callid"] for p in placed} >= set(callids)
