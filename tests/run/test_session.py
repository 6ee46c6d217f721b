"""One `dialer run` in this process (dialer/run/session.py): a results file it may not read stops it before
any request, with the results file's exit status."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from dialer.core import exitcodes
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
