"""os.fsync watched: how often it is called and how much of each file it made durable."""

from __future__ import annotations

import os


class FsyncSpy:
    """Stands in for os.fsync: counts calls and remembers how much of each file was on disk."""

    def __init__(self, real=os.fsync) -> None:
        self.real = real
        self.calls = 0
        self.synced: dict[int, int] = {}  # inode -> bytes known durable

    def __call__(self, fd: int) -> None:
        size = os.fstat(fd).st_size
        self.real(fd)
        self.calls += 1
        inode = os.fstat(fd).st_ino
        self.synced[inode] = max(self.synced.get(inode, 0), size)
