"""Noticing, while a run goes, that its results file is no longer the file at its path, or no longer
whole: removed, renamed (log rotation), replaced by another file, or cut short.

A run that went on would dial into a file the next run never reads, and the next run would call
everybody again. So the file the journal holds open is compared with the one at the path a few
times a second (``EVERY``), and the first difference stops the run: no row is claimed after it, and
the moment it is seen no request leaves. Where the file went, when it can be found, is said, so an
operator can put it back.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dialer.journal.results_file import Journal
from dialer.journal.results_marks import cut_short_mark, mark_of_open, write_mark

EVERY = 0.25  # seconds between looks: a change is seen within a second
REMEMBER_EVERY = 8  # looks between marks of how far the file has come


@dataclass(frozen=True)
class Change:
    what: str  # "removed", "moved", "renamed", "replaced" or "cut short"
    detail: str = ""  # for "cut short": the sizes
    moved_to: Path | None = None  # where the file is now, when that could be found


def look(path: Path, journal: Journal) -> Change | None:
    """What happened to the results file since the journal opened it, if anything."""
    fd, identity = journal.fileno(), journal.identity
    if fd is None or identity is None:
        return None
    held = os.fstat(fd)
    try:
        at_path = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        at_path = None
    if at_path is not None and (at_path.st_dev, at_path.st_ino) == identity:
        if held.st_size < journal.size:
            return Change("cut short", f"{held.st_size:,} bytes, where it held {journal.size:,}")
        return None
    if held.st_nlink == 0:
        return Change("replaced" if at_path is not None else "removed")
    moved_to = _find(path.parent, identity)
    if at_path is not None:
        return Change("replaced", moved_to=moved_to)
    return Change("renamed" if moved_to else "moved", moved_to=moved_to)


def _find(folder: Path, identity: tuple[int, int]) -> Path | None:
    """The name the file has now, if it is still in the same folder (a rename, log rotation)."""
    try:
        for entry in os.scandir(folder):
            st = entry.stat(follow_symlinks=False)
            if (st.st_dev, st.st_ino) == identity:
                return Path(entry.path)
    except OSError:
        return None
    return None


def save_removed(journal: Journal, path: Path) -> Path | None:
    """A copy of the file the journal holds open, when no name reaches it any more (it was removed):
    otherwise its lines would be lost when the run closes it."""
    fd = journal.fileno()
    if fd is None or os.fstat(fd).st_nlink != 0:
        return None
    saved = path.with_name(f"{path.name}.saved-{journal.run_id}")
    with os.fdopen(os.dup(fd), "rb") as held, open(saved, "xb") as copy:
        held.seek(0)
        shutil.copyfileobj(held, copy)
    return saved


def describe(change: Change, path: Path, saved: Path | None) -> str:
    """What happened and what to do, for the operator."""
    head = f"{path} was {change.what} while this run was going; no further call was placed"
    if change.what == "cut short":
        return (
            f"{head} ({change.detail}): lines about calls already made are lost, so the next run "
            "refuses the file rather than call those people again. Put the whole file back from a "
            "copy if there is one; otherwise move its .checkpoint, .list-cache and .mark aside to go "
            "on from what is left, accepting that those people may be called again"
        )
    steps = []
    if change.what == "replaced":
        steps.append(f"another file is at {path} now: move it aside")
    if change.moved_to is not None:
        steps.append(f"the campaign's results file is now {change.moved_to}: move it back to {path}")
    elif saved is not None:
        steps.append(f"its lines are saved in {saved}: move that to {path}")
    elif change.what == "removed":
        steps.append(f"its lines could not be saved: put a copy back at {path} if there is one")
    else:
        steps.append(f"find where it was moved and put it back at {path}")
    return f"{head}. " + "; ".join(steps) + ", then run again"


def remember(path: Path, journal: Journal) -> None:
    """Write down what the file held open holds on disk now (``results_marks``): a later run refuses
    a file that went back from there (a backup restored over it after a crash, say). Only the bytes
    known to be on disk are marked: a power loss may take the rest, and that is not going back."""
    fd = journal.fileno()
    if fd is None:
        return
    with contextlib.suppress(OSError):
        write_mark(path, mark_of_open(fd, journal.durable_size, run=journal.run_id, ts=_now()))


def remember_cut_short(path: Path, journal: Journal) -> None:
    """Write down that the file was cut short under this run: how long it was, and that the lines it
    lost cannot be vouched for, so the next run refuses it (``results_marks.cut_short_mark``)."""
    fd = journal.fileno()
    if fd is None:
        return
    with contextlib.suppress(OSError):
        found = os.fstat(fd).st_size
        write_mark(path, cut_short_mark(journal.size, found, run=journal.run_id, ts=_now()))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


async def watch(path: Path, journal: Journal, on_change: Callable[[Change], None]) -> None:
    """Look now and every ``EVERY`` seconds until a change is seen (then report it once) or the task
    is cancelled; every ``REMEMBER_EVERY`` looks, write down how far the file has come."""
    looks = 0
    while True:
        try:
            change = look(path, journal)
        except OSError:
            change = None  # the folder cannot be read just now (its mode changed): look again
        if change is not None:
            on_change(change)
            return
        looks += 1
        if looks % REMEMBER_EVERY == 0:
            remember(path, journal)
        await asyncio.sleep(EVERY)
