"""One run per results file: an exclusive lock on the file itself.

The lock is taken on the file (its device and inode), not on its name, so every path that reaches it
(the path itself, a symlink, a hard link) meets the same lock, and a second run started on it by any
of them exits at once. The kernel drops the lock when the process ends, kill -9 included.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path


class AlreadyRunning(Exception):
    pass


class ResultsLock:
    def __init__(self, results: Path) -> None:
        self.path = results
        self._fd: int | None = None
        self._made: tuple[int, int] | None = None  # the empty file made here, to remove if left empty
        self._real = results  # the file the path names, links followed

    def acquire(self) -> tuple[int, int]:
        """Lock the results file (made now, empty, if there is none); its (device, inode). A symlink
        is followed, even to a file not made yet: the file it names is made and locked."""
        real = Path(os.path.realpath(self.path))
        real.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(real, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0o644)
            made = True
        except FileExistsError:
            fd = os.open(real, os.O_RDONLY)
            made = False
        st = os.fstat(fd)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = _holder(st.st_dev, st.st_ino)
            who = f"pid {holder}" if holder else "another process"
            raise AlreadyRunning(
                f"{self.path}: another run ({who}) is working on this results file, whatever name or "
                "link reaches it; nothing was dialed. Let it finish, or stop it, before running again"
            ) from None
        self._fd = fd
        self._made = (st.st_dev, st.st_ino) if made else None
        self._real = real
        return st.st_dev, st.st_ino

    def release(self) -> None:
        """Unlock; a results file made by ``acquire`` and still empty (the run wrote nothing: bad
        input, say) is removed, as if the run had never started."""
        if self._fd is None:
            return
        if self._made is not None:
            with contextlib.suppress(OSError):
                st = os.stat(self._real)
                if (st.st_dev, st.st_ino) == self._made and st.st_size == 0:
                    self._real.unlink()
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


def _holder(dev: int, ino: int, locks: str = "/proc/locks") -> int | None:
    """The process holding a flock on the file, from /proc/locks (Linux); None where unknown.

    A line reads ``1: FLOCK  ADVISORY  WRITE 4242 fe:00:2147204 0 EOF`` (``1: -> FLOCK ...`` for a
    process waiting on it). Some filesystems (overlayfs) name another device there than ``stat``
    does, so when no line names both, the one line naming the inode alone is taken."""
    wanted = f"{os.major(dev):02x}:{os.minor(dev):02x}:{ino}"
    by_inode: set[int] = set()
    try:
        with open(locks, encoding="ascii", errors="replace") as f:
            for line in f:
                fields = line.split()
                if len(fields) > 1 and fields[1] == "->":
                    continue  # waiting for the lock, not holding it
                if len(fields) <= 5 or fields[1] != "FLOCK":
                    continue
                if fields[5] == wanted:
                    return int(fields[4])
                if fields[5].rpartition(":")[2] == str(ino):
                    by_inode.add(int(fields[4]))
    except (OSError, ValueError):
        return None
    return by_inode.pop() if len(by_inode) == 1 else None
