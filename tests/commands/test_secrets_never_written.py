"""The password and the login token are never written (issue 16, part 6): a switch that echoes the
request it refused, login included (the simulator's `echo` fault: 401 quoting the request as
received), leaves no trace of either in the results file, the checkpoint and the other files beside
it, the report (CSV, xlsx, HTML), `dialer status` or the terminal; and the simulator takes its
accounts from the environment or a file, never from its command line, so no password shows in `ps`
(nor in dialer's own arguments).

Each check that a secret is absent is paired with one that the echo did arrive (``<hidden>`` where it
was): a check that could not fail would prove nothing.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import quote, quote_plus

import orjson
import pytest

from dialer.core import exitcodes
from dialer.core.secrets import HIDDEN
from dialer.simulator import SimulatorProcess
from dialer.simulator.accounts import ENV
from tests.helpers.files import numbered_list, snumber_of
from tests.helpers.processes import dialer_env, finish, run_dialer, start_dialer, wait_for

pytestmark = pytest.mark.timeout(120)

# Characters that come out differently as JSON, percent-encoded, in a form, in HTML and in XML.
PASSWORD = 'p@ss w/rd"&<é>\\'
USER = "ops"


def forms(secret: str) -> set[str]:
    return {secret, orjson.dumps(secret).decode()[1:-1], quote(secret, safe=""), quote_plus(secret)}


def start_switch(tmp_path: Path, *args: str) -> SimulatorProcess:
    """The simulator with the account ops / PASSWORD, given in its environment."""
    return SimulatorProcess.start(
        ["--call-seconds", "0", *args], tmp_path / "sim", env={ENV: f"{USER}:{PASSWORD}"}
    )


def env() -> dict[str, str]:
    return dialer_env(ENSWITCH_USERNAME=USER, ENSWITCH_PASSWORD=PASSWORD)


def texts_written(tmp_path: Path, sim: SimulatorProcess) -> dict[str, str]:
    """Every file the campaign and the switch wrote, as text an operator (or a browser, or Excel)
    would read: HTML unescaped, the xlsx's cells read."""
    out: dict[str, str] = {}
    for path in sorted(tmp_path.rglob("*")):
        if not path.is_file() or path.suffix in (".csv", ".py") and path.name == "list.csv":
            continue
        if path.suffix == ".xlsx":
            openpyxl = pytest.importorskip("openpyxl")
            book = openpyxl.load_workbook(path)
            out[path.name] = "\n".join(
                str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
            )
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        out[path.name] = html.unescape(text) if path.suffix == ".html" else text
    return out


def assert_no_secret_in(texts: dict[str, str], *secrets: str) -> None:
    for name, text in texts.items():
        for secret in secrets:
            for form in forms(secret):
                assert form not in text, f"{form!r} written in {name}"


def run_report_and_status(tmp_path: Path, list_path: Path) -> dict[str, str]:
    """`dialer status` and `dialer report`: what they print, by name."""
    status = run_dialer("status", str(list_path), timeout=60, env=env())
    report = run_dialer("report", str(list_path), "--format", "all", timeout=60, env=env())
    assert report.returncode == 0, report.stderr
    assert {p.suffix for p in tmp_path.glob("*.report.*")} == {".csv", ".xlsx", ".html"}
    return {
        "status stdout": status.stdout,
        "status stderr": status.stderr,
        "report stdout": report.stdout,
        "report stderr": report.stderr,
    }


def test_a_password_the_switch_echoes_is_written_nowhere(tmp_path):
    """A switch without tokens: every request carries the password, and the switch quotes it back
    (decoded and as received, percent-encoded) in a 401. The run stops (exit 3); the answer is in the
    results file with the password hidden, and nowhere else either."""
    sim = start_switch(tmp_path, "--no-login", "--script", f"{snumber_of(0)}=echo")
    try:
        list_path = numbered_list(tmp_path / "list.csv", 3)
        done = run_dialer("run", str(list_path), "--url", sim.url, "--no-outcomes", timeout=60, env=env())
        assert done.returncode == exitcodes.ACCOUNT_REFUSED, done.stderr
        assert sim.arrivals()[0]["fault"] == "echo"
        printed = run_report_and_status(tmp_path, list_path)
    finally:
        sim.stop()
    results = (tmp_path / "list.results.jsonl").read_text(encoding="utf-8")
    echoed = f"auth_username={USER}&auth_password={HIDDEN}&snumber={snumber_of(0)}"
    assert f"invalid: {echoed}&cnumber=100 (as received: {echoed}&cnumber=100)" in results
    assert f"auth_password={HIDDEN}" in done.stderr  # the refusal reaches the terminal, scrubbed
    assert (tmp_path / "list.results.jsonl.checkpoint").exists()
    assert_no_secret_in(
        {**texts_written(tmp_path, sim), "run stderr": done.stderr, "run stdout": done.stdout, **printed},
        PASSWORD,
    )


