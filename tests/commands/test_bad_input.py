"""Bad input is refused before anything is sent (issue 16, part 5), as an operator meets it: `dialer run`
in its own process against the simulator. Each case: the exit status for bad input (2), one line naming
the file and key, or the flag (and the row and column for a list's cell), nothing at the switch, and
nothing recorded as unknown (no results file at all when the campaign or a flag is at fault).

- numbers that are no numbers (nan, inf), zero, negative or absurd, for rate, period, wait, delay,
  attempts, backoff, timeouts, as flags and as campaign keys; wait and delay within their bounds;
- a switch address that is not http(s) with a host, or that carries a login;
- unknown keys and sections (the closest known one as a hint), flags that do not apply;
- a list's numbers (more than 15 digits, no digit, a spreadsheet number that is not whole, a
  cdialplan other than auto) and how "+44 (0) 20 ..." is read;
- a password file that is not one password.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from dialer.commands.run import run as run_command
from dialer.core import exitcodes
from dialer.core import outcomes as o
from dialer.simulator import SimulatorProcess
from tests.helpers.files import numbered_list, read_lines, write_csv
from tests.helpers.processes import dialer_env, run_dialer

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def switch(tmp_path_factory) -> SimulatorProcess:
    """One simulator for every case here: none of them may send it anything."""
    sim = SimulatorProcess.start(["--call-seconds", "0"], tmp_path_factory.mktemp("sim"))
    yield sim
    sim.stop()


@pytest.fixture
def nothing_reaches(switch):
    """After the test: the switch received nothing (from this case or any before it)."""
    yield switch
    assert switch.arrivals() == [], "a case of bad input sent requests to the switch"


class Done:
    """What a `dialer run` came to: its exit status and what it wrote on stderr."""

    def __init__(self, returncode: int, stderr: str) -> None:
        self.returncode, self.stderr = returncode, stderr


def dialer_run(*args: str, env: dict[str, str] | None = None) -> Done:
    """`dialer run ARGS` in this process (click's runner): the same code as the command, without a
    process's start-up, for the many refusals that happen before a run starts. A case that got past
    them would start dialing here, and the switch would show it."""
    result = CliRunner().invoke(run_command, list(args), env=env or dialer_env(), catch_exceptions=False)
    return Done(result.exit_code, result.stderr)


def error_lines(stderr: str) -> list[str]:
    """The console's error lines as text (each JSON object of level error, its values decoded, since
    there is no terminal here), and click's usage errors."""
    found = []
    for line in stderr.splitlines():
        if line.startswith("Error:"):
            found.append(line)
        elif (event := json_object(line)) and event.get("level") == "error":
            found.append(" ".join(f"{key}={value}" for key, value in event.items()))
    return found


def json_object(line: str) -> dict | None:
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def assert_refused(done, *named: str) -> str:
    """Exit 2 and exactly one error line, naming each of ``named``; no traceback. The line."""
    assert done.returncode == exitcodes.BAD_INPUT, done.stderr
    assert "Traceback" not in done.stderr
    lines = error_lines(done.stderr)
    assert len(lines) == 1, done.stderr
    for name in named:
        assert name in lines[0], f"{name!r} not named in: {lines[0]}"
    return lines[0]


def assert_nothing_recorded(results: Path) -> None:
    assert not results.exists(), f"a results file was written: {read_lines(results)}"


# -- flags ------------------------------------------------------------------------------------------

FLAGS = [
    ("--rate", ["nan", "inf", "-inf", "0", "-1", "1e12"]),
    ("--period", ["nan", "inf", "0", "-1", "1e9"]),
    ("--wait", ["nan", "-1", "301", "1e9", "1000000000"]),
    ("--attempts", ["nan", "0", "-1", "101", "1e9"]),
    ("--concurrency", ["nan", "inf", "0", "-1", "1e9", "1000000000"]),
    ("--max-duration", ["nan", "inf", "0", "-5m", "1000000h"]),
]


