"""`--help` written for an operator (dialer/commands/cli.py, help_text.py, run.py, validate.py,
list_flags.py): every command listed whole, the exit statuses as a table, each option's default and a
metavar saying what it takes, the same in every command."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from dialer.commands.cli import COMMANDS, main
from dialer.core import exitcodes

OURS = ("run", "validate")  # the commands whose every option this module holds to a default
SHARED = ("--results", "--sheet", "--encoding", "--delimiter", "--do-not-call", "--person")


def help_of(*command: str) -> str:
    result = CliRunner().invoke(main, [*command, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.output


def command(name: str) -> click.Command:
    found = main.get_command(click.Context(main), name)
    assert found is not None
    return found


def options(name: str) -> list[click.Option]:
    return [p for p in command(name).params if isinstance(p, click.Option) and p.name != "help"]


def test_the_command_list_is_whole():
    """`dialer --help` lists every command with its whole line: nothing cut off with "..."."""
    text = help_of()
    listed = text[text.index("Commands:") :]
    for name, (_, summary) in COMMANDS.items():
        assert f"  {name}  " in listed
        assert " ".join(summary.split()) in " ".join(listed.split())
    assert "..." not in listed


def test_run_help_has_its_paragraphs_and_the_exit_statuses_as_a_table():
    """The description's paragraphs stay apart, and every exit status is a line of its own: its number
    right-aligned, then its meaning (click folded the old table into one paragraph)."""
    text = help_of("run")
    assert "\n\n  Flags override the campaign file." in text
    table = re.findall(r"^ +(\d+)  (\S.*)$", text[text.index("Exit statuses:") :], re.M)
    assert table == [(str(code), meaning) for code, meaning in exitcodes.DESCRIPTIONS.items()]
    ends = {
        line.index(f"{code}  ") + len(str(code))
        for line in text.splitlines()
        for code in exitcodes.DESCRIPTIONS
        if re.match(rf"^ +{code}  ", line)
    }
    assert len(ends) == 1  # the numbers right-aligned


def test_the_exit_status_table_fits_an_80_column_terminal():
    """click never folds a table: each line must fit as it is."""
    text = CliRunner().invoke(main, ["run", "--help"], terminal_width=80).output
    table = text[text.index("Exit statuses:") :].splitlines()
    assert all(len(line) <= 80 for line in table), max(table, key=len)


def test_validate_help_has_its_exit_statuses():
    text = help_of("validate")
    table = re.findall(r"^ +(\d+)  \S", text[text.index("Exit statuses:") :], re.M)
    assert table == ["0", "2", "4"]


@pytest.mark.parametrize("name", OURS)
def test_every_option_says_its_default_and_what_it_takes(name):
    """Each option that takes a value shows a default (the campaign file's, else what is used) and a
    metavar that says what it takes: never TEXT (--until and --max-duration showed TEXT)."""
    text = help_of(name)
    assert "TEXT" not in text and "PATH" not in text
    for opt in options(name):
        if opt.is_flag:
            continue
        record = opt.get_help_record(click.Context(command(name)))
        assert record is not None
        assert "[default: " in record[1], f"{opt.opts[0]} shows no default"
    if name == "run":
        assert "--until HH:MM" in text and "--max-duration DURATION" in text


def test_the_same_option_has_the_same_metavar_in_every_command():
    """--results was PATH in run and FILE in status and report; every shared option reads alike."""
    seen: dict[str, set[str]] = {}
    for name in COMMANDS:
        if name == "simulate":
            continue
        for opt in options(name):
            record = opt.get_help_record(click.Context(command(name)))
            seen.setdefault(opt.opts[0], set()).add(record[0])
    for flag in SHARED:
        assert len(seen[flag]) == 1, (flag, seen[flag])
    assert seen["--results"] == {"--results FILE"}


def test_help_lines_start_with_a_capital():
    """Every command's and option's help starts in capitals ("calls/make address" and "delay: send
    ..." did not)."""
    for name in COMMANDS:
        if name == "simulate":
            continue
        cmd = command(name)
        assert cmd.help and cmd.help[0].isupper(), name
        for opt in options(name):
            assert opt.help and opt.help[0].isupper(), (name, opt.opts)
