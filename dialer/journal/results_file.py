"""The results file is the journal: one JSON line per event, written through structlog.

Lines are appended with O_APPEND, so a crash leaves at most one torn line at the end. Durability is
explicit: ``commit()`` returns once every line recorded before it is on disk. Concurrent commits
share one fsync (group commit), so durable intent does not cap throughput.

structlog carries the lines from the runner to the file: a bound logger (the run id bound once),
one pure processor that renders lines (``render_lines``: ``ts`` and ``event`` first, secrets dropped,
orjson), and a BytesLogger over the file. Every request writes two lines, so inside the event loop
the lines recorded during one pass of the loop are handed to structlog together, as one event
rendered into as many lines, at the end of that pass (or at ``commit()``, whichever comes first),
because structlog's own work per event is as much as rendering a line. Nothing is held longer than
the loop pass that recorded it, and only ``commit()`` ever promised durability.

Each line's ``ts`` is when its batch was handed to the OS: the end of the loop pass that recorded it
(at most a few milliseconds after ``write()``), or the ``commit()`` that wrote it. One stamp serves
the whole batch: formatting a timestamp per line would cost as much as rendering a short line.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import structlog

from dialer.core.secrets import Secrets
from dialer.journal.lines import Line
from dialer.journal.replay import Replay, ResultsFileError, replay_lines


class JournalError(Exception):
    """A results line could not be written or made durable: no further call may be placed."""


_FORBIDDEN = ("auth_password", "password", "auth_username")
FAST_FSYNC = 0.001  # seconds: an fsync quicker than this is "fast"
FAST_FSYNCS_INLINE = 8  # after this many fast fsyncs in a row, fsync on the event loop's thread


_stamp_second: tuple[int, str] = (0, "")  # the last whole second stamped, and its text


def _stamp() -> str:
    """Now as ``2026-11-26T20:14:51.531853Z`` (UTC, microseconds); the date part made once a second."""
    global _stamp_second
    second, nanos = divmod(time.time_ns(), 1_000_000_000)
    cached = _stamp_second
    if cached[0] != second:
        cached = _stamp_second = (second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S."))
    return f"{cached[1]}{nanos // 1000:06d}Z"


def _unserialisable(value: Any) -> Any:
    """What structlog's JSONRenderer does with a value JSON cannot hold."""
    try:
        return value.__structlog__()
    except AttributeError:
        return repr(value)


LINES = "lines"  # the structlog event that carries a batch of results lines
STAMP = "stamp"  # and the time it was handed over, every line's ts


def render_lines(_logger: Any, _method: str, event_dict: dict) -> bytes:
    """structlog processor: each recorded line as JSON, ``ts`` and ``event`` first so a person reading
    the file sees when and what before the details, then the bound context (the run id); credentials
    dropped whatever a caller passed. Pure: the batch was stamped when it was handed over.

    The head (ts, event, context) is the same for every line of one event in a batch: it is rendered
    once and each line's own fields are rendered after it (merging them into one dict per line first
    cost more than rendering the line).
    """
    batch = event_dict.pop(LINES)
    ts = event_dict.pop(STAMP)
    event_dict.pop("event", None)
    context = event_dict
    for key in _FORBIDDEN:
        context.pop(key, None)
    heads: dict[str, bytes] = {}
    rendered = []
    for event, fields in batch:
        head = heads.get(event)
        if head is None:
            # '{"ts":...,"event":...,"run":...' without its closing brace
            head = heads[event] = orjson.dumps({"ts": ts, "event": event, **context})[:-1]
        for key in _FORBIDDEN:
            fields.pop(key, None)
        if fields:
            rendered.append(head + b"," + orjson.dumps(fields, default=_unserialisable)[1:])
        else:
            rendered.append(head + b"}")
    return b"\n".join(rendered)


class ScrubSecrets:
    """structlog processor after ``render_lines``: the secrets taken out of the rendered lines."""

    def __init__(self, secrets: Secrets) -> None:
        self._secrets = secrets

    def __call__(self, _logger: Any, _method: str, rendered: bytes) -> bytes:
        return self._secrets.scrub_json_lines(rendered)


