"""A checkpoint of the replayed results file, so that resuming a long campaign reads only what is new.

The results file stays the only truth. The checkpoint (``RESULTS.checkpoint``, beside it) is derived
state: the Replay of the file's first ``offset`` bytes, with the mark that proves on the next run
that those bytes are still the same ones (``dialer.journal.results_marks``: a hash of the first line
and of the 64 KiB before ``offset``). A run loads it, checks it, and folds only the bytes after
``offset`` with ``read_results(path, since=offset, into=...)``. A checkpoint that cannot be used (a
missing, unreadable, corrupt one, or a different dialer's) means a full replay, with an info line
saying why: a checkpoint can make a run start sooner, never change what it does. Deleting it is
safe; but while it is there, a results file shorter than it says, or other bytes, is refused
(``refuse_if_went_backwards``), never replayed as if nothing had been dialed.

Its file format is the derived files' (``dialer.journal.derived_file``), the records' columns in the
column codec (``dialer.journal.column_codec``): nothing in it can run code when read.
"""

from __future__ import annotations

import os
from contextlib import suppress
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from dialer import __version__
from dialer.core import outcomes as _outcomes
from dialer.journal import lines as _lines_module
from dialer.journal import records as _records_module
from dialer.journal import replay as _replay_module
from dialer.journal import store as _store_module
from dialer.journal import tally as _tally_module
from dialer.journal.column_codec import encode_column
from dialer.journal.derived_file import (
    Derived,
    Stale,
    field_names,
    json_section,
    read_derived,
    same_key,
    sources_digest,
    write_derived,
)
from dialer.journal.records import PersonRecord
from dialer.journal.replay import Replay
from dialer.journal.results_file import read_results
from dialer.journal.results_marks import checkpoint_path, hashes
from dialer.journal.store import RecordStore

CHECKPOINT_FORMAT = 3  # bump on any change to what a checkpoint holds or means
# -- the checkpoint ------------------------------------------------------------------------------------


@cache
def checkpoint_format() -> str:
    """Changes with anything that could change what a replayed state means: this format, the
    dialer's version, PersonRecord's and Replay's fields (names, order), and the modules that make and
    hold a replay (lines, replay, records, store, tally, outcomes)."""
    if not all(f.init for f in fields(PersonRecord)):
        raise Stale("PersonRecord has a field set outside its constructor")
    names = field_names(PersonRecord, Replay)
    modules = [_lines_module, _replay_module, _records_module, _store_module, _tally_module, _outcomes]
    digest = sources_digest(modules, [str(CHECKPOINT_FORMAT), __version__, *names])
    return f"{CHECKPOINT_FORMAT}-{digest}"


# Made when this module is imported, from the code this process runs, not from what is on disk later
# (a package upgraded during a run must not label this run's checkpoint as the new code's).
with suppress(Exception):
    checkpoint_format()


@dataclass
class FileReplay:
    """A replay and what it is a replay of."""

    replay: Replay
    offset: int = 0  # bytes of the results file folded into ``replay``
    # ``replay`` is exactly a full replay of the first ``offset`` bytes (torn_tail aside: those bytes
    # end with a whole line), so it may be saved as a checkpoint
    exact: bool = True
    file: tuple[int, int] | None = None  # (st_dev, st_ino) of the results file read
    restored: int = 0  # bytes that came from a checkpoint rather than from reading the file


def replay_with_checkpoint(results: Path, log: Any = None) -> FileReplay:
    """The results file replayed: a checkpoint and the bytes after it when the checkpoint proves
    itself, else the whole file. Raises ResultsFileError as read_results does."""
    history = None
    try:
        history = restore(results)
    except Stale as exc:
        _info(log, "checkpoint not used: replaying the whole results file", reason=str(exc))
    if history is not None:
        try:
            history = fold(results, history, since=history.offset, same_file=True)
        except Stale as exc:
            _info(log, "checkpoint not used: replaying the whole results file", reason=str(exc))
        else:
            _info(
                log,
                "results file replayed from its checkpoint",
                checkpoint_bytes=history.restored,
                read_bytes=history.offset - history.restored,
            )
            return history
    return fold(results, FileReplay(Replay()), since=0)


def restore(results: Path) -> FileReplay | None:
    """The checkpoint's replay, verified against the results file; None when there is neither.

    A results file that went backwards is refused before (``refuse_if_went_backwards``); here a
    checkpoint that cannot be used (another dialer's, damaged, or not of these bytes) is only Stale."""
    path = checkpoint_path(results)
    identity = _stat(results)
    if identity is None or not path.exists():
        if identity is not None and identity[2]:
            raise Stale("no checkpoint")
        return None
    mark: dict = {}

    def check(header: dict) -> None:
        same_key(header, {"format": checkpoint_format()})
        mark.update(header.get("results") or {})
        _verify(results, mark)

    derived = read_derived(path, "checkpoint", check)
    try:
        replay = _decode_replay(derived)
    except (ValueError, TypeError, KeyError) as exc:
        raise Stale(f"{path}: {exc}") from None
    # The same bytes, if perhaps another file (a whole copy put back): the checkpoint holds for it.
    return FileReplay(replay, mark["offset"], True, identity[:2], restored=mark["offset"])


