"""Every fault the simulator injects, alone and mixed, and a switch that refuses the account or is not there,
or a disk that fills: judged from the switch's arrivals and placed calls."""

from __future__ import annotations

import resource
import signal
import socket
from collections import Counter, defaultdict

import pytest

from dialer.core import exitcodes
from dialer.core import outcomes as o
from dialer.core.lookup import ABSENT, FOUND
from dialer.journal.lines import Event
from tests.helpers.files import campaign_toml, numbered_list, read_lines, snumber_of
from tests.helpers.processes import dialer_env, finish, run_dialer, start_dialer
from tests.helpers.results_side import assert_every_row_has_an_outcome, checks_by_attempt, row_states
from tests.helpers.switch_side import assert_every_arrival_had_an_intent, assert_placed_at_most_once

pytestmark = pytest.mark.timeout(60)


# What each fault means for the row it hits: its results lines' outcomes, the verdict of the check
# of its unknown attempt (the switch's call lists asked), and whether the switch placed the call.
# A refusal that placed nothing (503, 429) is tried again at once; a reset before placing is tried
# again once the lists show no call; every other fault placed the call, which the lists show.
SINGLE_FAULTS = {
    "reset-before": ([o.UNKNOWN, o.PLACED], ABSENT, True),
    "reset-after": ([o.UNKNOWN], FOUND, True),
    "503": ([o.RETRY, o.PLACED], None, True),
    "429": ([o.RETRY, o.PLACED], None, True),
    "500": ([o.UNKNOWN], FOUND, True),
    "hang": ([o.UNKNOWN], FOUND, True),
    "non-json": ([o.UNKNOWN], FOUND, True),
}


MIXED_KINDS = ["reset-before", "reset-after", "503", "500", "hang", "non-json"]


PLACED_NOTHING = ("503", "reset-before")  # the faults after which nothing was placed


