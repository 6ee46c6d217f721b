"""The results line: every event the results file holds, what its line carries, the function that
builds it, and how the replay folds it into a row's record. This is the journal's format: anything
that writes or reads a results line goes through here.

A line is one JSON object: ``ts`` (UTC, when its batch was handed to the OS) and ``event`` first,
then the run id (``run``, bound by the journal), then the event's own fields. Every line about a row
carries the row's fields (``row``, ``snumber``, ``cnumber``, ``person`` and, when the list has other
columns, ``columns``: ``ListRows.line_fields``), then ``attempt``, ``outcome``, ``code``, ``callid``
and, where there is one, a ``reason`` for an operator.

Replay folds the lines about a person in order, into the person's record (``records.key_of``); the
last word wins, with the one rule that keeps people from being called twice: an intent (``dial``)
with no answer after it is ``unknown``, because the request may have reached the switch before the
process died. The list's verdicts on rows it did not send are kept by row, apart from the persons.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from sys import intern
from typing import Any, Protocol

from dialer.calllist.model import RowProblem
from dialer.core import outcomes as o
from dialer.core.call_outcome import NOT_KNOWN, Outcome
from dialer.core.lookup import ABSENT, FOUND, Answer, Judgement, Question
from dialer.core.policy import Verdict
from dialer.journal import tally
from dialer.journal.records import OLDER_ROW, PersonRecord, key_of, list_row_key
from dialer.journal.store import RecordStore

Line = tuple[str, dict[str, Any]]  # (event, fields): what the journal writes as one line
_NO_TIMING: Mapping[str, str] = {}


class Replay(Protocol):
    """What the folds change: the records, and what the replay notes about the whole file."""

    records: RecordStore
    older_rows: bool
    last_dialed: str | None
    tally: dict  # dialer.journal.tally: what status counts of the attempts and calls


Fold = Callable[[Replay, dict], None]


class Event:
    """The events, as the ``event`` field of a line names them."""

    RUN_STARTED = "run_started"
    RUN_ENDED = "run_ended"
    RUN_ERROR = "run_error"
    ROW_REJECTED = "row_rejected"
    ROW_SUPPRESSED = "row_suppressed"
    DIAL = "dial"
    RESULT = "result"
    WITHDRAWN = "withdrawn"
    REDIAL_UNKNOWN = "redial_unknown"
    RECYCLED = "recycled"
    CHECKED = "checked"
    CALL_ENDED = "call_ended"


INTERRUPTED = "interrupted"  # the code of the result an earlier run's unanswered intent is given


# -- the run -----------------------------------------------------------------------------------------


def run_started(**facts: Any) -> Line:
    """A run begins: where from (source, list, results, url), who (version, host, pid), how much
    (rows, valid, to_dial, redial_unknown) and how (settings). Replay keeps these lines whole."""
    return Event.RUN_STARTED, facts


def run_ended(status: int, reason: str, counts: Mapping[str, int]) -> Line:
    """A run ends: its exit status, why, and the rows by state."""
    return Event.RUN_ENDED, {"status": status, "reason": reason, "counts": dict(counts)}


def run_error(error: str, message: str) -> Line:
    """A problem with the run as a whole (the account refused, the switch unreachable)."""
    return Event.RUN_ERROR, {"error": error, "message": message}


# -- the list's verdicts: rows never sent --------------------------------------------------------------


def list_problem(problem: RowProblem) -> Line:
    """A row the list check rejected (invalid) or suppressed (duplicate, do-not-call)."""
    fields: dict[str, Any] = {
        "row": problem.row,
        "snumber": problem.snumber,
        "cnumber": problem.cnumber,
        "attempt": 0,
        "outcome": problem.outcome,
        "code": problem.code,
        "callid": None,
        "reason": problem.reason,
    }
    if problem.column:
        fields["column"] = problem.column
    if problem.duplicate_of is not None:
        fields["duplicate_of"] = problem.duplicate_of
    return (Event.ROW_REJECTED if problem.outcome == o.REJECTED else Event.ROW_SUPPRESSED), fields


def row_rejected(row_fields: dict, reason: str) -> Line:
    """A row found invalid while the run went (a time zone cell that names no zone)."""
    return Event.ROW_REJECTED, {
        **row_fields,
        "attempt": 0,
        "outcome": o.REJECTED,
        "code": "invalid",
        "callid": None,
        "reason": reason,
    }


def _fold_listed(replay: Replay, line: dict) -> None:
    """The list's verdict on a row it did not send, kept by row: what the next run compares its own
    verdict with (it writes one only when it differs)."""
    row = line.get("row")
    if type(row) is not int:
        return
    rec = replay.records.record(list_row_key(row))
    _stamp(rec, line)
    rec.row, rec.snumber, rec.cnumber = row, line.get("snumber", ""), line.get("cnumber", "")
    rec.state = o.REJECTED if line.get("event") == Event.ROW_REJECTED else o.SUPPRESSED
    rec.code = _shared(_str_or_none(line.get("code")))
    rec.reason = _shared(line.get("reason"))


# -- one attempt --------------------------------------------------------------------------------------


def redial_unknown(row_fields: dict) -> Line:
    """An operator chose --redial-unknown for this row: its next dial is on purpose."""
    return Event.REDIAL_UNKNOWN, {**row_fields, "reason": "--redial-unknown"}


def recycled(row_fields: dict, reason: str) -> Line:
    """The person is called again on purpose ([recycle]): its next dial says why."""
    return Event.RECYCLED, {**row_fields, "reason": reason}


def dial(
    row_fields: dict, attempt: int, timing: Mapping[str, str] = _NO_TIMING, stagger: float = 0.0
) -> Line:
    """Intent: the request for this attempt is about to leave. Made durable before it does.

    ``timing``: the ``delay`` and ``wait`` the row sends (``ListRows.timing``), and ``stagger``: the
    most delay the pacer may add at the request's slot (one period, when staggering by delay). They
    say how long any call this request starts may take to show in the switch's lists, for a later run
    that finds it unknown (a crash) and whose list may send other values by then."""
    fields = {**row_fields, "attempt": attempt, "outcome": o.SENDING, "code": None, "callid": None}
    if timing:
        fields.update(timing)
    if stagger:
        fields["stagger"] = stagger
    return Event.DIAL, fields


def _fold_dial(replay: Replay, line: dict) -> None:
    """Until its answer is read, the call may exist."""
    rec = _touched(replay, line)
    if rec is None:
        return
    attempt = int(line.get("attempt") or 0)
    rec._before_intent = [rec.state, rec.run, rec.dialed_ts, rec.dial_attempt, rec.sent_delay, rec.sent_wait]
    rec.run, rec.dialed_ts, rec.dial_attempt = line.get("run"), line.get("ts"), attempt
    # What the request will carry, a staggered delay at most one period (wait is raised by it too).
    stagger = _seconds(line.get("stagger"))
    rec.sent_delay = _seconds(line.get("delay")) + stagger
    wait = _seconds(line.get("wait"))
    rec.sent_wait = wait + stagger if wait else 0
    if rec.dialed_ts and (replay.last_dialed is None or rec.dialed_ts > replay.last_dialed):
        replay.last_dialed = rec.dialed_ts
    rec.state = o.UNKNOWN
    rec.sent = True
    rec.in_flight = True
    if attempt > rec.attempts:
        rec.attempts = attempt
    rec.code = None
    rec.callid = None


def result(
    row_fields: dict,
    attempt: int,
    verdict: Verdict,
    callid: str | None,
    elapsed_ms: float,
    answered: dict,
    sent: Mapping[str, str],
) -> Line:
    """The answer to an attempt (or its absence): ``answered`` is what the switch's answer said
    (``reply_line_fields``) or what went wrong; ``sent``: the request's parameters, of which the
    ``delay`` and ``wait`` sent are recorded (a staggered delay included)."""
    fields = {
        **row_fields,
        "attempt": attempt,
        "outcome": verdict.outcome,
        "code": verdict.code,
        "callid": callid,
        "reason": verdict.reason,
        "elapsed_ms": elapsed_ms,
        **answered,
    }
    if "delay" in sent:
        fields["delay"] = sent["delay"]
    if "wait" in sent:
        fields["wait"] = sent["wait"]
    return Event.RESULT, fields


def interrupted(rec: PersonRecord) -> Line:
    """The outcome of a request an earlier run left without an answer (kill -9, a second signal, a
    full disk): unknown, so the file says so to anyone reading it, not only to a replay."""
    return Event.RESULT, {
        **record_fields(rec),
        "attempt": rec.attempts,
        "outcome": o.UNKNOWN,
        "code": INTERRUPTED,
        "callid": None,
        "reason": "the run ended before the switch answered: the call may have been placed",
    }


def _fold_result(replay: Replay, line: dict) -> None:
    """The attempt's outcome becomes the row's state (a retry placed nothing: failed)."""
    rec = _touched(replay, line)
    if rec is None:
        return
    rec.in_flight = False
    rec._before_intent = None  # answered: the intent stands
    outcome = line.get("outcome")
    rec.state = o.FAILED if outcome == o.RETRY else _shared(outcome)
    if line.get("code") != INTERRUPTED:  # a later run's word on an intent says nothing of what it sent
        rec.sent_delay, rec.sent_wait = _seconds(line.get("delay")), _seconds(line.get("wait"))
        if outcome == o.PLACED:
            _placed(rec)
    rec.code = _shared(_str_or_none(line.get("code")))
    callid = line.get("callid")
    rec.callid = callid if callid is None or type(callid) is str else str(callid)
    rec.reason = _shared(line.get("reason"))
    rec.message = _shared(line.get("message"))
    tally.count_result(replay.tally, line, rec)


def withdrawn(row_fields: dict, attempt: int, reason: str) -> Line:
    """An intent whose request never left (the run was stopped before its slot)."""
    return Event.WITHDRAWN, {
        **row_fields,
        "attempt": attempt,
        "outcome": o.WITHDRAWN,
        "code": None,
        "callid": None,
        "reason": f"not sent: {reason}",
    }


def _fold_withdrawn(replay: Replay, line: dict) -> None:
    rec = _touched(replay, line)
    if rec is None:
        return
    rec.in_flight = False
    if rec._before_intent:  # the intent's request never left: as things were before it
        rec.state, rec.run, rec.dialed_ts, rec.dial_attempt, rec.sent_delay, rec.sent_wait = (
            rec._before_intent
        )
    if rec.state == o.NOT_DIALED and rec.attempts <= 1:
        rec.sent = False


# -- reconciliation ------------------------------------------------------------------------------------


def checked(
    row_fields: dict,
    attempt: int,
    judgement: Judgement,
    verdict: Verdict,
    question: Question,
    answers: list[Answer],
) -> Line:
    """The switch's call lists were asked about an unknown attempt: the question, the answers (never
    their entries), the verdict (found, absent, unasked) and what it made of the attempt."""
    return Event.CHECKED, {
        **row_fields,
        "attempt": attempt,
        "verdict": judgement.verdict,
        "outcome": verdict.outcome,
        "code": verdict.code,
        "callid": judgement.callid,
        "reason": verdict.reason,
        "asked": question.fields(),
        "answers": [answer.fields() for answer in answers],
    }


def _fold_checked(replay: Replay, line: dict) -> None:
    """A call found means placed, none found means nothing was placed (failed: the planner dials it
    again). Counted only while the row is still unknown, not in flight, with the same numbers: a
    check is written about a row's latest attempt, before any further intent, so it never overrides
    anything written after that attempt. ``unasked`` decides nothing and changes nothing."""
    verdict = line.get("verdict")
    key = key_of(line)
    if (verdict != FOUND and verdict != ABSENT) or key is None:
        return
    rec = replay.records.record_of(key)
    if (
        rec is None
        or rec.state != o.UNKNOWN
        or rec.in_flight
        or (rec.snumber, rec.cnumber) != (line.get("snumber"), line.get("cnumber"))
    ):
        return
    _touched(replay, line)
    rec.state = o.PLACED if verdict == FOUND else o.FAILED
    if verdict == FOUND:
        _placed(rec)
        tally.count_placed(replay.tally, line)
    rec.code = _shared(_str_or_none(line.get("code")))
    callid = line.get("callid")
    if callid is not None:
        rec.callid = str(callid)
    rec.reason = _shared(line.get("reason"))


# -- what became of a placed call -------------------------------------------------------------------------


def call_ended(
    row_fields: dict, placed_run: str | None, attempt: int, outcome: Outcome, placed_at: float | None = None
) -> Line:
    """A placed call's outcome, from the switch's records: the call is the one its run (``placed_run``,
    which may be an earlier run than this line's) sent as ``attempt``, at ``placed_at`` (Unix time,
    written as UTC: tells apart two calls a run made to one person, and gives the hour it was made)."""
    when = None
    if placed_at is not None:
        when = datetime.fromtimestamp(placed_at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return Event.CALL_ENDED, {
        **row_fields,
        "attempt": attempt,
        "placed_run": placed_run,
        "placed_at": when,
        "outcome": o.PLACED,
        **outcome.fields(),
    }


def _fold_call_ended(replay: Replay, line: dict) -> None:
    """The outcome counts for the person's latest placed call only (an earlier call's, learned late,
    says nothing of the latest); every call's outcome is tallied."""
    tally.count_call_ended(replay.tally, line)
    key = key_of(line)
    rec = replay.records.record_of(key) if key is not None else None
    if rec is None or rec.state != o.PLACED or rec.run != line.get("placed_run"):
        return
    if rec.dial_attempt != line.get("attempt"):
        return
    status = line.get("call_status")
    rec.call_status = _shared(status) if type(status) is str else NOT_KNOWN
    talk = line.get("talk_s")
    rec.talk_s = float(talk) if isinstance(talk, int | float) and not isinstance(talk, bool) else None
    callid = line.get("callid")
    if rec.callid is None and callid is not None:
        rec.callid = str(callid)