@pytest.mark.parametrize(
    ("flag", "value"), [(flag, value) for flag, values in FLAGS for value in values], ids=lambda x: x
)
def test_a_bad_number_as_a_flag(tmp_path, nothing_reaches, flag, value):
    source = numbered_list(tmp_path / "list.csv", 2)
    extra = ["--rate", "5"] if flag == "--period" else []
    done = dialer_run(str(source), "--url", nothing_reaches.url, *extra, f"{flag}={value}")
    assert_refused(done, flag)
    assert_nothing_recorded(tmp_path / "list.results.jsonl")


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--sheet", "Calls"], "--sheet applies to a spreadsheet; "),
        (["--delimiter="], "--delimiter is empty"),
        (["--encoding="], "--encoding is empty"),
        (["--url", "ftp://pbx.example.com"], "--url 'ftp://pbx.example.com' is not a switch's address"),
        (["--url", "pbx.example.com"], "is not a switch's address"),
        (["--url", "https://"], "is not a switch's address"),
        (["--url", "https://campaigns:s3cret@pbx.example.com"], "--url carries a user name or password"),
        (["--url", "https://campaigns@pbx.example.com"], "--url carries a user name or password"),
        (["--url", "https://pbx.example.com/?auth_password=s3cret"], "--url carries an auth_ field"),
        (["--url", "https://pbx.example.com/?a=1;auth_username=x"], "--url carries an auth_ field"),
    ],
    ids=lambda x: x if isinstance(x, str) else " ".join(x),
)
def test_a_flag_that_does_not_apply_or_an_address_that_will_not_do(tmp_path, nothing_reaches, flags, named):
    source = numbered_list(tmp_path / "list.csv", 2)
    done = dialer_run(str(source), *flags)
    line = assert_refused(done, named)
    assert "s3cret" not in done.stderr and "s3cret" not in line
    assert_nothing_recorded(tmp_path / "list.results.jsonl")


# -- campaign keys ----------------------------------------------------------------------------------

KEYS = {
    "[pacing] rate": ["nan", "inf", "-inf", "0", "-1", "1e9", "false", '"50"'],
    "[pacing] period": ["nan", "inf", "0", "-1", "1e9"],
    "[pacing] concurrency": ["nan", "0", "-1", "1e9", "2.5"],
    "[retry] attempts": ["nan", "inf", "0", "-1", "1e9", "2.5"],
    "[retry] backoff": ["nan", "inf", "0", "-1", "1e9"],
    "[retry] max_backoff": ["nan", "inf", "0", "-1", "1e9"],
    "[campaign] timeout_margin": ["nan", "inf", "0", "-1", "1e9"],
    "[reconcile] settle": ["nan", "inf", "-1", "1e9"],
    "[outcomes] first_look": ["nan", "-1", "1e9"],
    "[outcomes] give_up": ["nan", "0", "-1", "1e9"],
    "[outcomes] wait": ["nan", "inf", "-1", "1e9"],
    "[recycle] after": ["nan", "0", "-1", "1e12", '"-5m"'],
    "[recycle] attempts": ["nan", "0", "1e9"],
    "[defaults] wait": ["nan", "inf", "-1", "301", "1e9", "2.5", "true", '"five"'],
    "[defaults] delay": ["nan", "inf", "-1", "86401", "1e12", "0.5"],
}


def campaign(tmp_path: Path, text: str, rows: int = 2) -> Path:
    """camp.toml over a list of ``rows`` rows, with ``text`` after its [campaign] head (or in the
    [campaign] table itself when ``text`` holds no section), the rate set when a period is given."""
    numbered_list(tmp_path / "list.csv", rows)
    toml = tmp_path / "camp.toml"
    head = '[campaign]\nlist = "list.csv"\n'
    toml.write_text(head + text + "\n", encoding="utf-8")
    return toml


def key_text(key: str, value: str) -> str:
    section, name = key.split()
    if section == "[campaign]":
        return f"{name} = {value}"
    extra = "rate = 5\n" if key == "[pacing] period" else ""
    return f"{section}\n{extra}{name} = {value}"


@pytest.mark.parametrize(
    ("key", "value"), [(key, value) for key, values in KEYS.items() for value in values], ids=lambda x: x
)
def test_a_bad_number_as_a_campaign_key(tmp_path, nothing_reaches, key, value):
    toml = campaign(tmp_path, key_text(key, value))
    done = dialer_run(str(toml), "--url", nothing_reaches.url)
    section, name = key.split()
    line = assert_refused(done, str(toml))
    assert re.search(rf"{re.escape(section)} (has )?'?{name}", line), line
    assert_nothing_recorded(tmp_path / "camp.results.jsonl")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[pacing]\nrte = 5", "[pacing] has 'rte', which is not a setting (did you mean 'rate'?)"),
        ("[pacinng]\nrate = 5", "[pacinng] is not a section of a campaign file (did you mean 'pacing'?)"),
        ("[retry]\nattemps = 2", "[retry] has 'attemps', which is not a setting (did you mean 'attempts'?)"),
        (
            "[defaults]\nwiat = 5",
            "[defaults] has 'wiat', which calls/make does not take (did you mean 'wait'?)",
        ),
        ("[columns]\nPhone = 'snumbr'", "maps 'Phone' to 'snumbr', not a calls/make parameter (did you mean"),
        ("rate = 5", "[campaign] has 'rate', which is not a setting (it belongs under [pacing])"),
        ("[pacing]\nwait = 5", "[pacing] has 'wait', which is not a setting (it belongs under [defaults])"),
        ("[list]\nsheet = 'Calls'", "[list] sheet applies to a spreadsheet"),
        ("[list]\ndelimiter = ''", "[list] delimiter is empty"),
        ('url = "gopher://pbx"', "[campaign] url 'gopher://pbx' is not a switch's address"),
        ('url = "https://u:s3cret@pbx"', "[campaign] url carries a user name or password"),
        ('url = "https://pbx/?auth_password=s3cret"', "[campaign] url carries an auth_ field"),
        (
            "[defaults]\ncdialplan = 'e164'",
            'cdialplan must be "auto" or empty',
        ),
        ("[auth]\npassword_env = ''", "[auth] password_env = '' is not the name of an environment variable"),
    ],
    ids=lambda x: x.replace("\n", " ") if "\n" in x or "=" in x else None,
)
def test_an_unknown_or_misplaced_key_or_a_bad_address_in_a_campaign(tmp_path, nothing_reaches, text, named):
    """A typo must not silently turn pacing off: refused, with the closest known key."""
    toml = campaign(tmp_path, text)
    # The campaign's own address is the one checked when it is at fault: no --url over it.
    done = (
        dialer_run(str(toml))
        if text.startswith("url")
        else dialer_run(str(toml), "--url", nothing_reaches.url)
    )
    assert_refused(done, str(toml), named)
    assert "s3cret" not in done.stderr
    assert_nothing_recorded(tmp_path / "camp.results.jsonl")