def outcomes_by_row(lines: list[dict]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for line in lines:
        if line.get("event") == Event.RESULT:
            out[line["row"]].append(line["outcome"])
    return out


def arrivals_by_number(arrivals: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for a in sorted(arrivals, key=lambda a: a["t"]):
        out[a["snumber"]].append(a)
    return out


@pytest.mark.parametrize("kind", list(SINGLE_FAULTS))
def test_one_fault_kind(tmp_path, simulator, kind):
    """Rows hit by one fault kind end as the policy and the switch's call lists say; no double call."""
    # Odd rows: each has a call placed just before it, the control that lets an empty list be believed.
    faulted = [snumber_of(i) for i in (1, 3, 5)]
    sim = simulator(*[a for s in faulted for a in ("--script", f"{s}={kind}")], "--hang-seconds", "6")
    list_path = numbered_list(tmp_path / "list.csv", 6)
    camp = campaign_toml(tmp_path, list_path, sim.url, timeout_margin=1, settle=0.5)
    done = run_dialer("run", str(camp), "--wait", "1", "--concurrency", "6", "--quiet", timeout=40)
    expected, verdict, placed_at_switch = SINGLE_FAULTS[kind]
    assert done.returncode == exitcodes.OK, done.stderr
    results_path = tmp_path / "camp.results.jsonl"
    lines = read_lines(results_path)
    by_row = outcomes_by_row(lines)
    checks = checks_by_attempt(lines)
    arrivals = arrivals_by_number(sim.arrivals())
    placed = Counter(p["snumber"] for p in sim.placed())
    for i in range(6):
        number, row = snumber_of(i), i + 2
        if number in faulted:
            assert by_row[row] == expected, f"row {row}: {by_row[row]}"
            assert len(arrivals[number]) == len(expected), f"row {row} was sent {len(arrivals[number])} times"
            assert placed[number] == int(placed_at_switch)
            assert checks.get((row, 1)) == verdict, f"row {row}: check {checks.get((row, 1))}"
        else:
            assert by_row[row] == [o.PLACED] and placed[number] == 1 and len(arrivals[number]) == 1
    assert set(row_states(results_path).values()) == {o.PLACED}
    assert_every_arrival_had_an_intent(sim.arrivals(), lines)
    results = [ln for ln in lines if ln.get("event") == Event.RESULT and ln["snumber"] in faulted]
    if kind in ("503", "429"):
        # The retry waits at least the switch's Retry-After (1 s here).
        for number in faulted:
            first, second = arrivals[number]
            assert second["t"] - first["t"] >= 0.95
    if kind == "hang":
        # Read timeout = wait (1 s) + timeout_margin (1 s).
        assert all(r["code"] == "timeout" and 1800 <= r["elapsed_ms"] < 4500 for r in results), results
    if kind == "reset-before":
        # The client cannot tell this from a reset after placing (the switch read the whole request):
        # the row is unknown until the lists, asked wait (1 s) + settle (0.5 s) later, show no call.
        assert all(r["code"] == "ClientOSError" for r in results if r["outcome"] == o.UNKNOWN), results
        for number in faulted:
            first, second = arrivals[number]
            assert second["t"] - first["t"] >= 1.5


def run_mixed_faults(tmp_path, simulator, *sim_args: str):
    """400 rows, ~20% faulted across six kinds (seeded), ten rows refused twice with 503 by script."""
    scripted = [snumber_of(i) for i in range(0, 400, 40)]
    sim = simulator(
        *[a for k in MIXED_KINDS for a in ("--fault", f"{k}=0.0333")],
        *[a for s in scripted for a in ("--script", f"{s}=503,503,ok")],
        "--seed",
        "7",
        "--hang-seconds",
        "4",
        "--retry-after",
        "0.5",
        *sim_args,
    )
    list_path = numbered_list(tmp_path / "list.csv", 400)
    camp = campaign_toml(tmp_path, list_path, sim.url, timeout_margin=1, backoff=0.2, settle=1)
    done = run_dialer(
        "run", str(camp), "--wait", "1", "--concurrency", "20", "--attempts", "5", "--quiet", "--no-outcomes"
    )
    lines = read_lines(tmp_path / "camp.results.jsonl")
    arrivals = sim.arrivals()
    assert_placed_at_most_once(sim.placed())
    assert_every_arrival_had_an_intent(arrivals, lines)
    assert_every_row_has_an_outcome(lines, range(2, 402))
    random_draws = [a["fault"] for a in arrivals if a["snumber"] not in scripted]
    faults = Counter(random_draws)
    assert all(faults[k] >= 3 for k in MIXED_KINDS), faults
    assert 0.14 < sum(faults[k] for k in MIXED_KINDS) / len(random_draws) < 0.30, faults
    by_number = arrivals_by_number(arrivals)
    for number in scripted:
        assert [a["fault"] for a in by_number[number]] == ["503", "503", None]
    return sim, camp, done, lines, by_number


@pytest.mark.slow
def test_mixed_faults_on_400_rows_reconciled(tmp_path, simulator):
    """With the switch's call lists to ask: no row placed twice, every row refused with 503 or reset
    before placing is retried to placement, every row has a results line, and no row is left unknown."""
    sim, camp, done, lines, by_number = run_mixed_faults(tmp_path, simulator)
    assert done.returncode == exitcodes.OK, done.stderr
    results = tmp_path / "camp.results.jsonl"
    states = row_states(results)
    assert set(states.values()) == {o.PLACED}
    placed = Counter(p["snumber"] for p in sim.placed())
    by_row = outcomes_by_row(lines)
    checks = checks_by_attempt(lines)
    unknown_attempts = 0
    for i in range(400):
        number, row = snumber_of(i), i + 2
        faults = [a["fault"] for a in by_number[number]]
        assert placed[number] == 1, f"row {row}: placed {placed[number]} times, switch saw {faults}"
        # The last request placed the call; every earlier one placed nothing (503 or reset-before).
        assert faults[-1] not in PLACED_NOTHING and all(f in PLACED_NOTHING for f in faults[:-1]), faults
        for attempt, (fault, outcome) in enumerate(zip(faults, by_row[row], strict=True), start=1):
            if outcome == o.UNKNOWN:
                unknown_attempts += 1
                # Each check says what the switch did with that request.
                want = ABSENT if fault == "reset-before" else FOUND
                assert checks.get((row, attempt)) == want, f"row {row} attempt {attempt}: {fault}"
    refused_first = [n for n, arr in by_number.items() if arr[0]["fault"] in PLACED_NOTHING]
    assert len(refused_first) >= 10 + 3
    # Lookups stay few: two lists per unknown attempt at most, and two more for the control that
    # confirms each empty answer (asked after it: the lists may have lost records meanwhile).
    lookups = sim.lookups()
    absent = sum(1 for verdict in checks.values() if verdict == ABSENT)
    assert 0 < len(lookups) <= 2 * (unknown_attempts + absent), (len(lookups), unknown_attempts, absent)
    assert all(lk["code"] == 200 for lk in lookups)
    status = run_dialer("status", str(camp), timeout=30)
    assert "Unknown (" not in status.stdout


@pytest.mark.slow
def test_mixed_faults_on_400_rows_lists_not_offered(tmp_path, simulator):
    """A switch without the call lists (404): still no row placed twice, 503 rows retried to placement,
    rows reset before or after placing stay unknown (today's behaviour), and asking stops at once."""
    sim, camp, done, lines, by_number = run_mixed_faults(tmp_path, simulator, "--lookups", "missing")
    assert done.returncode == exitcodes.NEEDS_ATTENTION, done.stderr
    assert "cannot be asked" in done.stderr
    assert 1 <= len(sim.lookups()) <= 2  # the first unknown row or two (two are asked at a time)
    # Each row's results lines say exactly what the switch did with each of its requests.
    meaning = {None: o.PLACED, "503": o.RETRY, "reset-before": o.UNKNOWN}
    by_row = outcomes_by_row(lines)
    placed_numbers = Counter(p["snumber"] for p in sim.placed())
    for i in range(400):
        number, row = snumber_of(i), i + 2
        want = [meaning.get(a["fault"], o.UNKNOWN) for a in by_number[number]]
        assert by_row[row] == want, f"row {row}: results {by_row[row]}, switch {by_number[number]}"
        if o.RETRY in want and want[-1] == o.PLACED:
            assert placed_numbers[number] == 1
    results = tmp_path / "camp.results.jsonl"
    unknown = [r for r, s in row_states(results).items() if s == o.UNKNOWN]
    resets = [n for n, arr in by_number.items() if arr[-1]["fault"] in ("reset-before", "reset-after")]
    assert resets and {snumber_of(r - 2) for r in unknown} >= set(resets)
    # `dialer status --all` lists every unknown row.
    status = run_dialer("status", "--all", str(camp), timeout=30)
    assert f"Unknown ({len(unknown)})" in status.stdout
    assert all(snumber_of(r - 2) in status.stdout for r in unknown)


def test_503_on_every_attempt_fails_after_attempts_and_resume_redials(tmp_path, simulator):
    """A row refused on every attempt: one line per attempt, failed, and dialed again by a resume."""
    number = snumber_of(1)
    sim = simulator("--script", f"{number}=503,503,503", "--retry-after", "0.1")
    list_path = numbered_list(tmp_path / "list.csv", 3)
    camp = campaign_toml(tmp_path, list_path, sim.url, backoff=0.1)
    args = ("run", str(camp), "--attempts", "3", "--quiet")
    first = run_dialer(*args, timeout=40)
    assert first.returncode == exitcodes.NEEDS_ATTENTION, first.stderr
    lines = read_lines(tmp_path / "camp.results.jsonl")
    mine = [ln for ln in lines if ln.get("row") == 3]
    assert [(ln["event"], ln["attempt"], ln["outcome"]) for ln in mine] == [
        (Event.DIAL, 1, o.SENDING),
        (Event.RESULT, 1, o.RETRY),
        (Event.DIAL, 2, o.SENDING),
        (Event.RESULT, 2, o.RETRY),
        (Event.DIAL, 3, o.SENDING),
        (Event.RESULT, 3, o.FAILED),
    ]
    assert number not in {p["snumber"] for p in sim.placed()}
    second = run_dialer(*args, timeout=40)
    assert second.returncode == exitcodes.OK, second.stderr
    assert Counter(a["snumber"] for a in sim.arrivals()) == {snumber_of(0): 1, number: 4, snumber_of(2): 1}
    assert_placed_at_most_once(sim.placed())
    assert len(sim.placed()) == 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_is_retried_then_dialed_on_resume(tmp_path, simulator):
    """No switch listening: each attempt is recorded and retried, nothing placed; a resume dials all."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/api/json/calls/make/"
    list_path = numbered_list(tmp_path / "list.csv", 4)
    camp = campaign_toml(tmp_path, list_path, url, backoff=0.1)
    args = ("run", str(camp), "--attempts", "2", "--quiet")
    first = run_dialer(*args, timeout=40)
    assert first.returncode == exitcodes.NEEDS_ATTENTION, first.stderr
    lines = read_lines(tmp_path / "camp.results.jsonl")
    results = [(ln["row"], ln["attempt"], ln["outcome"]) for ln in lines if ln.get("event") == Event.RESULT]
    expected = [(r, a, o.RETRY if a == 1 else o.FAILED) for r in range(2, 6) for a in (1, 2)]
    assert sorted(results) == expected
    assert all(ln["code"] == "ClientConnectorError" for ln in lines if ln.get("event") == Event.RESULT)
    sim = simulator("--port", str(port))
    second = run_dialer(*args, timeout=40)
    assert second.returncode == exitcodes.OK, second.stderr
    assert len(sim.arrivals()) == 4
    assert sorted(p["snumber"] for p in sim.placed()) == [snumber_of(i) for i in range(4)]


@pytest.mark.parametrize(
    ("username", "password", "code", "login"),
    [("demo", "wrong", "401", "--no-login"), ("viewer", "viewer-secret", "402", "--login")],
)
def test_account_refused_by_calls_make_stops_at_once(tmp_path, simulator, username, password, code, login):
    """401/402 from calls/make (a switch without tokens; an account that may not dial): exit 3, and the
    switch gets nothing after the refusal beyond what was already in flight."""
    sim = simulator(login)
    list_path = numbered_list(tmp_path / "list.csv", 40)
    env = dialer_env(ENSWITCH_USERNAME=username, ENSWITCH_PASSWORD=password)
    done = run_dialer("run", str(list_path), "--url", sim.url, "--rate", "20", "--concurrency", "5", env=env)
    assert done.returncode == exitcodes.ACCOUNT_REFUSED, done.stderr
    lines = read_lines(tmp_path / "list.results.jsonl")
    refusal = next(i for i, ln in enumerate(lines) if ln.get("event") == Event.RESULT and ln["code"] == code)
    in_flight = Counter(ln["snumber"] for ln in lines[:refusal] if ln.get("event") == Event.DIAL)
    for ln in lines[:refusal]:
        if ln.get("event") == Event.WITHDRAWN:
            in_flight[ln["snumber"]] -= 1
    arrived = Counter(a["snumber"] for a in sim.arrivals())
    assert arrived and all(n <= in_flight[s] for s, n in arrived.items()), (arrived, in_flight)
    assert len(arrived) <= 5
    assert sim.placed() == []
    assert code in done.stderr
    # Once the account is fixed, a resume dials every row, the refused ones included, once each.
    resumed = run_dialer("run", str(list_path), "--url", sim.url, "--concurrency", "5", "--quiet")
    assert resumed.returncode == exitcodes.OK, resumed.stderr
    assert_placed_at_most_once(sim.placed())
    assert len(sim.placed()) == 40


def test_password_refused_at_login_sends_no_call(tmp_path, simulator):
    """A switch that offers tokens refuses a wrong password at user/login: exit 3 before any calls/make
    request, one error line naming the refusal, a run_error line, and every row still to dial."""
    sim = simulator()
    list_path = numbered_list(tmp_path / "list.csv", 10)
    env = dialer_env(ENSWITCH_USERNAME="demo", ENSWITCH_PASSWORD="wrong-pass-7431")
    done = run_dialer("run", str(list_path), "--url", sim.url, "--quiet", env=env)
    assert done.returncode == exitcodes.ACCOUNT_REFUSED, done.stderr
    assert sim.arrivals() == [] and len(sim.logins()) == 1
    assert "account refused" in done.stderr and "401" in done.stderr
    results = tmp_path / "list.results.jsonl"
    errors = [ln for ln in read_lines(results) if ln.get("event") == Event.RUN_ERROR]
    assert [e["error"] for e in errors] == ["account refused"]
    assert "wrong-pass-7431" not in results.read_text() + done.stderr
    assert row_states(results) == {}  # no row has a line: every one is still to dial


def test_redial_unknown_from_the_switch_side(tmp_path, simulator):
    """Unknown rows are left alone by a resume, listed by status, and redialed once with --redial-unknown."""
    before, after = snumber_of(1), snumber_of(3)  # reset before / after placing
    sim = simulator("--script", f"{before}=reset-before", "--script", f"{after}=reset-after")
    list_path = numbered_list(tmp_path / "list.csv", 5)
    results = tmp_path / "list.results.jsonl"
    # --no-reconcile: the switch's call lists are not asked, as with a switch that does not offer them.
    args = ("run", str(list_path), "--url", sim.url, "--quiet", "--no-reconcile", "--no-outcomes")
    assert run_dialer(*args, timeout=30).returncode == exitcodes.NEEDS_ATTENTION
    assert row_states(results) == {2: o.PLACED, 3: o.UNKNOWN, 4: o.PLACED, 5: o.UNKNOWN, 6: o.PLACED}
    assert sim.lookups() == []
    arrivals = len(sim.arrivals())
    again = run_dialer(*args, timeout=30)
    assert again.returncode == exitcodes.NEEDS_ATTENTION
    assert len(sim.arrivals()) == arrivals, "a plain resume redialed an unknown row"
    status = run_dialer("status", str(list_path), timeout=30)
    assert "Unknown (2)" in status.stdout and before in status.stdout and after in status.stdout
    redial = run_dialer(*args, "--redial-unknown", timeout=30)
    assert redial.returncode == exitcodes.OK, redial.stderr
    new = Counter(a["snumber"] for a in sim.arrivals()[arrivals:])
    assert new == {before: 1, after: 1}
    lines = read_lines(results)
    assert sorted(ln["row"] for ln in lines if ln.get("event") == Event.REDIAL_UNKNOWN) == [3, 5]
    # The reset after placing had placed the call: the operator's redial places it a second time.
    assert Counter(p["snumber"] for p in sim.placed()) == {
        snumber_of(0): 1,
        before: 1,
        snumber_of(2): 1,
        after: 2,
        snumber_of(4): 1,
    }


def limit_file_size(limit: int):
    def preexec() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # stays ignored across exec: EFBIG, not death
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    return preexec


def test_full_disk_before_anything_is_sent(tmp_path, simulator):
    """Not even the run's first line fits: exit 8 and the switch receives nothing."""
    sim = simulator()
    list_path = numbered_list(tmp_path / "list.csv", 5)
    status, err = finish(
        start_dialer("run", str(list_path), "--url", sim.url, preexec_fn=limit_file_size(100))
    )
    assert status == exitcodes.RESULTS_UNWRITABLE, err
    assert "File too large" in err
    assert sim.arrivals() == []


# Spaced closer than a dial line is long, so at least one limit falls inside an intent.
@pytest.mark.parametrize("limit", [9000, 9128, 9256, 9384])
def test_full_disk_stops_dialing_and_resumes(tmp_path, simulator, limit):
    """Results unwritable: exit 8, no request without a durable intent; a resume finishes, no double call."""
    sim = simulator("--place-latency", "0.05")
    list_path = numbered_list(tmp_path / "list.csv", 120)
    results = tmp_path / "list.results.jsonl"
    # A short settle: the resume asks the switch about rows the failure left in flight.
    camp = campaign_toml(tmp_path, list_path, sim.url, timeout_margin=1, settle=0.5)
    args = ("run", str(camp), "--results", str(results), "--rate", "200", "--concurrency", "5", "--wait", "2")
    status, err = finish(start_dialer(*args, preexec_fn=limit_file_size(limit)))
    assert status == exitcodes.RESULTS_UNWRITABLE, err
    assert "File too large" in err
    assert results.stat().st_size <= limit
    lines = read_lines(results)
    arrivals = sim.arrivals()
    assert 0 < len(arrivals) < 120
    assert_every_arrival_had_an_intent(arrivals, lines)
    # Nothing was sent after the failure beyond what was already in flight.
    answered = {ln["snumber"] for ln in lines if ln.get("event") == Event.RESULT}
    assert len([a for a in arrivals if a["snumber"] not in answered]) <= 5
    resumed = run_dialer(*args, "--quiet", timeout=40)
    assert resumed.returncode in (exitcodes.OK, exitcodes.NEEDS_ATTENTION), resumed.stderr
    lines = read_lines(results)
    assert_placed_at_most_once(sim.placed())
    assert_every_row_has_an_outcome(lines, range(2, 122))
    states = row_states(results)
    assert set(states.values()) <= {o.PLACED, o.UNKNOWN}
    assert sum(s == o.UNKNOWN for s in states.values()) <= 5
