"""One run per results file (dialer/journal/lock.py): the lock is on the file itself, so the path, a
symlink and a hard link all meet it; the message names the process holding it (from /proc/locks);
the kernel frees it when that process dies, kill -9 included; an empty file the lock made is removed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dialer.journal.lock import AlreadyRunning, ResultsLock, _holder

pytestmark = pytest.mark.timeout(60)


def held(path: Path) -> ResultsLock:
    lock = ResultsLock(path)
    lock.acquire()
    return lock


def test_the_lock_is_on_the_file_whatever_name_reaches_it(tmp_path):
    """The path, a symlink to it and a hard link to it are refused while it is locked; another file
    is not; once released, each of them takes it."""
    results = tmp_path / "runs" / "camp.results.jsonl"
    first = held(results)
    results.write_bytes(b'{"event":"run_started"}\n')
    (tmp_path / "via-symlink.jsonl").symlink_to(results)
    os.link(results, tmp_path / "via-hard-link.jsonl")
    names = [results, tmp_path / "via-symlink.jsonl", tmp_path / "via-hard-link.jsonl"]
    for name in names:
        with pytest.raises(AlreadyRunning, match=rf"pid {os.getpid()}\) is working on this results file"):
            ResultsLock(name).acquire()
    other = held(tmp_path / "another.results.jsonl")  # another campaign is not held up
    other.release()
    first.release()
    for name in names:
        lock = ResultsLock(name)
        assert lock.acquire() == (os.stat(results).st_dev, os.stat(results).st_ino)
        lock.release()


def test_the_message_says_nothing_was_dialed_and_what_to_do(tmp_path):
    results = tmp_path / "r.jsonl"
    first = held(results)
    try:
        with pytest.raises(AlreadyRunning) as refused:
            ResultsLock(results).acquire()
    finally:
        first.release()
    message = str(refused.value)
    assert message.startswith(f"{results}: another run (pid {os.getpid()})")
    assert "nothing was dialed" in message and "Let it finish" in message


HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from dialer.journal.lock import ResultsLock
    ResultsLock(Path(sys.argv[1])).acquire()
    print("locked", flush=True)
    sys.stdin.read()
    """
)


def test_another_process_is_named_and_its_death_frees_the_lock(tmp_path):
    """A lock held by another process names that process's pid; kill -9 of it frees the file at once
    (the kernel drops a flock with its last descriptor): no stale lock file to clean up."""
    results = tmp_path / "r.jsonl"
    results.write_bytes(b'{"event":"run_started"}\n')
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(results)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(AlreadyRunning, match=rf"\(pid {holder.pid}\)"):
            ResultsLock(tmp_path / "r.jsonl").acquire()
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.stdin.close()
        holder.stdout.close()
    lock = held(results)
    lock.release()
    assert results.read_bytes() == b'{"event":"run_started"}\n'


def test_a_file_the_lock_made_is_removed_only_while_empty(tmp_path):
    """A run that wrote nothing (bad input) leaves no results file behind; one that wrote, or a file
    that was there before, stays."""
    made_empty = tmp_path / "a.jsonl"
    held(made_empty).release()
    assert not made_empty.exists()

    made_written = tmp_path / "b.jsonl"
    lock = held(made_written)
    made_written.write_bytes(b"{}\n")
    lock.release()
    assert made_written.read_bytes() == b"{}\n"

    there_before = tmp_path / "c.jsonl"
    there_before.touch()
    held(there_before).release()
    assert there_before.exists()


def test_a_file_made_empty_and_then_replaced_is_not_removed(tmp_path):
    """The file removed at release is the one the lock made: another file put at its path stays."""
    results = tmp_path / "r.jsonl"
    lock = held(results)
    results.unlink()
    results.touch()  # another (empty) file, another inode
    lock.release()
    assert results.exists()


def test_a_symlink_to_a_file_not_made_yet_makes_and_locks_that_file(tmp_path):
    """A campaign whose results path is a symlink to a file that does not exist yet (a fresh
    campaign in a shared folder): the file is made where the link points, and locked there."""
    target = tmp_path / "shared" / "camp.results.jsonl"
    target.parent.mkdir()
    link = tmp_path / "camp.results.jsonl"
    link.symlink_to(target)
    lock = held(link)
    assert target.exists()
    with pytest.raises(AlreadyRunning):
        ResultsLock(target).acquire()
    lock.release()  # made here and still empty: removed, the link left as it was
    assert not target.exists() and link.is_symlink()


def test_release_twice_and_release_before_acquire_do_nothing(tmp_path):
    lock = ResultsLock(tmp_path / "r.jsonl")
    lock.release()
    lock.acquire()
    lock.release()
    lock.release()


# -- /proc/locks ------------------------------------------------------------------------------------


def locks_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "locks"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="ascii")
    return str(path)


def test_the_holder_is_read_from_proc_locks_waiters_and_other_kinds_skipped(tmp_path):
    dev = os.makedev(0xFE, 0)
    locks = locks_file(
        tmp_path,
        """
        1: POSIX  ADVISORY  WRITE 111 fe:00:2147204 0 EOF
        2: FLOCK  ADVISORY  WRITE 222 fe:00:999 0 EOF
        3: FLOCK  ADVISORY  WRITE 333 fe:00:2147204 0 EOF
        3: -> FLOCK  ADVISORY  WRITE 444 fe:00:2147204 0 EOF
        """,
    )
    assert _holder(dev, 2147204, locks) == 333
    assert _holder(dev, 12345, locks) is None


def test_a_device_named_otherwise_falls_back_to_the_inode_when_only_one_line_has_it(tmp_path):
    """overlayfs names another device in /proc/locks than stat() does: the inode alone decides, but
    only when one process holds a flock on such an inode (else nobody is named rather than a wrong one)."""
    dev = os.makedev(8, 1)
    one = locks_file(tmp_path, "1: FLOCK  ADVISORY  WRITE 555 00:2f:77 0 EOF\n")
    assert _holder(dev, 77, one) == 555
    two = locks_file(
        tmp_path,
        "1: FLOCK  ADVISORY  WRITE 555 00:2f:77 0 EOF\n2: FLOCK  ADVISORY  WRITE 666 00:30:77 0 EOF\n",
    )
    assert _holder(dev, 77, two) is None


def test_no_proc_locks_names_nobody_and_the_refusal_still_stands(tmp_path, monkeypatch):
    assert _holder(os.makedev(8, 1), 77, str(tmp_path / "missing")) is None
    monkeypatch.setattr("dialer.journal.lock._holder", lambda dev, ino: None)
    results = tmp_path / "r.jsonl"
    first = held(results)
    try:
        with pytest.raises(AlreadyRunning, match=r"another run \(another process\)"):
            ResultsLock(results).acquire()
    finally:
        first.release()
