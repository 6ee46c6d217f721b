"""The results file replayed into per-row state: a pure fold over its lines, no I/O.

Each line is handed to its event's fold (``dialer.journal.lines``), which updates the record of the
row it is about; the run lines are kept whole. Resuming a long campaign replays millions of lines
before the first call, so the loop here does nothing per line but parse it and call its fold.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import orjson

from dialer.core import outcomes as o
from dialer.journal.lines import ROW_FOLDS, Event
from dialer.journal.records import RowRecord
from dialer.journal.store import RowStore


class ResultsFileError(Exception):
    """The results file cannot be trusted: replaying it would risk calling people twice."""


@dataclass
class Replay:
    """What the results file says: each row's record, and the run lines."""

    rows: RowStore = field(default_factory=RowStore)
    runs: list[dict] = field(default_factory=list)  # run_started lines
    ends: list[dict] = field(default_factory=list)  # run_ended lines
    errors: list[dict] = field(default_factory=list)  # run_error lines
    lines: int = 0
    torn_tail: bool = False  # the last line was cut short by a crash and ignored

    def placed_or_pending_pairs(self, snumbers: Container[str] | None = None) -> dict[tuple[str, str], int]:
        """(snumber, cnumber) of every row whose call may exist, mapped to its row (the last such
        row in the store's order, when two share a pair).

        ``snumbers``: only pairs with one of these snumbers (the same answer for those pairs, without
        building a key for every row of a long campaign).
        """
        rows = self.rows.select(states=o.FINAL_STATES, sent=True)
        _, values = self.rows.lookup(np.array(rows, dtype=np.int64), ("snumber", "cnumber"))
        pairs = zip(values["snumber"].tolist(), values["cnumber"].tolist(), strict=True)
        if snumbers is None:
            return dict(zip(pairs, rows, strict=True))
        return {pair: row for pair, row in zip(pairs, rows, strict=True) if pair[0] in snumbers}

    def counts(self) -> dict[str, int]:
        """Rows by state (every state, none left out)."""
        out = dict.fromkeys(o.ROW_STATES, 0)
        for state, n in self.rows.count("state").items():
            out[state] += n
        return out

    def in_flight_records(self) -> list[RowRecord]:
        """Rows with an intent and no answer after it, in the store's order."""
        return self.rows.records_of(self.rows.select(in_flight=True))


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
        event: partial(fold, out.rows) for event, fold in ROW_FOLDS.items()
    }
    handlers[Event.RUN_STARTED] = out.runs.append
    handlers[Event.RUN_ENDED] = out.ends.append
    handlers[Event.RUN_ERROR] = out.errors.append
    return handlers


def _ignore(_line: dict) -> None:
    return None