def _placed(rec: PersonRecord) -> None:
    """One more call placed to the person: its outcome is to be learned."""
    rec.calls += 1
    rec.placed_at = f"{rec.placed_at} {rec.dialed_ts}".strip() if rec.dialed_ts else rec.placed_at
    rec.call_status = None
    rec.talk_s = None


# -- folding ---------------------------------------------------------------------------------------------

# What each event about a row does to its record; the run events are kept whole by the replay.
ROW_FOLDS: dict[str, Fold] = {
    Event.DIAL: _fold_dial,
    Event.RESULT: _fold_result,
    Event.WITHDRAWN: _fold_withdrawn,
    Event.CHECKED: _fold_checked,
    Event.CALL_ENDED: _fold_call_ended,
    Event.ROW_REJECTED: _fold_listed,
    Event.ROW_SUPPRESSED: _fold_listed,
}
RUN_EVENTS = (Event.RUN_STARTED, Event.RUN_ENDED, Event.RUN_ERROR)


def record_fields(rec: PersonRecord) -> dict[str, Any]:
    """The row fields of a line about what a record holds (the row and numbers it was dialed as)."""
    fields: dict[str, Any] = {"row": rec.row, "snumber": rec.snumber, "cnumber": rec.cnumber}
    if not rec.key.startswith(OLDER_ROW):
        fields["person"] = rec.key
    return fields