def test_a_key_before_any_section_is_said_to_be_outside_one(tmp_path, nothing_reaches):
    numbered_list(tmp_path / "list.csv", 2)
    toml = tmp_path / "camp.toml"
    toml.write_text('rate = 5\n[campaign]\nlist = "list.csv"\n', encoding="utf-8")
    done = dialer_run(str(toml), "--url", nothing_reaches.url)
    assert_refused(done, str(toml), "'rate' is outside any section: it belongs under [pacing]")


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--rate", "nan"], "--rate nan is not a number"),
        (["--wait", "301"], "--wait 301 is out of range"),
        (["--url", "https://campaigns:s3cret@pbx.example.com"], "--url carries a user name or password"),
        (["--sheet", "Calls"], "--sheet applies to a spreadsheet"),
        (["camp.toml:[pacing]\nrate = 0"], "[pacing] rate = 0 would send nothing"),
        (["camp.toml:[defaults]\ndelay = -1"], "[defaults] delay = -1: delay must be a whole number"),
        (["camp.toml:[pacing]\nrte = 5"], "(did you mean 'rate'?)"),
    ],
    ids=lambda x: x if isinstance(x, str) else " ".join(x).replace("\n", " "),
)
def test_as_an_operator_meets_it_in_its_own_process(tmp_path, nothing_reaches, args, named):
    """The cases above are run in this process; a sample of them as cron runs them, in a process of
    their own: one error line on stderr, exit 2, nothing sent, no results file."""
    if args[0].startswith("camp.toml:"):
        args = [str(campaign(tmp_path, args[0].partition(":")[2]))]
        results = tmp_path / "camp.results.jsonl"
    else:
        args = [str(numbered_list(tmp_path / "list.csv", 2)), *args]
        results = tmp_path / "list.results.jsonl"
    switch_flag = [] if "--url" in args else ["--url", nothing_reaches.url]
    done = run_dialer("run", *args, *switch_flag, timeout=60)
    assert_refused(done, named)
    assert "s3cret" not in done.stderr
    assert_nothing_recorded(results)


# -- the list's cells -------------------------------------------------------------------------------


def assert_list_refused(done, results: Path, list_path: Path, row: int, column: str, reason: str) -> None:
    """Exit 2 naming the list, the row and column; the rows recorded as rejected, none unknown."""
    line = assert_refused(done, str(list_path), f"row {row}, column {column}: ", reason)
    assert "nothing to dial" in line
    lines = read_lines(results)
    assert [ln["row"] for ln in lines if ln.get("outcome") == o.REJECTED] == [row]
    assert not [ln for ln in lines if ln.get("outcome") == o.UNKNOWN]


@pytest.mark.parametrize(
    ("column", "cell", "reason"),
    [
        ("snumber", "1234567890123456", "snumber has more than 15 digits"),
        ("snumber", "+44 20 7946 0000 1234", "snumber has more than 15 digits"),
        ("snumber", "*#", "snumber is not a telephone number: it has no digit"),
        ("cnumber", "#", "cnumber is not a telephone number: it has no digit"),
        ("snumber", "2125551234.5", "snumber is a decimal number"),
        ("snumber", "2.125551234E+09", "snumber is in scientific notation"),
        ("snumber", "call me", "snumber is not a dialable number"),
        ("cdialplan", "e164", 'cdialplan must be "auto" or empty'),
        ("wait", "301", "wait is more than 300"),
        ("wait", "nan", "wait must be a whole number, 0 or more"),
        ("delay", "-5", "delay must be a whole number, 0 or more"),
        ("delay", "86401", "delay is more than 86,400"),
    ],
)
def test_a_bad_cell(tmp_path, nothing_reaches, column, cell, reason):
    row = {"snumber": "2125550001", "cnumber": "100", column: cell}
    list_path = write_csv(tmp_path / "list.csv", list(row), [list(row.values())])
    done = run_dialer("run", str(list_path), "--url", nothing_reaches.url, timeout=60)
    assert_list_refused(done, tmp_path / "list.results.jsonl", list_path, 2, column, reason)


