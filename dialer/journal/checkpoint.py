"""A checkpoint of the replayed results file, so that resuming a long campaign reads only what is new.

The results file stays the only truth. The checkpoint (``RESULTS.checkpoint``, beside it) is derived
state: the Replay of the file's first ``offset`` bytes, with what proves on the next run that those
bytes are still the same ones (the file's device and inode, a hash of its first line and of the 64 KiB
before ``offset``). A run loads it, checks it, and folds only the bytes after ``offset`` with
``read_results(path, since=offset, into=...)``. Any doubt (a missing, unreadable, corrupt or stale
checkpoint; a results file truncated, rewritten or replaced; a different dialer or replay.py) means a
full replay, with an info line saying why: a checkpoint can make a run start sooner, never change
what it does. Deleting it is always safe.

The file format, shared with the list cache (``dialer.calllist.cache``): one JSON header line (what
the file is, the key it was made for, the sections and a blake2b digest of the body), then the body:
sections of column values, each in the plainest encoding that holds it exactly (little-endian
integers, a small dictionary of distinct values with codes, newline-joined text, or JSON). Nothing in
it can run code when read (no pickle). Written to a temporary file, fsynced, then renamed over.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, fields
from functools import cache
from operator import attrgetter
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import orjson

from dialer import __version__
from dialer.core import outcomes as _outcomes
from dialer.journal import records as _rowrecord_module
from dialer.journal import replay as _replay_module
from dialer.journal import store as _rowstore_module
from dialer.journal.columns import StoredColumn, open_column
from dialer.journal.records import RowRecord
from dialer.journal.replay import Replay
from dialer.journal.results_file import read_results
from dialer.journal.store import RowStore, StoredRows
from dialer.run.collector_policy import collector_paused

CHECKPOINT_FORMAT = 2  # bump on any change to what a checkpoint holds or means
TAIL_BYTES = 65536  # the bytes before the offset whose hash proves the file is the same one
_HEADER_MAX = 4 << 20  # a header line longer than this is not one of ours


class Stale(Exception):
    """A derived file (checkpoint, list cache) that must not be used; the message says why."""


# -- the file format shared by both caches -----------------------------------------------------------


_DICT_TYPES = frozenset({str, type(None), bool, int})
_MAX_DISTINCT = 4096
_SAMPLE = 2048


def encode_column(name: str, values: Sequence[Any]) -> tuple[dict, bytes]:
    """A section holding ``values`` exactly (types included); raises TypeError or ValueError if no
    encoding can (a value JSON cannot hold)."""
    values = values if isinstance(values, list) else list(values)
    spec: dict[str, Any] = {"name": name, "n": len(values)}
    types = set(map(type, values))
    # bool and int compare equal (True == 1): a dictionary may only hold one of them
    if types <= _DICT_TYPES and not {bool, int} <= types and _few_distinct(values):
        distinct = list(dict.fromkeys(values))
        if len(distinct) <= _MAX_DISTINCT:
            codes = {v: i for i, v in enumerate(distinct)}
            width = "<u1" if len(distinct) <= 256 else "<u2"
            array = np.fromiter(map(codes.__getitem__, values), dtype=np.int64, count=len(values))
            return spec | {"codec": "dict", "values": distinct, "width": width}, array.astype(width).tobytes()
    if types == {int}:
        with suppress(OverflowError):
            return spec | {"codec": "int64"}, np.array(values, dtype="<i8").tobytes()
    if types <= {str, type(None)}:
        encoded = _text(values, type(None) in types)
        if encoded is not None:
            nulls, text = encoded
            return spec | {"codec": "text", "nulls": len(nulls)}, nulls.tobytes() + text
    if float in types and not all(np.isfinite([v for v in values if type(v) is float])):
        raise ValueError(f"{name}: a value JSON cannot hold (NaN or infinity)")
    return spec | {"codec": "json"}, orjson.dumps(values)


def _few_distinct(values: list) -> bool:
    sample = values[:: max(1, len(values) // _SAMPLE)]
    distinct = len(dict.fromkeys(sample))
    return distinct <= _MAX_DISTINCT and distinct * 4 <= len(sample) + 4


def _text(values: list, has_none: bool) -> tuple[np.ndarray, bytes] | None:
    """Newline-joined text (None as "" and its position), or None when a value holds a newline."""
    nulls = np.flatnonzero(np.fromiter((v is None for v in values), bool, len(values))) if has_none else []
    if has_none:
        values = ["" if v is None else v for v in values]
    text = "\n".join(values)
    if text.count("\n") != max(len(values) - 1, 0):
        return None
    return np.asarray(nulls, dtype="<i8"), text.encode("utf-8", "surrogatepass")


def decode_column(spec: dict, payload: memoryview) -> list[Any]:
    """The values ``encode_column`` stored; raises ValueError if the section does not hold them."""
    return open_column(spec, payload).tolist()


def json_section(name: str, value: Any) -> tuple[dict, bytes]:
    """One JSON value as a section (TypeError if JSON cannot hold it)."""
    return {"name": name, "n": 1, "codec": "value"}, orjson.dumps(value)


@dataclass
class Derived:
    """A derived file as read: its header and its sections by name."""

    header: dict
    sections: dict[str, tuple[dict, memoryview]]

    def column(self, name: str) -> list[Any]:
        spec, payload = self._section(name)
        return decode_column(spec, payload)

    def stored_column(self, name: str) -> StoredColumn:
        """The column, checked, its values read when asked for."""
        return open_column(*self._section(name))

    def value(self, name: str) -> Any:
        spec, payload = self._section(name)
        if spec["codec"] != "value":
            raise ValueError(f"{name}: not a single value")
        return orjson.loads(payload)

    def _section(self, name: str) -> tuple[dict, memoryview]:
        try:
            return self.sections[name]
        except KeyError:
            raise ValueError(f"no section {name!r}") from None


def write_derived(path: Path, header: dict, sections: list[tuple[dict, bytes]]) -> None:
    """Write a derived file atomically: a temporary file beside it, fsynced, renamed over it."""
    digest = hashlib.blake2b(digest_size=32)
    specs = []
    for spec, payload in sections:
        specs.append(spec | {"size": len(payload)})
        digest.update(payload)
    head = header | {"sections": specs, "size": sum(s["size"] for s in specs), "digest": digest.hexdigest()}
    head_line = orjson.dumps(head) + b"\n"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(head_line)
            for _, payload in sections:
                f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            tmp.unlink()
        raise
    with suppress(OSError):  # the rename itself durable; a failure here loses only the cache
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def read_derived(path: Path, kind: str, check: Callable[[dict], None]) -> Derived:
    """Read a derived file of ``kind``: ``check(header)`` (raising Stale) runs before the body is read.

    Raises Stale for anything that is not a whole, intact file made for this use.
    """
    try:
        with open(path, "rb") as f:
            head_line = f.readline(_HEADER_MAX)
            header = _parse_header(head_line, kind)
            check(header)
            body = f.read(header["size"] + 1)
    except FileNotFoundError:
        raise Stale(f"no {kind} file") from None
    except OSError as exc:
        raise Stale(f"{path}: cannot read it: {exc.strerror}") from None
    if len(body) != header["size"]:
        raise Stale(f"{path}: {len(body)} bytes of data, not {header['size']} (cut short or appended to)")
    if hashlib.blake2b(body, digest_size=32).hexdigest() != header["digest"]:
        raise Stale(f"{path}: its data does not match its digest (corrupt)")
    view, sections, at = memoryview(body), {}, 0
    for spec in header["sections"]:
        sections[spec["name"]] = (spec, view[at : at + spec["size"]])
        at += spec["size"]
    return Derived(header, sections)


def _parse_header(line: bytes, kind: str) -> dict:
    try:
        header = orjson.loads(line) if line.endswith(b"\n") else None
    except orjson.JSONDecodeError:
        header = None
    if (
        type(header) is not dict
        or header.get("kind") != kind
        or not isinstance(header.get("sections"), list)
        or not isinstance(header.get("size"), int)
        or sum(s.get("size", 0) for s in header["sections"] if type(s) is dict) != header["size"]
    ):
        raise Stale(f"not a {kind} file, or a corrupt one")
    return header


def same_key(header: dict, key: dict) -> None:
    """Stale unless the header's key is ``key``; the message names the first part that differs."""
    stored = header.get("key")
    wanted = orjson.loads(orjson.dumps(key, default=str))  # as JSON holds it: tuples as lists, paths as text
    if stored == wanted and orjson.dumps(stored) == orjson.dumps(wanted):
        return
    if type(stored) is not dict:
        raise Stale("no key")
    for name, value in wanted.items():
        if stored.get(name) != value:
            raise Stale(f"{name} changed")
    raise Stale("the key changed")


