"""The console (dialer/commands/console.py, console_text.py): sentences and aligned summaries for a person,
one JSON object a line for a machine, the same events either way, never a secret."""

from __future__ import annotations

import io
import json
import os
import pty
import re

import pytest

from dialer.commands.console import console, human_console
from dialer.commands.console_text import HumanRenderer
from dialer.core.secrets import Secrets

RUN_STARTED = {
    "campaign": "demo",
    "results": "runs/demo.results.jsonl",
    "rows": 63,
    "to_dial": 59,
    "concurrency": "50 (auto)",
    "already": {"placed": 0, "rejected": 1, "suppressed": 3, "failed": 0, "unknown": 0, "not_dialed": 59},
}
RUN_ENDED = {
    "status": 4,
    "meaning": "finished; some rows rejected, failed or unknown: see `dialer status`",
    "placed": 58,
    "rejected": 2,
    "suppressed": 3,
    "failed": 0,
    "unknown": 0,
    "not_dialed": 0,
}


def say_everything(log) -> None:
    """The events of a run, as the code logs them."""
    log.info("run started", **RUN_STARTED)
    log.warning("rows with unknown outcome are not redialed; see `dialer status`", unknown=3)
    log.warning(
        "cannot connect to the switch",
        reason="Cannot connect to host 127.0.0.1:9 ssl:default [Connect call failed ('127.0.0.1', 9)]",
        url="http://127.0.0.1:9/api/json/calls/make/",
    )
    log.error("bad input", detail="--window '25:00-26:00' is not a time range such as 09:00-17:00")
    log.info("run ended", **RUN_ENDED)


@pytest.fixture(autouse=True)
def columns_100(monkeypatch):
    """The console wraps at the terminal's width; here there is none, and what a test worker's stdout
    happens to be must not decide it."""
    monkeypatch.setenv("COLUMNS", "100")


def human() -> tuple[io.StringIO, object]:
    out = io.StringIO()
    return out, console(out, log_format="human")


def test_a_person_reads_sentences_and_aligned_summaries_never_dicts_or_key_value():
    """The raw structured line of old (ts='...' level='info' event='run started' already={'placed':
    0, ...}) is gone: a time, a sentence, and the details in aligned columns under it."""
    out, log = human()
    say_everything(log)
    text = out.getvalue()
    assert "{" not in text and "'placed'" not in text and "=" not in text
    lines = text.splitlines()
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d  Run started: campaign demo, 63 rows in the list, 59 to dial now\.", lines[0]
    )
    assert lines[1:4] == [
        "          results    runs/demo.results.jsonl",
        "          in flight  50 requests at most (auto)",
        "          already    rejected 1, suppressed 3",
    ]
    assert "Warning: Rows with unknown outcome are not redialed; see `dialer status`." in text
    assert "Error: Bad input: --window '25:00-26:00' is not a time range such as 09:00-17:00." in text
    ended = [line for line in text[text.index("Run ended") :].splitlines() if re.search(r"\d$", line)]
    assert [line.split()[0] for line in ended] == ["placed", "failed", "rejected", "unknown", "left"] + [
        "suppressed",
        "total",
    ]
    assert len({len(line) for line in ended}) == 1  # the numbers right-aligned in one column
    assert ended[-1].split() == ["total", "63"]


def test_long_sentences_fold_under_themselves_within_the_terminal_width():
    """No line wider than the terminal (a 160-column raw line wrapped by the terminal was unreadable):
    a long sentence folds, each further line starting under its first word."""
    renderer = HumanRenderer(width=80)
    text = renderer(
        None,
        "warning",
        {
            "event": "the switch cannot be asked about unknown rows: they stay unknown; see `dialer status`",
            "reason": "the lists do not show row 2's call, which the switch accepted before this one: "
            "they may hold numbers in another form, or have lost records, so an empty answer proves nothing",
        },
    )
    lines = text.splitlines()
    assert len(lines) > 2 and all(len(line) <= 80 for line in lines)
    assert all(line.startswith(" " * 10) and line[10] != " " for line in lines[1:])


def test_colours_only_on_a_terminal():
    """Colour codes when the console is a terminal, none in a file or a pipe, none with NO_COLOR."""
    out, log = human()
    log.warning("something to see")
    assert "\x1b[" not in out.getvalue()
    assert "\x1b[33m" in HumanRenderer(colours=True)(None, "warning", {"event": "something to see"})
    leader, follower = pty.openpty()
    with open(follower, "w", closefd=True) as tty:
        assert human_console(tty) and not human_console(io.StringIO())
        console(tty).warning("on a terminal")
    assert b"\x1b[" in os.read(leader, 4096)
    os.close(leader)


def test_a_machine_reads_one_json_object_a_line_with_the_same_events():
    """Not a terminal (cron, systemd, a pipe) or --log-format json: each event is one JSON object on one
    line, time, level and event first, the fields as the code gave them (dicts as objects); the events
    are the very ones the person's console shows."""
    out = io.StringIO()
    say_everything(console(out))
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [list(e)[:3] for e in events] == [["ts", "level", "event"]] * 5
    started = events[0]
    assert {k: started[k] for k in RUN_STARTED} == RUN_STARTED
    assert events[-1] | {"ts": None} == {"ts": None, "level": "info", "event": "run ended", **RUN_ENDED}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", started["ts"])
    person, _ = human()
    say_everything(console(person, log_format="human"))
    said = [line for line in person.getvalue().splitlines() if not line.startswith(" ")]
    assert len(said) == len(events)  # one sentence an event, the same events


@pytest.mark.parametrize("log_format", ["human", "json"])
def test_secrets_never_reach_the_console(log_format):
    """The password, and any field named like a secret, hidden in both consoles."""
    out = io.StringIO()
    log = console(out, log_format=log_format, secrets=Secrets("hunter2-secret"))
    log.error("account refused", detail="switch said: bad password hunter2-secret", auth_password="x")
    log.info("run started", **RUN_STARTED, token="abcdef123")
    text = out.getvalue()
    assert "hunter2-secret" not in text and "abcdef123" not in text
    assert "<hidden>" in text


def test_quiet_keeps_warnings_and_errors():
    out = io.StringIO()
    log = console(out, quiet=True, log_format="human")
    say_everything(log)
    text = out.getvalue()
    assert "Run started" not in text and "Run ended" not in text
    assert "Warning: Cannot connect to the switch" in text and "Error: Bad input" in text


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="log format"):
        console(io.StringIO(), log_format="xml")
