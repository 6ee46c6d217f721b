"""Replay a results file into per-row state: a pure fold over its lines, no I/O.

The results file is the journal. Each row's lines are folded in order; the last word wins, with one
rule that keeps people from being called twice: an intent (``dial``) with no answer after it is
``unknown``, because the request may have reached the switch before the process died.

Resuming a long campaign replays millions of lines before the first call, so the fold is written
for speed: one handler per event, slotted records, and the values that repeat across rows
(states, codes, reasons, messages, the queue a list bridges to) interned rather than held once per row.
The rows live in a RowStore (``dialer.rowstore``): after a checkpoint, the rows no line has touched
yet stay in the checkpoint's columns, and the readers here answer from the columns and the records.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter
from sys import intern
from typing import Any

import numpy as np
import orjson

from dialer.core import outcomes as o
from dialer.core.lookup import ABSENT, FOUND
from dialer.journal.records import RowRecord
from dialer.journal.store import RowStore, StoredRows
from dialer.run.collector_policy import collector_paused


class ResultsFileError(Exception):
    """The results file cannot be trusted: replaying it would risk calling people twice."""


@dataclass
class Replay:
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
        final = o.FINAL_STATES
        if self.rows.stored is None:  # records only: one pass, the test inlined
            records = self.rows.live.values()
            if snumbers is None:
                return {(r.snumber, r.cnumber): r.row for r in records if r.sent and r.state in final}
            return {
                (r.snumber, r.cnumber): r.row
                for r in records
                if r.sent and r.snumber in snumbers and r.state in final
            }

        def record_test(r: RowRecord) -> bool:
            return bool(r.sent) and r.state in final and (snumbers is None or r.snumber in snumbers)

        positions, hits = self.rows.select(_may_exist, record_test)
        stored = self.rows.stored
        found: list[tuple[int, tuple[str, str], int]] = []
        if len(positions):
            assert stored is not None
            snumber = stored.column("snumber")[positions]
            if snumbers is not None:
                wanted = np.array([s in snumbers for s in snumber.tolist()], dtype=bool)
                positions, snumber = positions[wanted], snumber[wanted]
            snumber = snumber.tolist()
            cnumber = stored.column("cnumber")[positions].tolist()
            rows = stored.rows[positions].tolist()
            found = list(zip(positions.tolist(), zip(snumber, cnumber, strict=True), rows, strict=True))
        found += [(key, (r.snumber, r.cnumber), r.row) for key, r in hits]
        found.sort(key=itemgetter(0))
        return {pair: row for _, pair, row in found}

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(o.ROW_STATES, 0)
        stored = self.rows.stored
        if stored is not None:
            for state, n in stored.counts("state", np.flatnonzero(~stored.taken)).items():
                out[state] += n
        for r in self.rows.live.values():
            out[r.state] += 1
        return out

    def in_flight_records(self) -> list[RowRecord]:
        """Rows with an intent and no answer after it, in the store's order."""
        positions, hits = self.rows.select(_in_flight, lambda r: bool(r.in_flight))
        return self.rows.records_in_order(positions, hits)


def _may_exist(stored: StoredRows) -> np.ndarray:
    return stored.truthy("sent") & stored.isin("state", tuple(o.FINAL_STATES))


def _in_flight(stored: StoredRows) -> np.ndarray:
    return stored.truthy("in_flight")


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _shared(value: Any) -> Any:
    """One object for equal strings that recur on many rows (states, codes, reasons, queues)."""
    return intern(value) if type(value) is str else value


def _record(rows: RowStore, line: dict) -> RowRecord | None:
    """The row a line is about (created on first sight), its timestamps and numbers updated."""
    row = line.get("row")
    if not isinstance(row, int):
        return None
    rec = rows.get(row)
    if rec is None:
        rec = rows[row] = RowRecord(row)
    ts = line.get("ts")
    if not rec.first_ts:
        rec.first_ts = ts
    if ts:
        rec.last_ts = ts
    rec.snumber = line.get("snumber", rec.snumber)
    cnumber = line.get("cnumber", rec.cnumber)
    rec.cnumber = intern(cnumber) if type(cnumber) is str else cnumber
    return rec