def file_digest(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, lambda: hashlib.blake2b(digest_size=32)).hexdigest()


def sources_digest(modules: Sequence[ModuleType], extra: Sequence[str] = ()) -> str:
    """A hash of these modules' source files (and ``extra`` text): code that decides a cached result."""
    h = hashlib.blake2b(digest_size=16)
    for text in extra:
        h.update(text.encode() + b"\0")
    for module in modules:
        h.update(Path(module.__file__).read_bytes() + b"\0")
    return h.hexdigest()


def field_names(*classes: type) -> list[str]:
    return [f"{cls.__name__}.{f.name}:{f.type}:{f.init}" for cls in classes for f in fields(cls)]


# -- the checkpoint ------------------------------------------------------------------------------------


def checkpoint_path(results: Path) -> Path:
    return results.with_name(results.name + ".checkpoint")


@cache
def checkpoint_format() -> str:
    """Changes with anything that could change what a replayed state means: this format, the
    dialer's version, RowRecord's and Replay's fields (names, order), and the modules that make and
    hold a replay (replay.py, rowrecord.py, rowstore.py, outcomes.py)."""
    if not all(f.init for f in fields(RowRecord)):
        raise Stale("RowRecord has a field set outside its constructor")
    names = field_names(RowRecord, Replay)
    modules = [_replay_module, _rowrecord_module, _rowstore_module, _outcomes]
    digest = sources_digest(modules, [str(CHECKPOINT_FORMAT), __version__, *names])
    return f"{CHECKPOINT_FORMAT}-{digest}"