def test_a_spreadsheet_number_that_is_not_whole_is_refused_not_read_as_another(tmp_path, nothing_reaches):
    """A real xlsx whose snumber cell holds the number 1064.5: refused, never dialed as 10645."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["snumber", "cnumber"])
    sheet.append([1064.5, 100])
    list_path = tmp_path / "list.xlsx"
    book.save(list_path)
    done = run_dialer("run", str(list_path), "--url", nothing_reaches.url, timeout=60)
    assert_list_refused(done, tmp_path / "list.results.jsonl", list_path, 2, "snumber", "is a decimal number")
    assert "10645" not in done.stderr


def test_numbers_written_the_uk_way_are_read_without_the_trunk_zero(tmp_path, switch):
    """ "+44 (0) 20 7946 0000" is +442079460000, as people who write it mean; "auto" is a cdialplan; a
    whole spreadsheet number is read as it is. Good input, so these are sent (to a switch of their own
    run; the other cases' switch stays untouched)."""
    openpyxl = pytest.importorskip("openpyxl")
    own = SimulatorProcess.start(["--call-seconds", "0"], tmp_path / "own-sim")
    try:
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["snumber", "cnumber", "cdialplan"])
        sheet.append(["+44 (0) 20 7946 0000", 100, "auto"])
        sheet.append([2125551234, 100, ""])
        list_path = tmp_path / "list.xlsx"
        book.save(list_path)
        done = run_dialer("run", str(list_path), "--url", own.url, "--no-outcomes", timeout=60)
        assert done.returncode == exitcodes.OK, done.stderr
        sent = sorted((a["snumber"], a["cnumber"]) for a in own.arrivals())
        assert sent == [("+442079460000", "100"), ("2125551234", "100")]
    finally:
        own.stop()


# -- the password file ------------------------------------------------------------------------------


def campaign_with_password_file(tmp_path: Path, content: bytes | None) -> tuple[Path, Path]:
    toml = campaign(tmp_path, '[auth]\npassword_file = "password"')
    password = tmp_path / "password"
    if content is not None:
        password.write_bytes(content)
    return toml, password


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"demo-secret\nsecond line\n", "the password file has more than one line"),
        (b"demo\ndemo-secret\n", "the password file has more than one line"),
        (b"", "the password file is empty"),
        (b"\xef\xbb\xbf\n", "the password file is empty"),
        (None, "cannot read the password file: No such file or directory"),
    ],
    ids=["second-line", "user-then-password", "empty", "bom-and-newline", "missing"],
)
def test_a_password_file_that_is_not_one_password(tmp_path, nothing_reaches, content, says):
    toml, password = campaign_with_password_file(tmp_path, content)
    env = {k: v for k, v in dialer_env().items() if k != "ENSWITCH_PASSWORD"}
    done = run_dialer("run", str(toml), "--url", nothing_reaches.url, timeout=60, env=env)
    assert_refused(done, f"{password}: {says}")
    assert "second line" not in done.stderr and "demo-secret" not in done.stderr
    assert_nothing_recorded(tmp_path / "camp.results.jsonl")


def test_a_password_file_with_a_bom_and_a_newline_logs_in(tmp_path):
    """What editors write (a BOM, one line ending) is the password alone: the switch accepts it."""
    own = SimulatorProcess.start(["--call-seconds", "0", "--no-login"], tmp_path / "own-sim")
    try:
        toml, _ = campaign_with_password_file(tmp_path, b"\xef\xbb\xbfdemo-secret\r\n")
        env = {k: v for k, v in dialer_env().items() if k != "ENSWITCH_PASSWORD"}
        done = run_dialer("run", str(toml), "--url", own.url, "--no-outcomes", timeout=60, env=env)
        assert done.returncode == exitcodes.OK, done.stderr
        assert [a["code"] for a in own.arrivals()] == [204, 204]
    finally:
        own.stop()


def test_credentials_missing_from_the_environment(tmp_path, nothing_reaches):
    source = numbered_list(tmp_path / "list.csv", 2)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENSWITCH_")}
    done = run_dialer("run", str(source), "--url", nothing_reaches.url, timeout=60, env=env)
    assert_refused(done, "set ENSWITCH_USERNAME to the Enswitch API username")
    assert_nothing_recorded(tmp_path / "list.results.jsonl")
