"""The results file as a journal (dialer/journal/results_file.py): group commit, lines in order, a write or
fsync that fails, a line cut short by a full disk, torn tails cut on open, and reading back what a run
wrote on top of the replay it started from."""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import os
import random
import subprocess
import sys
import textwrap

import orjson
import pytest

from dialer.core import outcomes as o
from dialer.journal.lines import Event
from dialer.journal.replay import Replay
from dialer.journal.results_file import Journal, JournalError, read_results
from tests.helpers.events import dial_line
from tests.helpers.files import read_lines
from tests.helpers.fsync import FsyncSpy
from tests.helpers.processes import PASSWORD, USERNAME

pytestmark = pytest.mark.timeout(60)


async def test_concurrent_commits_share_one_fsync(tmp_path, monkeypatch):
    """A hundred writers committing at once cost a few fsyncs, and each returns only once durable."""
    spy = FsyncSpy()
    monkeypatch.setattr(os, "fsync", spy)
    journal = Journal(tmp_path / "r.jsonl", "run")
    journal.open()
    durable_at_return: list[bool] = []

    async def writer(row: int) -> None:
        journal.write((Event.DIAL, dict(row=row, snumber="1", cnumber="2", attempt=1, outcome=o.SENDING)))
        mine = journal._written
        await journal.commit()
        durable_at_return.append(journal._durable >= mine)

    await asyncio.gather(*(writer(r) for r in range(100)))
    journal.close()
    assert durable_at_return == [True] * 100
    assert 1 <= spy.calls <= 4
    assert len(read_lines(tmp_path / "r.jsonl")) == 100


async def test_lines_recorded_in_one_loop_pass_reach_the_file_at_its_end_in_order(tmp_path):
    """Inside the event loop a pass's lines go to the OS together when the pass ends; commit() does
    not wait for that, and lines keep the order they were recorded in."""
    path = tmp_path / "r.jsonl"
    journal = Journal(path, "run")
    journal.open()
    for row in range(5):
        journal.write((Event.DIAL, dict(row=row, snumber="1", cnumber="2", attempt=1)))
    assert path.read_bytes() == b""  # still this pass
    await asyncio.sleep(0)
    assert [line["row"] for line in read_lines(path)] == [0, 1, 2, 3, 4]
    journal.write((Event.RESULT, dict(row=0, outcome=o.PLACED)))
    await journal.commit()  # within the same pass: commit writes before it syncs
    lines = read_lines(path)
    assert [(line["event"], line["row"]) for line in lines][-1] == (Event.RESULT, 0)
    assert all(line["run"] == "run" and line["ts"].endswith("Z") for line in lines)
    assert list(lines[0])[:3] == ["ts", "event", "run"]
    journal.close()


async def test_a_write_that_fails_at_the_end_of_a_pass_stops_the_next_commit(tmp_path, monkeypatch):
    """The failure of a deferred write is not lost: the next commit and record raise it."""
    journal = Journal(tmp_path / "r.jsonl", "run")
    journal.open()

    class FullDisk:
        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    writes = journal._log._logger._file  # the file as structlog's BytesLogger writes to it
    monkeypatch.setattr(writes, "_f", FullDisk())
    journal.write((Event.RESULT, dict(row=1, outcome=o.PLACED)))
    await asyncio.sleep(0)
    assert journal.broken is not None
    with pytest.raises(JournalError, match="No space left"):
        await journal.commit()
    with pytest.raises(JournalError):
        journal.write((Event.DIAL, dict(row=2)))
    journal.close()


def test_credentials_never_reach_the_file(tmp_path):
    """Whatever a caller passes, the password and username fields are dropped by the renderer."""
    path = tmp_path / "r.jsonl"
    journal = Journal(path, "run")
    journal.open()
    journal.write(
        (Event.DIAL, dict(row=1, auth_password=PASSWORD, auth_username=USERNAME, password=PASSWORD))
    )
    journal.close()
    assert PASSWORD.encode() not in path.read_bytes()
    assert USERNAME.encode() not in path.read_bytes()
    assert read_lines(path)[0]["row"] == 1


SHORT_WRITER = textwrap.dedent(
    """
    import resource, signal, sys
    from pathlib import Path
    from dialer.journal.results_file import Journal, JournalError
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), hard))
    journal = Journal(Path(sys.argv[1]), "run")
    journal.open()
    recorded = 0
    for row in range(200):
        try:
            journal.write(("dial", dict(row=row, snumber="2125550000", cnumber="100", attempt=1)))
        except JournalError as exc:
            try:
                journal.write(("dial", dict(row=999, snumber="2125550000", cnumber="100", attempt=1)))
                print("recorded after an error", flush=True)
            except JournalError:
                pass
            print(recorded, exc, flush=True)
            break
        recorded += 1
    """
)