# Made when this module is imported, from the code this process runs, not from what is on disk later
# (a package upgraded during a run must not label this run's checkpoint as the new code's).
with suppress(Exception):
    checkpoint_format()


@dataclass
class History:
    """A replay and what it is a replay of."""

    replay: Replay
    offset: int = 0  # bytes of the results file folded into ``replay``
    # ``replay`` is exactly a full replay of the first ``offset`` bytes (torn_tail aside: those bytes
    # end with a whole line), so it may be saved as a checkpoint
    exact: bool = True
    file: tuple[int, int] | None = None  # (st_dev, st_ino) of the results file read
    restored: int = 0  # bytes that came from a checkpoint rather than from reading the file


def replay_history(results: Path, log: Any = None) -> History:
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
    return fold(results, History(Replay()), since=0)


def restore(results: Path) -> History | None:
    """The checkpoint's replay, verified against the results file; None when there is neither."""
    path = checkpoint_path(results)
    identity = _stat(results)
    if identity is None:
        if path.exists():
            raise Stale("the results file is gone")
        return None
    if not path.exists():
        if identity[2]:
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
    return History(replay, mark["offset"], True, (mark["dev"], mark["ino"]), restored=mark["offset"])


def _verify(results: Path, mark: dict) -> None:
    """Stale unless the results file is the one the checkpoint was made from, with the same bytes up to
    its offset: the same file (device, inode), at least as long, the same first line and last 64 KiB."""
    try:
        offset = int(mark["offset"])
        with open(results, "rb") as f:
            st = os.fstat(f.fileno())
            if (st.st_dev, st.st_ino) != (mark["dev"], mark["ino"]):
                raise Stale("the results file was replaced (another file at that path)")
            if st.st_size < offset:
                raise Stale(f"the results file is shorter ({st.st_size} bytes) than the checkpoint says")
            if _marks(f, offset) != {k: mark.get(k) for k in ("first_line", "tail")}:
                raise Stale("the results file's bytes before the checkpoint's offset are not the same")
    except (KeyError, TypeError, ValueError):
        raise Stale("the checkpoint does not say which results file it is for") from None
    except OSError as exc:
        raise Stale(f"cannot read the results file: {exc.strerror}") from None


