"""The file format of the derived files beside a results file (checkpoint, list cache).

One JSON header line (what the file is, the key it was made for, its sections and a blake2b digest
of the body), then the body: the sections' bytes, each a column (``dialer.journal.column_codec``) or one
JSON value. Written to a temporary file, fsynced, then renamed over the old one, so a reader sees a
whole file or none; read back only when whole, intact and made for the same key (``Stale`` otherwise).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, fields
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson

from dialer.journal.column_codec import StoredColumn, decode_column, open_column

_HEADER_MAX = 4 << 20  # a header line longer than this is not one of ours


class Stale(Exception):
    """A derived file (checkpoint, list cache) that must not be used; the message says why."""


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


def read_header(path: Path) -> dict | None:
    """A derived file's header alone, whatever its kind or format; None when there is none to read."""
    try:
        with open(path, "rb") as f:
            line = f.readline(_HEADER_MAX)
        header = orjson.loads(line) if line.endswith(b"\n") else None
    except (OSError, orjson.JSONDecodeError):
        return None
    return header if type(header) is dict else None


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