class Journal:
    def __init__(
        self, path: Path, run_id: str, *, fsync_on_loop: bool = True, secrets: Secrets | None = None
    ) -> None:
        """``fsync_on_loop``: let fast fsyncs run on the event loop's thread (see _fsync_timed). A
        paced run says no: each fsync there stalls every request in flight for as long as it takes,
        and a request due meanwhile reaches the switch late, bunched with the next one.
        ``secrets``: words scrubbed from every line (the password, whatever the switch echoed)."""
        self.path = path
        self.run_id = run_id
        self._fsync_on_loop = fsync_on_loop
        self._secrets = secrets
        self._file = None
        self._log: Any = None
        self._written = 0  # lines recorded
        self._handed = 0  # lines handed to the OS
        self._durable = 0  # lines known to be on disk
        self._sync_task: asyncio.Task | None = None
        self.broken: JournalError | None = None
        self.opened_size = 0  # bytes in the file when it was opened (after a torn tail was cut)
        self._fast_fsyncs = 0  # consecutive fsyncs that took less than FAST_FSYNC
        self._pending: list[tuple[str, dict]] = []  # recorded, not yet handed to structlog
        self._flush_handle: asyncio.Handle | None = None
        self._writer: _WholeWrites | None = None
        self.identity: tuple[int, int] | None = None  # (device, inode) of the file held open
        self.durable_size = 0  # bytes of the file known to be on disk (what a mark may vouch for)

    def open(self) -> None:
        """Open for appending, first cutting off a line torn by an earlier crash."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # Read too: what it holds is marked from it (results_marks), whatever name it has by then.
            self._file = open(self.path, "a+b", buffering=0)  # noqa: SIM115 - lives as long as the run
            _drop_torn_tail(self._file)
            # What an earlier run wrote and a crash left unsynced is on disk before anything is
            # marked of it: a mark must never vouch for bytes a power loss could still take.
            os.fsync(self._file.fileno())
            st = os.fstat(self._file.fileno())
        except OSError as exc:
            raise JournalError(f"{self.path}: cannot open the results file: {exc.strerror}") from None
        self.opened_size, self.identity = st.st_size, (st.st_dev, st.st_ino)
        self.durable_size = st.st_size
        self._writer = _WholeWrites(self._file)
        processors: list[Any] = [render_lines]
        if self._secrets:
            processors.append(ScrubSecrets(self._secrets))
        self._log = structlog.wrap_logger(
            structlog.BytesLogger(self._writer),
            processors=processors,
            wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
            cache_logger_on_first_use=True,
        ).bind(run=self.run_id)

    @property
    def size(self) -> int:
        """The bytes the file holds if nobody but this journal touched it."""
        return self.opened_size + (self._writer.written if self._writer is not None else 0)

    def fileno(self) -> int | None:
        return self._file.fileno() if self._file is not None else None

    def write(self, line: Line) -> None:
        """Append one line (built by ``dialer.journal.lines``, handed over and not touched again):
        written at once outside an event loop, at the end of this loop pass inside one. Raises
        JournalError (and stays broken) once a line could not be written."""
        if self.broken is not None:
            raise self.broken
        self._pending.append(line)
        self._written += 1
        if self._flush_handle is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._flush_handle = loop.call_soon(self._flush_at_end_of_pass)

    def flush(self) -> None:
        """Hand every recorded line to the OS now. Raises JournalError if one cannot be written."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if self.broken is not None:
            raise self.broken
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        try:
            self._log.info(LINES, lines=batch, stamp=_stamp())
        except OSError as exc:
            self.broken = JournalError(f"{self.path}: cannot write the results file: {exc.strerror}")
            raise self.broken from None
        self._handed += len(batch)

    def _flush_at_end_of_pass(self) -> None:
        self._flush_handle = None
        # A failure stays in self.broken: the next record() or commit() raises it, and commit() is
        # what stands between an intent and its request.
        with contextlib.suppress(JournalError):
            self.flush()

    async def commit(self) -> None:
        """Return once every line recorded so far is on disk (one fsync shared by all waiters)."""
        target = self._written
        self.flush()
        while self._durable < target:
            if self.broken is not None:
                raise self.broken
            if self._sync_task is None or self._sync_task.done():
                self._sync_task = asyncio.ensure_future(self._sync())
            await asyncio.shield(self._sync_task)

    async def _sync(self) -> None:
        upto, upto_size = self._handed, self.size
        fd = self._file.fileno()
        try:
            if self._fsync_on_loop and self._fast_fsyncs >= FAST_FSYNCS_INLINE:
                self._fsync_timed(fd)
            else:
                await asyncio.get_running_loop().run_in_executor(None, self._fsync_timed, fd)
        except OSError as exc:
            self.broken = JournalError(f"{self.path}: cannot save the results file to disk: {exc.strerror}")
            raise self.broken from None
        self._durable = max(self._durable, upto)
        self.durable_size = max(self.durable_size, upto_size)

    def sync(self) -> None:
        """Every line recorded so far handed to the OS and on disk, now (blocking: for the end of a
        run, outside the dialing). Raises JournalError when that fails."""
        self.flush()
        if self._file is None:
            return
        upto, upto_size = self._handed, self.size
        try:
            os.fsync(self._file.fileno())
        except OSError as exc:
            self.broken = JournalError(f"{self.path}: cannot save the results file to disk: {exc.strerror}")
            raise self.broken from None
        self._durable = max(self._durable, upto)
        self.durable_size = max(self.durable_size, upto_size)

    def _fsync_timed(self, fd: int) -> None:
        """fsync, counting how many in a row were fast.

        A disk that syncs a small append in well under a millisecond is synced on the event loop's
        own thread: handing each fsync to a worker thread and back costs more CPU than the fsync
        itself (docs/benchmarks.md). One slow fsync sends
        the next ones back to the worker thread, so a slow disk never holds up the loop twice.
        """
        started = time.perf_counter()
        os.fsync(fd)
        if time.perf_counter() - started < FAST_FSYNC:
            self._fast_fsyncs += 1
        else:
            self._fast_fsyncs = 0

    def close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(JournalError):
                self.flush()
            try:
                if self.broken is None:
                    os.fsync(self._file.fileno())
            except OSError:
                pass
            self._file.close()
            self._file = None


