"""What the derived files remember of the results file, so that one that went backwards is refused.

The checkpoint, written when a run ends, the list cache, written when one starts, and the mark
(``RESULTS.mark``), rewritten every few seconds while a run goes and when it ends, each record a
mark of the results file as it was then: its length, and hashes of its first line and of the 64 KiB
before that length. A results file shorter than its mark, or one whose first line or those bytes
differ, is not the file the campaign wrote: cut short (a bad copy, a backup restored over it),
replaced or rewritten. Replaying it would forget calls that were made and dial those people again,
so it is refused instead, with what was expected, what was found, and how to restore it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from typing import Any

import orjson

from dialer.journal.derived_file import read_header
from dialer.journal.replay import ResultsFileError

TAIL_BYTES = 65536  # the bytes before a mark's length whose hash proves they are the same


class WentBackwards(ResultsFileError):
    """The results file is shorter than, or not the same as, the one the derived files were made of."""


def checkpoint_path(results: Path) -> Path:
    return results.with_name(results.name + ".checkpoint")


def list_cache_path(results: Path) -> Path:
    return results.with_name(results.name + ".list-cache")


def mark_path(results: Path) -> Path:
    return results.with_name(results.name + ".mark")


def hashes(f: Any, offset: int) -> dict[str, str] | None:
    """Hashes of the first line and of the TAIL_BYTES before ``offset`` (both within ``offset``); None
    when ``offset`` is not the end of a line of the file ``f``."""
    f.seek(0)
    first = f.readline(TAIL_BYTES)[:offset]
    start = max(0, offset - TAIL_BYTES)
    f.seek(start)
    tail = f.read(offset - start)
    if len(tail) != offset - start or not tail.endswith(b"\n"):
        return None
    return {
        "first_line": hashlib.blake2b(first, digest_size=32).hexdigest(),
        "tail": hashlib.blake2b(tail, digest_size=32).hexdigest(),
    }


def mark_of_open(fd: int, size: int, **about: Any) -> dict[str, Any]:
    """The mark of the first ``size`` bytes of a file held open (they end with a whole line)."""
    with os.fdopen(os.dup(fd), "rb") as f:
        found = hashes(f, size) if size else None
    return {"offset": size if found else 0, **(found or {}), **about}


def write_mark(results: Path, mark: dict[str, Any]) -> None:
    """Replace the mark file (written beside it, then renamed over: never half a mark)."""
    path = mark_path(results)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(orjson.dumps({"kind": "mark", "results": mark}) + b"\n")
    os.replace(tmp, path)


def cut_short_mark(held: int, found: int, **about: Any) -> dict[str, Any]:
    """The mark of a file cut short while a run held it: it held ``held`` bytes, ``found`` were left.
    Its lost bytes cannot be hashed any more, so no file matches this mark: the next run refuses
    the file until an operator decides (the message says how)."""
    return {"offset": held, "cut_short": {"held": held, "found": found}, **about}


def mark_now(results: Path, **about: Any) -> dict[str, Any]:
    """The mark of the results file's whole lines as they are now (offset 0 for no file). They are
    made durable first: a crash can leave bytes the OS has and the disk not yet, and a mark must
    not vouch for bytes a power loss could still take."""
    try:
        with open(results, "rb") as f:
            with contextlib.suppress(OSError):
                os.fsync(f.fileno())
            size = os.fstat(f.fileno()).st_size
            offset = _last_line_end(f, size)
            found = hashes(f, offset) if offset else None
    except FileNotFoundError:
        return {"offset": 0, **about}
    return {"offset": offset, **(found or {}), **about}


def _last_line_end(f: Any, size: int) -> int:
    start = max(0, size - TAIL_BYTES)
    f.seek(start)
    cut = f.read(size - start).rfind(b"\n")
    return start + cut + 1 if cut >= 0 else 0


def refuse_if_went_backwards(results: Path) -> None:
    """WentBackwards when the checkpoint or the list cache beside the results file says it used to be
    longer, or to begin or end otherwise, than it does now."""
    for made_by in (checkpoint_path(results), list_cache_path(results), mark_path(results)):
        header = read_header(made_by)
        mark = header.get("results") if header else None
        if isinstance(mark, dict):
            _check(results, mark, made_by)


def _check(results: Path, mark: dict, made_by: Path) -> None:
    offset = mark.get("offset")
    if not isinstance(offset, int) or offset <= 0:
        return
    when = _when(mark)
    lost = mark.get("cut_short")
    if isinstance(lost, dict):
        raise WentBackwards(
            _message(
                results,
                made_by,
                f"it was cut short while a run was writing it ({when}): it held {offset:,} bytes, "
                f"{lost.get('found', 0):,} were left",
            )
        )
    try:
        with open(results, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            found = hashes(f, offset) if size >= offset else None
    except FileNotFoundError:
        raise WentBackwards(
            _message(results, made_by, f"it is missing, but {when} it held {offset:,} bytes")
        ) from None
    except OSError as exc:
        raise ResultsFileError(f"{results}: cannot read the results file: {exc.strerror}") from None
    if size < offset:
        raise WentBackwards(
            _message(results, made_by, f"it holds {size:,} bytes, but {when} it held {offset:,}")
        )
    if found is None or found["first_line"] != mark.get("first_line"):
        raise WentBackwards(
            _message(results, made_by, f"it does not begin as it did {when}: it is another file")
        )
    if found["tail"] != mark.get("tail"):
        raise WentBackwards(
            _message(results, made_by, f"its first {offset:,} bytes are not the ones they were {when}")
        )


def _when(mark: dict) -> str:
    run, ts = mark.get("run"), mark.get("ts")
    if run and ts:
        return f"at {ts} (run {run})"
    return "when the last run ended"


def _message(results: Path, made_by: Path, what: str) -> str:
    name = results.name
    return (
        f"{results}: {what} ({made_by.name} says so). Replaying it would forget calls that were made "
        "and call those people again, so nothing was dialed. If the whole file is somewhere (a backup, "
        f"the name it was moved to), put it back at {results} and run again. To go on from the file "
        "as it is instead, accepting that people whose lines are missing may be called again, move "
        f"{name}.checkpoint, {name}.list-cache and {name}.mark aside and run again"
    )