def _touched(replay: Replay, line: dict) -> PersonRecord | None:
    """The record of the person a line is about (made on first sight), its row, times and numbers
    updated."""
    key = key_of(line)
    if key is None:
        return None
    if key.startswith(OLDER_ROW):
        replay.older_rows = True
    rec = replay.records.record(key)
    rec.row = line["row"]
    _stamp(rec, line)
    rec.snumber = line.get("snumber", rec.snumber)
    cnumber = line.get("cnumber", rec.cnumber)
    rec.cnumber = intern(cnumber) if type(cnumber) is str else cnumber
    return rec


def _stamp(rec: PersonRecord, line: dict) -> None:
    ts = line.get("ts")
    if not rec.first_ts:
        rec.first_ts = ts
    if ts:
        rec.last_ts = ts


def _seconds(value: object) -> int:
    """A line's delay, wait or stagger as whole seconds (rounded up); 0 when absent or unreadable."""
    if not value:  # most lines carry none: the replay of a million rows asks millions of times
        return 0
    try:
        return max(0, math.ceil(float(value or 0)))
    except (TypeError, ValueError, OverflowError):
        return 0


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _shared(value: Any) -> Any:
    """One object for equal strings that recur on many rows (states, codes, reasons, queues): a
    million-row replay holds each once."""
    return intern(value) if type(value) is str else value
