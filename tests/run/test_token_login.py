"""Token login end to end: `dialer run` in its own process against the simulator's user/login. Tokens
that expire are renewed before they do; a switch that forgot its tokens (restarted) gets one new login;
a switch without user/login gets the user name and password; and no token is ever written: not in any
file beside the results (checkpoint, list cache, reports) nor on the terminal, judged by looking for
the simulator's token prefix everywhere."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.helpers.files import numbered_list, read_lines
from tests.helpers.outcomes import call_ended_lines, outcomes_campaign
from tests.helpers.processes import PASSWORD, finish, run_dialer, start_dialer, wait_for
from tests.helpers.switch_side import assert_placed_at_most_once

pytestmark = pytest.mark.timeout(120)

PREFIX = "SIMTOKEN-"


def test_tokens_that_expire_are_renewed_before_and_every_request_carries_one(tmp_path, simulator):
    sim = simulator("--token-seconds", "2", "--token-prefix", PREFIX, "--talk-seconds", "0.2")
    list_path = numbered_list(tmp_path / "list.csv", 30)
    camp = outcomes_campaign(tmp_path, list_path, sim.url)
    done = run_dialer("run", str(camp), "--rate", "6")  # five seconds of dialing: a few tokens' lives
    assert done.returncode == 0, done.stderr[-3000:]
    arrivals, logins = sim.arrivals(), sim.logins()
    assert len(sim.placed()) == len(arrivals) == 30
    assert {a["auth"] for a in arrivals} == {"token"} and {a["code"] for a in arrivals} == {204}
    assert {lookup["auth"] for lookup in sim.lookups()} == {"token"}
    assert len(logins) >= 3 and {login["code"] for login in logins} == {200}
    assert len(call_ended_lines(read_lines(tmp_path / "camp.results.jsonl"))) == 30


def test_a_switch_that_forgot_its_tokens_is_logged_in_to_again_and_nobody_is_called_twice(
    tmp_path, simulator
):
    """The switch restarts mid-run and answers 401 to the token it no longer knows: one new login,
    the refused row is sent again (nothing was placed), the run carries on to the end."""
    sim = simulator("--token-seconds", "3600", "--token-prefix", PREFIX)
    list_path = numbered_list(tmp_path / "list.csv", 40)
    camp = outcomes_campaign(tmp_path, list_path, sim.url)
    running = start_dialer("run", str(camp), "--rate", "8", "--concurrency", "1", "--no-outcomes")
    wait_for(lambda: len(sim.placed()) >= 10 or running.poll() is not None, 30, "ten calls placed")
    sim.restart()
    status, err = finish(running, timeout=60)
    assert status == 0, err[-3000:]
    arrivals = sim.arrivals()
    refused = [a for a in arrivals if a["code"] == 401]
    assert refused and all(a["auth"] == "token" for a in refused)
    assert len(sim.logins()) == 2 and {login["code"] for login in sim.logins()} == {200}
    assert_placed_at_most_once(sim.placed())
    assert len({p["snumber"] for p in sim.placed()}) == 40
    results = read_lines(tmp_path / "camp.results.jsonl")
    retried = [line for line in results if line.get("code") == "401"]
    assert retried and all(line["outcome"] == "retry" for line in retried)
    assert all("logged in again" in line["reason"] for line in retried)


def test_a_switch_without_user_login_is_sent_the_password_on_every_request(tmp_path, simulator):
    sim = simulator("--no-login", "--talk-seconds", "0.2")
    list_path = numbered_list(tmp_path / "list.csv", 10)
    camp = outcomes_campaign(tmp_path, list_path, sim.url)
    done = run_dialer("run", str(camp))
    assert done.returncode == 0, done.stderr[-3000:]
    assert [login["code"] for login in sim.logins()] == [404]  # asked once
    assert {a["auth"] for a in sim.arrivals()} == {"password"} and len(sim.placed()) == 10
    assert sim.lookups() and {lookup["auth"] for lookup in sim.lookups()} == {"password"}
    assert "offers no login token" in done.stderr
    assert len(call_ended_lines(read_lines(tmp_path / "camp.results.jsonl"))) == 10


def test_no_token_and_no_password_is_written_to_any_file_or_shown_on_the_terminal(tmp_path, simulator):
    """Tokens renewed every second and a 401 after a restart: the run, then status and every report;
    every file under the campaign's folder (the simulator's logs too) and every output is free of
    the token prefix and the password."""
    sim = simulator(
        *("--token-seconds", "1.5", "--token-prefix", PREFIX, "--talk-seconds", "0.2"),
        *("--answer", "noanswer=0.5", "--seed", "8"),
    )
    list_path = numbered_list(tmp_path / "list.csv", 20)
    # The restart loses the switch's calls: give up on their records soon.
    camp = outcomes_campaign(tmp_path, list_path, sim.url, outcomes={"give_up": 5}, recycle={"after": 1})
    running = start_dialer("run", str(camp), "--rate", "5", "--wait", "1")
    wait_for(lambda: len(sim.placed()) >= 8 or running.poll() is not None, 30, "eight calls placed")
    sim.restart()
    status, err = finish(running, timeout=60)
    outputs = [err]
    again = run_dialer("run", str(camp), "--wait", "1")  # a resume: the checkpoint and cache read
    outputs += [again.stdout, again.stderr]
    for command in (["status", str(camp)], ["status", str(camp), "--json"], ["report", str(camp)]):
        shown = run_dialer(*command)
        assert shown.returncode in (0, 4, 10), shown.stderr[-2000:]
        outputs += [shown.stdout, shown.stderr]
    assert status in (0, 4, 10) and again.returncode in (0, 4, 10), (err[-2000:], again.stderr[-2000:])
    assert len(sim.logins()) >= 3 and any(a["auth"] == "token" for a in sim.arrivals())

    written = {path: contents for path, contents in files_under(tmp_path)}
    names = {path.name for path in written}
    assert {"camp.results.jsonl", "camp.results.jsonl.checkpoint", "camp.results.jsonl.list-cache"} <= names
    assert {"camp.report.csv", "camp.report.html", "camp.report.xlsx"} <= names
    assert any(line["event"] == "recycled" for line in read_lines(tmp_path / "camp.results.jsonl"))
    for secret in (PREFIX.encode(), PASSWORD.encode()):
        leaked = [str(path) for path, contents in written.items() if secret in contents]
        assert leaked == [], f"{secret!r} written in {leaked}"
        assert not any(secret.decode() in text for text in outputs)


def files_under(directory: Path):
    """Every file's bytes (a spreadsheet's: each member unzipped)."""
    for path in sorted(directory.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                yield path, b"".join(book.read(member) for member in book.namelist())
        else:
            yield path, path.read_bytes()
