"""Replay a results file into per-row state: a pure fold over its lines, no I/O.

The results file is the journal. Each row's lines are folded in order; the last word wins, with one
rule that keeps people from being called twice: an intent (``dial``) with no answer after it is
``unknown``, because the request may have reached the switch before the process died.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import orjson

from dialer import outcomes as o


class ResultsFileError(Exception):
    """The results file cannot be trusted: replaying it would risk calling people twice."""


@dataclass
class RowRecord:
    row: int
    snumber: str = ""
    cnumber: str = ""
    state: str = o.NOT_DIALED
    sent: bool = False  # a request for this row may have left at some point
    in_flight: bool = False  # an intent with no result after it
    attempts: int = 0
    code: str | None = None
    callid: str | None = None
    reason: str | None = None
    message: str | None = None
    first_ts: str | None = None
    last_ts: str | None = None
    _state_before_intent: str = field(default=o.NOT_DIALED, repr=False)


@dataclass
class Replay:
    rows: dict[int, RowRecord] = field(default_factory=dict)
    runs: list[dict] = field(default_factory=list)  # run_started lines
    ends: list[dict] = field(default_factory=list)  # run_ended lines
    errors: list[dict] = field(default_factory=list)  # run_error lines
    lines: int = 0
    torn_tail: bool = False  # the last line was cut short by a crash and ignored

    def placed_or_pending_pairs(self) -> dict[tuple[str, str], int]:
        """(snumber, cnumber) of every row whose call may exist, mapped to its row."""
        return {
            (r.snumber, r.cnumber): r.row
            for r in self.rows.values()
            if r.sent and r.state in o.FINAL_STATES
        }

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(o.ROW_STATES, 0)
        for r in self.rows.values():
            out[r.state] += 1
        return out


def _apply(rec: RowRecord, event: str, line: dict) -> None:
    ts = line.get("ts")
    rec.first_ts = rec.first_ts or ts
    rec.last_ts = ts or rec.last_ts
    rec.snumber = line.get("snumber", rec.snumber)
    rec.cnumber = line.get("cnumber", rec.cnumber)
    if event == o.EV_DIAL:
        rec._state_before_intent = rec.state
        rec.state = o.UNKNOWN
        rec.sent = True
        rec.in_flight = True
        rec.attempts = max(rec.attempts, int(line.get("attempt") or 0))
        rec.code = None
        rec.callid = None
    elif event == o.EV_RESULT:
        rec.in_flight = False
        outcome = line.get("outcome")
        rec.state = o.FAILED if outcome == o.RETRY else outcome
        rec.code = _str_or_none(line.get("code"))
        rec.callid = _str_or_none(line.get("callid"))
        rec.reason = line.get("reason")
        rec.message = line.get("message")
    elif event == o.EV_WITHDRAWN:
        rec.in_flight = False
        rec.state = rec._state_before_intent
        if rec.state == o.NOT_DIALED and rec.attempts <= 1:
            rec.sent = False
    elif event in (o.EV_ROW_REJECTED, o.EV_ROW_SUPPRESSED) and not rec.sent:
        rec.state = o.REJECTED if event == o.EV_ROW_REJECTED else o.SUPPRESSED
        rec.code = _str_or_none(line.get("code"))
        rec.reason = line.get("reason")


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


_ROW_EVENTS = frozenset(
    {o.EV_DIAL, o.EV_RESULT, o.EV_WITHDRAWN, o.EV_ROW_REJECTED, o.EV_ROW_SUPPRESSED}
)


def replay_lines(lines: Iterable[bytes], *, name: str = "results file") -> Replay:
    """Fold raw results lines (bytes, newline-terminated except perhaps the last) into a Replay.

    A last line without its newline that does not parse is a write torn by a crash: it is dropped
    and flagged. Any other line that does not parse makes the file untrustworthy: ResultsFileError.
    """
    out = Replay()
    pending_error: tuple[int, str] | None = None
    for number, raw in enumerate(lines, start=1):
        if pending_error is not None:
            bad_line, why = pending_error
            raise ResultsFileError(f"{name}: line {bad_line} is not valid JSON: {why}")
        if not raw.strip():
            continue
        try:
            line = orjson.loads(raw)
            if not isinstance(line, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            if raw.endswith(b"\n"):
                raise ResultsFileError(f"{name}: line {number} is not valid JSON: {exc}") from None
            pending_error = (number, str(exc))
            continue
        out.lines += 1
        _fold(out, line)
    if pending_error is not None:
        out.torn_tail = True
    return out


def _fold(out: Replay, line: dict) -> None:
    event = line.get("event")
    if event in _ROW_EVENTS:
        row = line.get("row")
        if not isinstance(row, int):
            return
        rec = out.rows.get(row)
        if rec is None:
            rec = out.rows[row] = RowRecord(row=row)
        _apply(rec, event, line)
    elif event == o.EV_RUN_STARTED:
        out.runs.append(line)
    elif event == o.EV_RUN_ENDED:
        out.ends.append(line)
    elif event == o.EV_RUN_ERROR:
        out.errors.append(line)
