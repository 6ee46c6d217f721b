"""The switch's accounts (dialer.simulator.accounts): from a file or the environment, never echoed."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dialer.simulator.accounts import ENV, AccountError, accounts_from
from dialer.simulator.cli import simulate
from dialer.simulator.config import User


def test_users_file_holds_dialers_and_viewers(tmp_path: Path):
    """One account a line, ':viewer' for one that may not dial; blank lines and '#' comments skipped."""
    path = tmp_path / "users"
    path.write_text("# the switch's accounts\n\nalice:pw-a\n  bob:pw-b:viewer  \n")
    assert accounts_from(path, {}) == {"alice": User("pw-a"), "bob": User("pw-b", can_dial=False)}


def test_environment_entries_split_on_commas_and_newlines():
    """DIALER_SIMULATOR_USERS holds the same entries, separated by commas or newlines."""
    found = accounts_from(None, {ENV: "alice:pw-a,bob:pw-b:viewer\ncarol:pw-c\n"})
    assert found == {"alice": User("pw-a"), "bob": User("pw-b", can_dial=False), "carol": User("pw-c")}


def test_file_and_environment_together(tmp_path: Path):
    """Both sources add up; no source at all keeps the default accounts (None)."""
    path = tmp_path / "users"
    path.write_text("alice:pw-a\n")
    assert set(accounts_from(path, {ENV: "bob:pw-b"})) == {"alice", "bob"}
    assert accounts_from(None, {}) is None
    assert accounts_from(None, {ENV: "  "}) is None


@pytest.mark.parametrize(
    "text",
    [
        "alice-only-secret-pw\n",
        "alice:\n",
        ":secret-pw\n",
        "alice:secret-pw:admin\n",
        "alice:secret:pw:viewer\n",
        "alice:secret-pw\nalice:secret-pw2\n",
        "# nothing but a comment, secret-pw\n",
    ],
)
def test_a_malformed_users_file_is_refused_without_its_contents(tmp_path: Path, text):
    """A malformed entry, a name given twice or a file with no account is an error that says where,
    never what the entry holds."""
    path = tmp_path / "users"
    path.write_text(text)
    with pytest.raises(AccountError) as caught:
        accounts_from(path, {})
    assert "secret" not in str(caught.value) and "alice" not in str(caught.value)
    assert str(path) in str(caught.value)


def test_cli_refuses_a_malformed_users_file_without_echoing_it(tmp_path: Path):
    """The simulator refuses a bad users file as a usage error (exit 2) before listening, and prints
    no password."""
    path = tmp_path / "users"
    path.write_text("demo:fine-pw\ndemo-s3cret-pw\n")
    result = CliRunner().invoke(simulate, ["--port", "0", "--users-file", str(path)])
    assert result.exit_code == 2
    assert "line 2" in result.output
    assert "s3cret" not in result.output and "fine-pw" not in result.output


def test_cli_refuses_a_malformed_environment_without_echoing_it():
    """A bad DIALER_SIMULATOR_USERS is a usage error naming the entry's place, not its text."""
    result = CliRunner().invoke(simulate, ["--port", "0"], env={ENV: "demo:pw:x-s3cret"})
    assert result.exit_code == 2
    assert f"{ENV}, entry 1" in result.output
    assert "s3cret" not in result.output


def test_cli_takes_no_password_on_its_command_line():
    """--user and --viewer are gone: a password on a command line shows in ps."""
    for option in ("--user", "--viewer"):
        result = CliRunner().invoke(simulate, ["--port", "0", option, "alice:s3cret"])
        assert result.exit_code == 2
        assert "s3cret" not in result.output