TOKEN = re.compile(r"auth_token=(?!<hidden>)")


def test_a_login_token_the_switch_echoes_is_written_nowhere(tmp_path):
    """With user/login, requests carry a token: the switch echoes it in a 401, the run logs in again
    (a new token) and is refused once more (exit 3). Neither token is written anywhere, nor the
    password (sent only to user/login)."""
    sim = start_switch(tmp_path, "--script", f"{snumber_of(0)}=echo,echo")
    try:
        list_path = numbered_list(tmp_path / "list.csv", 3)
        done = run_dialer("run", str(list_path), "--url", sim.url, "--no-outcomes", timeout=60, env=env())
        assert done.returncode == exitcodes.ACCOUNT_REFUSED, done.stderr
        assert len(sim.logins()) == 2 and [a["auth"] for a in sim.arrivals()[:1]] == ["token"]
        printed = run_report_and_status(tmp_path, list_path)
    finally:
        sim.stop()
    results = (tmp_path / "list.results.jsonl").read_text(encoding="utf-8")
    answers = [ln for ln in map(orjson.loads, results.splitlines()) if ln.get("code") == "401"]
    assert [ln["attempt"] for ln in answers] == [1, 2]  # refused, logged in again, refused again
    assert all(f"auth_token={HIDDEN}&snumber={snumber_of(0)}" in ln["message"] for ln in answers)
    assert f"auth_token={HIDDEN}" in done.stderr
    written = {**texts_written(tmp_path, sim), "run stderr": done.stderr, **printed}
    for name, text in written.items():
        assert not TOKEN.search(text), f"a token written in {name}"
    assert_no_secret_in(written, PASSWORD)


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")


def test_no_password_on_a_command_line(tmp_path):
    """The simulator's accounts come from its environment (DIALER_SIMULATOR_USERS) or a users file;
    dialer's from ENSWITCH_PASSWORD or a password file: `ps` shows neither password. The account
    given in the simulator's environment is the one that works."""
    users = tmp_path / "users.txt"
    users.write_text(f"# accounts\nfile-user:{PASSWORD}-file\n", encoding="utf-8")
    sim = SimulatorProcess.start(
        ["--call-seconds", "0", "--users-file", str(users)],
        tmp_path / "sim",
        env={ENV: f"{USER}:{PASSWORD}"},
    )
    try:
        seen = cmdline(sim.process.pid)
        assert "--users-file" in seen and PASSWORD not in seen and "file-user" not in seen
        list_path = numbered_list(tmp_path / "list.csv", 20)
        # Paced to last a few seconds: its arguments are read while it runs.
        running = start_dialer(
            "run", str(list_path), "--url", sim.url, "--no-outcomes", "--rate", "5", env=env()
        )
        try:
            wait_for(lambda: len(sim.arrivals()) > 0, 30, "the run to send")
            seen = cmdline(running.pid)
            assert running.poll() is None and "dialer run" in seen
            assert PASSWORD not in seen and "auth_" not in seen
        finally:
            status, err = finish(running, timeout=60)
        assert status == exitcodes.OK, err
        assert len(sim.placed()) == 20
        file_user = run_dialer(
            "run",
            str(numbered_list(tmp_path / "other.csv", 1, start=100)),
            "--url",
            sim.url,
            "--no-outcomes",
            timeout=60,
            env=dialer_env(ENSWITCH_USERNAME="file-user", ENSWITCH_PASSWORD=f"{PASSWORD}-file"),
        )
        assert file_user.returncode == exitcodes.OK, file_user.stderr
    finally:
        sim.stop()
    assert_no_secret_in(
        {p.name: p.read_text(errors="replace") for p in (tmp_path / "sim").iterdir()}, PASSWORD
    )