def _verify(results: Path, mark: dict) -> None:
    """Stale unless the results file holds the bytes the checkpoint was made of, up to its offset: at
    least as long, the same first line and the same 64 KiB before the offset."""
    try:
        offset = int(mark["offset"])
        with open(results, "rb") as f:
            st = os.fstat(f.fileno())
            if st.st_size < offset:
                raise Stale(f"the results file is shorter ({st.st_size} bytes) than the checkpoint says")
            if hashes(f, offset) != {k: mark.get(k) for k in ("first_line", "tail")}:
                raise Stale("the results file's bytes before the checkpoint's offset are not the same")
    except (KeyError, TypeError, ValueError):
        raise Stale("the checkpoint does not say which results file it is for") from None
    except OSError as exc:
        raise Stale(f"cannot read the results file: {exc.strerror}") from None


def _stat(path: Path) -> tuple[int, int, int] | None:
    """(st_dev, st_ino, st_size), or None when there is no such file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino, st.st_size


def fold(results: Path, history: FileReplay, *, since: int, same_file: bool = False) -> FileReplay:
    """Fold the results file from byte ``since`` into ``history.replay`` with read_results, and say
    how far that got and whether the replay is still exact (a checkpoint may be made of it).

    ``same_file``: the bytes before ``since`` were read from another file than this one -> Stale
    (the replay is then half-folded and must be thrown away).
    """
    before = _stat(results)
    if same_file and (before is None or before[:2] != history.file):
        raise Stale("the results file was replaced")
    replay = read_results(results, since=since, into=history.replay)
    after = _stat(results)
    if same_file and after != before:
        raise Stale("the results file changed while it was read")
    exact = history.exact and since == history.offset and before == after
    offset = since
    if after is None:  # no file: the replay of nothing, as long as nothing was read before
        exact = exact and since == 0
    elif exact and (history.file is None or after[:2] == history.file or not history.offset):
        offset, exact = _whole_lines(results, since, after[2])
    else:
        exact = False
    return FileReplay(replay, offset, exact, after[:2] if after else None, history.restored)


def _whole_lines(results: Path, since: int, end: int) -> tuple[int, bool]:
    """Where the folded bytes [since, end) stop being whole lines, and whether the replay holds
    exactly those: a torn last line (not JSON) was not folded, so the replay is that of the bytes
    before it; a last line without its newline that did parse was folded, and no offset says so."""
    if end <= since:
        return since, True
    with open(results, "rb") as f:
        f.seek(end - 1)
        if f.read(1) == b"\n":
            return end, True
        pos = end
        while pos > since:
            start = max(since, pos - 65536)
            f.seek(start)
            cut = f.read(pos - start).rfind(b"\n")
            if cut >= 0:
                pos = start + cut + 1
                break
            pos = start
        f.seek(pos)
        last = f.read(end - pos)
    try:
        folded = type(orjson.loads(last)) is dict
    except orjson.JSONDecodeError:
        folded = False
    return (pos, True) if not folded else (end, False)


def save_checkpoint(results: Path, history: FileReplay, **about: Any) -> bool:
    """Save ``history`` as the results file's checkpoint; False when it cannot be one (not exact,
    nothing read, not ending at a line's end). Raises OSError, TypeError or ValueError when it
    cannot be written."""
    if not history.exact or history.offset == 0 or history.file is None:
        return False
    with open(results, "rb") as f:
        st = os.fstat(f.fileno())
        if (st.st_dev, st.st_ino) != history.file or st.st_size < history.offset:
            return False
        marks = hashes(f, history.offset)
    if marks is None:
        return False
    # ``about``: the run and time it was made, for a message should the file ever go backwards.
    mark = {"dev": st.st_dev, "ino": st.st_ino, "offset": history.offset, **marks, **about}
    header = {"kind": "checkpoint", "key": {"format": checkpoint_format()}, "results": mark}
    write_derived(checkpoint_path(results), header, _encode_replay(history.replay))
    return True


def _encode_replay(replay: Replay) -> list[tuple[dict, bytes]]:
    names = [f.name for f in fields(PersonRecord)]
    # One column's values at a time: a million of them each, built, encoded and let go.
    columns = replay.records.columns(names)
    sections = [encode_column(f"record.{name}", values) for name, values in zip(names, columns, strict=True)]
    for f in fields(Replay):
        if f.name != "records":
            # The checkpoint ends with a whole line: nothing of it is torn.
            value = False if f.name == "torn_tail" else getattr(replay, f.name)
            sections.append(json_section(f"replay.{f.name}", value))
    return sections


def _decode_replay(derived: Derived) -> Replay:
    names = [f.name for f in fields(PersonRecord)]
    records = RecordStore.from_columns(names, [derived.stored_column(f"record.{name}") for name in names])
    others = {f.name: derived.value(f"replay.{f.name}") for f in fields(Replay) if f.name != "records"}
    return Replay(records=records, **others)


def _info(log: Any, event: str, **fields: Any) -> None:
    if log is not None:
        log.info(event, **fields)
