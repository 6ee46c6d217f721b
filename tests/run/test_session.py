"""One `dialer run` in this process (dialer/run/session.py): a results file it may not read stops it before
any request, with the results file's exit status."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import pytest

from dialer.commands.console import console
from dialer.core import exitcodes
from dialer.run import session as session_module
from dialer.switch.mock import MockTransport
from dialer.switch.transport import RawReply
from tests.helpers.events import dial_line
from tests.helpers.files import numbered_list
from tests.helpers.mock_switch import OK_BODY, in_process_session

pytestmark = pytest.mark.timeout(60)


async def test_run_refuses_a_results_file_it_may_not_read(tmp_path, monkeypatch):
    """Permission denied on the results file: status 8 and no request, not a fresh start."""
    list_path = numbered_list(tmp_path / "list.csv", 5)
    results = list_path.with_name("list.results.jsonl")
    results.write_bytes(dial_line(2))
    real_open = open

    def guarded_open(file, *args, **kwargs):
        if Path(file) == results:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("dialer.journal.results_file.open", guarded_open, raising=False)

    async def switch(form):
        return RawReply(200, {}, OK_BODY)

    transport = MockTransport(switch)
    status = await in_process_session(list_path, transport).run()
    assert status == exitcodes.RESULTS_UNWRITABLE
    assert transport.requests == []
    assert results.read_bytes() == dial_line(2)


async def test_a_results_file_replaced_while_the_list_loads_is_not_dialed_into(tmp_path, monkeypatch):
    """The file the journal opens must be the one the run locked: replaced between the two (while a
    large list loads), the run stops before its first request, with the results file's status."""
    list_path = numbered_list(tmp_path / "list.csv", 5)
    results = list_path.with_name("list.results.jsonl")
    real_replay = session_module.replay_with_checkpoint

    def replaced_meanwhile(path, log):
        other = results.with_name("other.jsonl")
        other.write_bytes(b"")
        other.rename(results)
        return real_replay(path, log)

    monkeypatch.setattr(session_module, "replay_with_checkpoint", replaced_meanwhile)

    async def switch(form):
        return RawReply(200, {}, OK_BODY)

    transport = MockTransport(switch)
    out = io.StringIO()
    session = in_process_session(list_path, transport)
    session.log = console(out)
    status = await session.run()
    assert status == exitcodes.RESULTS_UNWRITABLE
    assert transport.requests == []
    assert "is not the file this run locked when it started" in out.getvalue()
    assert results.read_bytes() == b""  # the file put there is not written to


async def test_a_change_after_the_watch_last_looked_is_still_caught(tmp_path, monkeypatch):
    """The watch is the first line; a last look after the dialing is the second: a file removed as
    the last answer comes in is saved and said, never checkpointed as if nothing happened."""

    async def no_watch(path, journal, on_change):
        return None

    monkeypatch.setattr("dialer.run.runner.watch", no_watch)
    list_path = numbered_list(tmp_path / "list.csv", 3)
    results = list_path.with_name("list.results.jsonl")
    answered = 0

    async def switch(form):
        nonlocal answered
        answered += 1
        if answered == 3:
            results.unlink()
        return RawReply(200, {}, OK_BODY)

    transport = MockTransport(switch)
    out = io.StringIO()
    session = in_process_session(list_path, transport)
    session.log = console(out)
    assert await session.run() == exitcodes.RESULTS_UNWRITABLE
    assert "was removed while this run was going" in out.getvalue()
    (saved,) = tmp_path.glob("list.results.jsonl.saved-*")
    assert sum(1 for line in saved.read_bytes().splitlines() if b'"event":"result"' in line) == 3
    assert not results.with_name("list.results.jsonl.checkpoint").exists()
