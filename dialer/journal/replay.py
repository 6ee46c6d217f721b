"""The results file replayed into per-person state: a pure fold over its lines, no I/O.

Each line is handed to its event's fold (``dialer.journal.lines``), which updates the record of the
person it is about; the run lines are kept whole. Resuming a long campaign replays millions of lines
before the first call, so the loop here does nothing per line but parse it and call its fold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial

import orjson

from dialer.journal.lines import ROW_FOLDS, Event
from dialer.journal.records import PersonRecord
from dialer.journal.store import RecordStore
from dialer.journal.tally import new_tally


class ResultsFileError(Exception):
    """The results file cannot be trusted: replaying it would risk calling people twice."""


@dataclass
class Replay:
    """What the results file says: each person's record (and the list's verdicts on rows), and the
    run lines."""

    records: RecordStore = field(default_factory=RecordStore)
    runs: list[dict] = field(default_factory=list)  # run_started lines
    ends: list[dict] = field(default_factory=list)  # run_ended lines
    errors: list[dict] = field(default_factory=list)  # run_error lines
    lines: int = 0
    torn_tail: bool = False  # the last line was cut short by a crash and ignored
    older_rows: bool = False  # lines of an older dialer, about rows without naming the person
    last_dialed: str | None = None  # the time of the latest intent (results-line times sort as text)
    tally: dict = field(default_factory=new_tally)  # what status counts (dialer.journal.tally)

    def in_flight_records(self) -> list[PersonRecord]:
        """Intents with no answer after them, in the store's order."""
        return self.records.records_of(self.records.select(in_flight=True))


def replay_lines(
    raw_lines: Iterable[bytes], *, name: str = "results file", into: Replay | None = None
) -> Replay:
    """Fold raw results lines (bytes, newline-terminated except perhaps the last) into a Replay.

    A last line without its newline that does not parse is a write torn by a crash: it is dropped
    and flagged. Any other line that does not parse makes the file untrustworthy: ResultsFileError.
    ``into``: carry on folding into a replay of the lines before these (it is updated and returned).
    """
    out = Replay() if into is None else into
    handler_for = _handlers(out).get
    loads = orjson.loads
    pending_error: tuple[int, str] | None = None
    parsed = 0
    for number, raw in enumerate(raw_lines, start=1):
        if pending_error is not None:
            bad_line, why = pending_error
            raise ResultsFileError(f"{name}: line {bad_line} is not valid JSON: {why}")
        try:
            line = loads(raw)
            if type(line) is not dict:
                raise ValueError("not a JSON object")
        except ValueError as exc:
            if not raw.strip():
                continue
            if raw.endswith(b"\n"):
                raise ResultsFileError(f"{name}: line {number} is not valid JSON: {exc}") from None
            pending_error = (number, str(exc))
            continue
        parsed += 1
        event = line.get("event")
        (handler_for(event, _ignore) if type(event) is str else _ignore)(line)
    out.lines += parsed
    if pending_error is not None:
        out.torn_tail = True
    return out


def _handlers(out: Replay) -> dict[str, Callable[[dict], object]]:
    """What each event does to this replay."""
    handlers: dict[str, Callable[[dict], object]] = {
        event: partial(fold, out) for event, fold in ROW_FOLDS.items()
    }
    handlers[Event.RUN_STARTED] = out.runs.append
    handlers[Event.RUN_ENDED] = out.ends.append
    handlers[Event.RUN_ERROR] = out.errors.append
    return handlers


def _ignore(_line: dict) -> None:
    return None