class _WholeWrites:
    """The file as the journal writes it: a line the OS takes only part of is an error, never a success.

    A nearly full disk (or a file size limit) makes ``write`` store part of a line and report it
    short; unbuffered files pass that on silently. An intent reported written but torn would be cut
    off on the next open while its request had been sent: that row would be dialed twice.
    """

    def __init__(self, f: Any) -> None:
        self._f = f
        self.written = 0  # bytes the OS took

    def write(self, data: bytes) -> None:
        written = self._f.write(data)
        while written < len(data):  # the rest, or the OSError that says why it does not fit
            more = self._f.write(data[written:])
            if not more:
                self.written += written
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            written += more
        self.written += written

    def flush(self) -> None:
        """Nothing to flush: the file is unbuffered, and durability is commit()'s job."""


def _drop_torn_tail(f: Any) -> None:
    size = os.fstat(f.fileno()).st_size
    if size == 0:
        return
    with open(f.name, "rb") as reader:
        reader.seek(max(0, size - 65536))
        tail = reader.read()
    if tail.endswith(b"\n"):
        return
    cut = tail.rfind(b"\n")
    # The torn line was never completely written, so its request was never sent (intent is made
    # durable before sending): removing it loses nothing.
    keep = size - len(tail) + cut + 1 if cut >= 0 else 0
    os.ftruncate(f.fileno(), keep)


def read_results(path: Path, *, since: int = 0, into: Replay | None = None) -> Replay:
    """Replay a results file; a missing file is an empty history, an unreadable one an error.

    ``since`` and ``into``: fold only the lines from byte ``since`` on into ``into``, a replay of
    the bytes before it (say ``Journal.opened_size``: what this run wrote, on top of what it read).
    """
    try:
        with open(path, "rb") as f:
            if since:
                f.seek(since)
            name = f"{path} (from byte {since})" if since else str(path)
            return replay_lines(f, name=name, into=into)
    except FileNotFoundError:
        return Replay() if into is None else into
    except OSError as exc:
        raise ResultsFileError(f"{path}: cannot read the results file: {exc.strerror}") from None


def iter_results(path: Path) -> Iterator[dict]:
    """Every parsed line of a results file, in order; a torn last line is skipped."""
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ResultsFileError(f"{path}: cannot read the results file: {exc.strerror}") from None
    with f:
        for number, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                line = orjson.loads(raw)
            except orjson.JSONDecodeError:
                if raw.endswith(b"\n"):
                    raise ResultsFileError(f"{path}: line {number} is not valid JSON") from None
                return
            if isinstance(line, dict):
                yield line
