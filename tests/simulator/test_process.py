"""The simulator as a process (dialer.simulator.process, dialer.simulator.cli): its command line, its
logs, its signals, and a restart that forgets."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from dialer.simulator import SimulatorProcess
from dialer.simulator.accounts import ENV
from dialer.simulator.cli import simulate
from tests.simulator.wire import AUTH, CALL, first, login, post

pytestmark = pytest.mark.timeout(20)


def test_cli_rejects_a_bad_fault(tmp_path):
    """A fault option that names no known kind is a usage error before anything listens."""
    result = CliRunner().invoke(simulate, ["--port", "0", "--fault", "timeout=0.5"])
    assert result.exit_code == 2
    assert "KIND=PROBABILITY" in result.output


def test_cli_rejects_an_unknown_event_loop():
    """The simulator goes on the same event loop as `dialer run`; a misspelt choice is a usage error."""
    result = CliRunner().invoke(simulate, ["--port", "0"], env={"DIALER_EVENT_LOOP": "tokio"})
    assert result.exit_code == 2
    assert "DIALER_EVENT_LOOP='tokio'" in result.output


def test_subprocess_exits_cleanly_on_sigint(tmp_path: Path):
    """SIGINT (Ctrl-C) stops the simulator process with exit status 0, like SIGTERM."""
    proc = SimulatorProcess.start([], tmp_path)
    proc.process.send_signal(signal.SIGINT)
    assert proc.process.wait(5) == 0
    assert proc.stop() == 0


async def test_subprocess_logs_lookups_apart(tmp_path: Path, session):
    """The process writes lookups to their own log; its arrivals log holds calls/make requests only."""
    with SimulatorProcess.start(["--call-seconds", "0"], tmp_path) as proc:
        await post(session, proc.url, **CALL)
        status, body = await post(session, proc.api_url("cdrs/list"), **CALL)
        assert status == 200 and len(body["data"]) == 1
        assert proc.stop() == 0
    assert [a["snumber"] for a in proc.arrivals()] == [CALL["snumber"]]
    assert [(lk["path"], lk["entries"]) for lk in proc.lookups()] == [("cdrs/list", 1)]
    assert "secret" not in proc.lookups_log.read_text()


async def test_subprocess_simulator_with_a_users_file(tmp_path: Path, session):
    """python -m dialer.simulator serves the accounts of --users-file (replacing the defaults), logs to
    JSONL, keeps the password out of its output, exits 0."""
    users = tmp_path / "users"
    users.write_text("alice:s3cret-pw\n")
    args = ["--users-file", str(users), "--script", "2125550009=503,ok", "--retry-after", "3"]
    with SimulatorProcess.start(args, tmp_path) as proc:
        assert proc.banner == f"listening on {proc.url}"
        assert proc.url.startswith("http://127.0.0.1:") and proc.url.endswith("/api/json/calls/make/")
        alice = {"auth_username": "alice", "auth_password": "s3cret-pw"}
        async with session.post(
            proc.url, data={**alice, "snumber": "2125550009", "cnumber": "1"}
        ) as response:
            assert response.status == 503
            assert response.headers["Retry-After"] == "3"
        status, body = await post(session, proc.url, alice, snumber="2125550009", cnumber="1")
        assert first(body)["code"] == "204"
        assert (await post(session, proc.url, **CALL))[0] == 401  # the default demo account is gone
        assert [p["snumber"] for p in proc.placed()] == ["2125550009"]
        assert [a["code"] for a in proc.arrivals()] == [503, 204, 401]
        assert proc.stop() == 0
    for path in (proc.placed_log, proc.arrivals_log, proc.stderr_path):
        assert "s3cret" not in path.read_text()
    assert "s3cret" not in proc.banner


async def test_accounts_from_the_environment(tmp_path: Path, session):
    """DIALER_SIMULATOR_USERS gives the process its accounts: a dialer is served, a viewer refused
    402, the defaults are gone."""
    env = {ENV: "bob:pw-bob-1,eve:pw-eve-2:viewer"}
    with SimulatorProcess.start([], tmp_path, env=env) as proc:
        bob = {"auth_username": "bob", "auth_password": "pw-bob-1"}
        eve = {"auth_username": "eve", "auth_password": "pw-eve-2"}
        assert first((await post(session, proc.url, bob, **CALL))[1])["code"] == "204"
        assert (await post(session, proc.url, eve, **CALL))[0] == 402
        assert (await post(session, proc.url, AUTH, **CALL))[0] == 401


async def test_no_token_or_password_in_any_log_or_output(tmp_path: Path, session):
    """Logins, token and password requests, refused ones too: neither a password nor a token reaches
    a log file, stdout or stderr."""
    users = tmp_path / "users"
    users.write_text("alice:pw-Xq7-alice\n")
    args = ["--users-file", str(users), "--call-seconds", "0"]
    proc = SimulatorProcess.start(args, tmp_path)
    try:
        alice = {"auth_username": "alice", "auth_password": "pw-Xq7-alice"}
        token = (await login(session, proc.api_url("user/login"), alice))["auth_token"]
        await post(session, proc.api_url("user/login"), {**alice, "auth_password": "pw-Xq7-wrong"}, token="1")
        assert first((await post(session, proc.url, {"auth_token": token}, **CALL))[1])["code"] == "204"
        await post(session, proc.url, alice, snumber="2125550002", cnumber="100")
        await post(session, proc.api_url("cdrs/list"), {"auth_token": token})
        await post(session, proc.api_url("calls/active/list"), {"auth_token": token + "x"})
        proc.process.send_signal(signal.SIGTERM)
        assert proc.process.wait(5) == 0
        stdout = proc.banner + "\n" + proc.process.stdout.read().decode()
    finally:
        proc.stop()
    assert len(proc.placed()) == 2 and len(proc.logins()) == 2 and len(proc.lookups()) == 2
    logs = [proc.placed_log, proc.arrivals_log, proc.lookups_log, proc.logins_log, proc.stderr_path]
    for text in [stdout, *(path.read_text() for path in logs)]:
        assert "pw-Xq7" not in text
        assert token not in text


async def test_restart_forgets_calls_and_keeps_the_port(tmp_path: Path, session):
    """restart() is a new switch on the same URL (bound again at once) with the same arguments,
    appending to the same logs, that lists none of the calls and knows none of the tokens of before."""
    with SimulatorProcess.start(["--call-seconds", "0", "--token-seconds", "600"], tmp_path) as proc:
        url, old_pid = proc.url, proc.process.pid
        token = {"auth_token": (await login(session, proc.api_url("user/login")))["auth_token"]}
        await post(session, proc.url, **CALL)
        assert len((await post(session, proc.api_url("cdrs/list"), **CALL))[1]["data"]) == 1
        started = time.monotonic()
        await asyncio.to_thread(proc.restart)  # the loop runs on: pooled connections see their close
        assert time.monotonic() - started < 5
        assert proc.url == url and proc.process.pid != old_pid
        assert (await post(session, proc.api_url("cdrs/list"), **CALL))[1]["data"] == []
        assert (await post(session, proc.url, token, **CALL))[0] == 401
        await post(session, proc.url, **CALL)
        (record,) = (await post(session, proc.api_url("cdrs/list"), **CALL))[1]["data"]
        assert proc.stop() == 0
    placed = proc.placed()
    assert [p["callid"] for p in placed][1:] == [record["callid"]] and len(placed) == 2
    assert [a["code"] for a in proc.arrivals()] == [204, 401, 204]
    assert "cannot listen" not in proc.stderr_path.read_text()


async def test_restart_keeps_an_answer_model_and_its_seed(tmp_path: Path, session):
    """The restarted switch runs with the same arguments: the same seeded outcomes start again."""
    args = ["--seed", "4", "--answer", "busy=0.5,noanswer=0.3", "--ring-seconds", "0.1-0.5"]
    with SimulatorProcess.start(args, tmp_path) as proc:
        for n in range(6):
            await post(session, proc.url, snumber=f"21255500{n:02d}", cnumber="100")
        await asyncio.to_thread(proc.restart)  # the loop runs on: pooled connections see their close
        for n in range(6):
            await post(session, proc.url, snumber=f"21255500{n:02d}", cnumber="100")
        placed = proc.placed()
    outcomes = [(p["status"], p["ring_s"], p["talk_s"]) for p in placed]
    assert len(outcomes) == 12 and outcomes[:6] == outcomes[6:]
    assert len({status for status, _, _ in outcomes}) > 1