def _dialed(rows: RowStore, line: dict) -> None:
    """An intent: until its answer is read, the call may exist."""
    rec = _record(rows, line)
    if rec is None:
        return
    rec._state_before_intent = rec.state
    rec.state = o.UNKNOWN
    rec.sent = True
    rec.in_flight = True
    attempt = int(line.get("attempt") or 0)
    if attempt > rec.attempts:
        rec.attempts = attempt
    rec.code = None
    rec.callid = None


def _answered(rows: RowStore, line: dict) -> None:
    """A result: the attempt's outcome becomes the row's state (a retry placed nothing: failed)."""
    rec = _record(rows, line)
    if rec is None:
        return
    rec.in_flight = False
    outcome = line.get("outcome")
    rec.state = o.FAILED if outcome == o.RETRY else _shared(outcome)
    rec.code = _shared(_str_or_none(line.get("code")))
    callid = line.get("callid")
    rec.callid = callid if callid is None or type(callid) is str else str(callid)
    rec.reason = _shared(line.get("reason"))
    rec.message = _shared(line.get("message"))


def _checked(rows: RowStore, line: dict) -> None:
    """The switch's call lists were asked about an unknown attempt: a call found means placed, none
    found means nothing was placed (failed: the planner dials it again). Counted only while the row
    is still unknown, not in flight, with the same numbers: a check is written about a row's latest
    attempt, before any further intent, so it never overrides anything written after that attempt.
    ``unasked`` decides nothing and changes nothing."""
    verdict = line.get("verdict")
    row = line.get("row")
    if (verdict != FOUND and verdict != ABSENT) or not isinstance(row, int):
        return
    rec = rows.get(row)
    if (
        rec is None
        or rec.state != o.UNKNOWN
        or rec.in_flight
        or (rec.snumber, rec.cnumber) != (line.get("snumber"), line.get("cnumber"))
    ):
        return
    _record(rows, line)
    rec.state = o.PLACED if verdict == FOUND else o.FAILED
    rec.code = _shared(_str_or_none(line.get("code")))
    callid = line.get("callid")
    if callid is not None:
        rec.callid = str(callid)
    rec.reason = _shared(line.get("reason"))


def _withdrawn(rows: RowStore, line: dict) -> None:
    rec = _record(rows, line)
    if rec is None:
        return
    rec.in_flight = False
    rec.state = rec._state_before_intent
    if rec.state == o.NOT_DIALED and rec.attempts <= 1:
        rec.sent = False


def _listed(rows: RowStore, line: dict) -> None:
    """row_rejected / row_suppressed: the list's verdict, which counts only for a row never sent."""
    rec = _record(rows, line)
    if rec is None or rec.sent:
        return
    rec.state = o.REJECTED if line.get("event") == o.EV_ROW_REJECTED else o.SUPPRESSED
    rec.code = _shared(_str_or_none(line.get("code")))
    rec.reason = _shared(line.get("reason"))


def _handlers(out: Replay) -> dict[str, Callable[[dict], object]]:
    """What each event does to this replay."""
    rows = out.rows
    return {
        o.EV_DIAL: partial(_dialed, rows),
        o.EV_RESULT: partial(_answered, rows),
        o.EV_WITHDRAWN: partial(_withdrawn, rows),
        o.EV_CHECKED: partial(_checked, rows),
        o.EV_ROW_REJECTED: partial(_listed, rows),
        o.EV_ROW_SUPPRESSED: partial(_listed, rows),
        o.EV_RUN_STARTED: out.runs.append,
        o.EV_RUN_ENDED: out.ends.append,
        o.EV_RUN_ERROR: out.errors.append,
    }


def _ignore(_line: dict) -> None:
    return None


def replay_lines(lines: Iterable[bytes], *, name: str = "results file", into: Replay | None = None) -> Replay:
    """Fold raw results lines (bytes, newline-terminated except perhaps the last) into a Replay.

    A last line without its newline that does not parse is a write torn by a crash: it is dropped
    and flagged. Any other line that does not parse makes the file untrustworthy: ResultsFileError.
    ``into``: carry on folding into a replay of the lines before these (it is updated and returned).
    """
    out = Replay() if into is None else into
    with collector_paused():  # a record per row, no reference cycles
        _fold_lines(out, lines, name)
    return out


def _fold_lines(out: Replay, lines: Iterable[bytes], name: str) -> None:
    handler_for = _handlers(out).get
    loads = orjson.loads
    pending_error: tuple[int, str] | None = None
    parsed = 0
    for number, raw in enumerate(lines, start=1):
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