@pytest.mark.parametrize("limit", [1000, 1001, 1050, 1099])
def test_a_line_that_lands_short_on_disk_is_an_error(tmp_path, limit):
    """A write cut short by a full disk raises (never 'recorded'); reopening cuts the torn part off."""
    path = tmp_path / "r.jsonl"
    out = subprocess.run(
        [sys.executable, "-c", SHORT_WRITER, str(path), str(limit)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 0, out.stderr
    recorded, _, message = out.stdout.strip().partition(" ")
    assert "File too large" in message
    data = path.read_bytes()
    complete = data[: data.rfind(b"\n") + 1]
    # Every line the journal said it recorded is whole on disk; no more than that.
    assert [line["row"] for line in map(orjson.loads, complete.splitlines())] == list(range(int(recorded)))
    journal = Journal(path, "again")
    journal.open()
    journal.close()
    assert path.read_bytes() == complete


async def test_fsync_failure_breaks_the_journal(tmp_path, monkeypatch):
    """If the disk cannot save the file, commit raises and every later record raises too."""

    def failing(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    journal = Journal(tmp_path / "r.jsonl", "run")
    journal.open()
    journal.write((Event.DIAL, dict(row=2)))
    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(JournalError, match="cannot save"):
        await journal.commit()
    with pytest.raises(JournalError):
        journal.write((Event.DIAL, dict(row=3)))
    journal.close()


def test_torn_last_line_is_cut_off_on_open(tmp_path):
    """A line torn by a crash is flagged on replay and removed when the journal is reopened."""
    path = tmp_path / "r.jsonl"
    whole = dial_line(2) + dial_line(3)
    path.write_bytes(whole + dial_line(4)[:25])
    replay = read_results(path)
    assert replay.torn_tail and sorted(replay.records) == ["p2", "p3"]
    journal = Journal(path, "run")
    journal.open()
    journal.write((Event.DIAL, dict(row=5)))
    journal.close()
    assert path.read_bytes().startswith(whole)
    assert [line["row"] for line in read_lines(path)] == [2, 3, 5]


# -- reading back only what a run wrote ------------------------------------------------------------


def _state(replay: Replay) -> tuple:
    rows = {row: dataclasses.astuple(rec) for row, rec in ((r.row, r) for r in replay.records.records())}
    return rows, replay.runs, replay.ends, replay.errors, replay.lines


def _random_lines(rng: random.Random, count: int) -> list[dict]:
    out = []
    for _ in range(count):
        row = rng.randint(2, 12)
        event = rng.choice(["dial", "result", "result", "withdrawn", "row_rejected", "run_started"])
        out.append(
            {
                "event": event,
                "row": row,
                "snumber": rng.choice(["100", "101"]),
                "cnumber": "200",
                "attempt": rng.randint(1, 3),
                "outcome": rng.choice(["placed", "retry", "unknown", "rejected"]),
                "code": rng.choice(["204", "503", None]),
                "callid": rng.choice(["1.1", None]),
            }
        )
    return out


def test_folding_the_rest_on_top_equals_replaying_the_whole_file(tmp_path):
    """read_results(since=opened_size, into=replay) gives what a full replay of the file gives."""
    rng = random.Random(5)
    for trial in range(40):
        path = tmp_path / f"r{trial}.jsonl"
        before, after = _random_lines(rng, rng.randint(0, 30)), _random_lines(rng, rng.randint(0, 30))
        path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in before))
        start = read_results(path)
        journal = Journal(path, "run")
        journal.open()
        for line in after:
            journal.write((line.pop("event"), line))
        journal.close()
        continued = read_results(path, since=journal.opened_size, into=start)
        assert _state(continued) == _state(read_results(path))


def test_a_torn_tail_cut_on_open_is_not_read_back(tmp_path):
    """The journal cuts an earlier crash's torn line; the bytes after that are this run's lines."""
    path = tmp_path / "r.jsonl"
    path.write_bytes(orjson.dumps({"event": "dial", "row": 2, "snumber": "1", "cnumber": "2"}) + b'\n{"ev')
    start = read_results(path)
    assert start.torn_tail
    journal = Journal(path, "run")
    journal.open()
    journal.write(("result", dict(row=2, snumber="1", cnumber="2", attempt=1, outcome="placed", code="204")))
    journal.close()
    continued = read_results(path, since=journal.opened_size, into=start)
    assert continued.records.record_of("pair:1|2").state == "placed" and continued.lines == 2