def _marks(f: Any, offset: int) -> dict[str, str]:
    """Hashes of the first line and of the TAIL_BYTES before ``offset`` (both within ``offset``)."""
    f.seek(0)
    first = f.readline(TAIL_BYTES)[:offset]
    start = max(0, offset - TAIL_BYTES)
    f.seek(start)
    tail = f.read(offset - start)
    if len(tail) != offset - start or not tail.endswith(b"\n"):
        raise Stale("the checkpoint's offset is not the end of a line of the results file")
    return {
        "first_line": hashlib.blake2b(first, digest_size=32).hexdigest(),
        "tail": hashlib.blake2b(tail, digest_size=32).hexdigest(),
    }


def _stat(path: Path) -> tuple[int, int, int] | None:
    """(st_dev, st_ino, st_size), or None when there is no such file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino, st.st_size


def fold(results: Path, history: History, *, since: int, same_file: bool = False) -> History:
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
    return History(replay, offset, exact, after[:2] if after else None, history.restored)


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
            start = max(since, pos - TAIL_BYTES)
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


def save_checkpoint(results: Path, history: History) -> bool:
    """Save ``history`` as the results file's checkpoint; False when it cannot be one (not exact,
    nothing read). Raises OSError, TypeError or ValueError when it cannot be written."""
    if not history.exact or history.offset == 0 or history.file is None:
        return False
    with open(results, "rb") as f:
        st = os.fstat(f.fileno())
        if (st.st_dev, st.st_ino) != history.file or st.st_size < history.offset:
            return False
        marks = _marks(f, history.offset)
    mark = {"dev": st.st_dev, "ino": st.st_ino, "offset": history.offset, **marks}
    header = {"kind": "checkpoint", "key": {"format": checkpoint_format()}, "results": mark}
    write_derived(checkpoint_path(results), header, _encode_replay(history.replay))
    return True


def _encode_replay(replay: Replay) -> list[tuple[dict, bytes]]:
    names = [f.name for f in fields(RowRecord)]
    # One column's values at a time: a million of them each, built, encoded and let go.
    columns = _row_columns(replay.rows, names)
    sections = [encode_column(f"row.{name}", values) for name, values in zip(names, columns, strict=True)]
    for f in fields(Replay):
        if f.name != "rows":
            # The checkpoint ends with a whole line: nothing of it is torn.
            value = False if f.name == "torn_tail" else getattr(replay, f.name)
            sections.append(json_section(f"replay.{f.name}", value))
    return sections


def _row_columns(rows: RowStore, names: list[str]) -> Iterator[list[Any]]:
    """Each RowRecord field's values, row by row in the store's order: the stored columns with the
    live records' values in place of the stored ones, then the rows never stored."""
    if any(key != rec.row for key, rec in rows.live.items()):
        raise ValueError("a replayed row is filed under another row number")
    stored = rows.stored
    if stored is None:
        records = list(rows.live.values())
        for name in names:
            yield list(map(attrgetter(name), records))
        return
    position = stored.position
    in_place = [(position(row), rec) for row, rec in rows.live.items()]
    added = [rec for i, rec in in_place if i < 0]
    in_place = [(i, rec) for i, rec in in_place if i >= 0]
    for column, name in zip(stored.columns, names, strict=True):
        values = column.tolist()
        get = attrgetter(name)
        for i, rec in in_place:
            values[i] = get(rec)
        values += map(get, added)
        yield values


def _decode_replay(derived: Derived) -> Replay:
    names = [f.name for f in fields(RowRecord)]
    with collector_paused():
        columns = [derived.stored_column(f"row.{name}") for name in names]
        try:
            rows = RowStore(StoredRows(names, columns))
        except TypeError:  # row numbers a table cannot hold (never written by this dialer): records now
            rows = RowStore()
            for rec in map(RowRecord, *[c.tolist() for c in columns]):
                if rec.row in rows.live:
                    raise ValueError("a row number twice") from None
                rows[rec.row] = rec
        others = {f.name: derived.value(f"replay.{f.name}") for f in fields(Replay) if f.name != "rows"}
    return Replay(rows=rows, **others)


def _info(log: Any, event: str, **fields: Any) -> None:
    if log is not None:
        log.info(event, **fields)
