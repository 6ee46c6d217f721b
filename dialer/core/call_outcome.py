"""What became of a placed call, from the switch's records of finished calls (cdrs/list). Pure.

calls/make only says a call was requested. Whether a person answered, how long they talked, or why
nobody did is in the call's CDR, which the switch writes when the call ends. Its field names and
status values are not fully documented, so records are read tolerantly: what cannot be read is
"not-known", never "no-answer" (which would let a person be called again), and a raw status nobody
knows is kept beside "not-known".

A placed call is matched to its record by callid when the switch returned one, otherwise by the
numbers it was sent with and the time it was sent (the record's start, within a margin for the
switch's clock and the ``delay`` and ``wait`` sent).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

ANSWERED = "answered"
NO_ANSWER = "no-answer"
BUSY = "busy"
FAILED = "failed"
NOT_KNOWN = "not-known"
CALL_STATUSES = (ANSWERED, NO_ANSWER, BUSY, FAILED, NOT_KNOWN)

# Raw statuses as Enswitch providers' pages show them, and their obvious spellings.
_STATUS_OF = {
    "answer": ANSWERED,
    "answered": ANSWERED,
    "noanswer": NO_ANSWER,
    "cancel": NO_ANSWER,  # the caller side gave up ringing: nobody answered
    "busy": BUSY,
    "congestion": FAILED,
    "failed": FAILED,
    "chanunavail": FAILED,
}


def call_status(raw: object) -> str:
    """A call status from a raw one: "no answer", "NoAnswer" and "no-answer" are one; anything
    else nobody knows is not-known."""
    if not isinstance(raw, str):
        return NOT_KNOWN
    return _STATUS_OF.get("".join(ch for ch in raw.lower() if ch.isalnum()), NOT_KNOWN)


@dataclass(frozen=True)
class CallRecord:
    """One finished call as the switch lists it, read tolerantly."""

    uniqueid: str | None
    callid: str | None
    start: float | None  # Unix seconds
    talk_s: float | None
    total_s: float | None
    snumber: str | None
    cnumber: str | None
    status: str | None  # the raw value

    @property
    def identity(self) -> tuple:
        """What makes two reads of one record the same record (a page read twice)."""
        return (self.uniqueid, self.callid, self.start, self.snumber, self.cnumber)


def read_record(entry: Mapping[str, Any]) -> CallRecord:
    start = _seconds(entry.get("start"))
    end = _seconds(entry.get("end"))
    total = _seconds(entry.get("totaltime"))
    if total is None and start is not None and end is not None and end >= start:
        total = end - start
    return CallRecord(
        uniqueid=_text(entry.get("uniqueid")),
        callid=_text(entry.get("callid")),
        start=start,
        talk_s=_seconds(entry.get("talktime")),
        total_s=total,
        snumber=_text(entry.get("snumber")),
        cnumber=_text(entry.get("cnumber")),
        status=_text(entry.get("status")),
    )


@dataclass(frozen=True)
class Outcome:
    """What a results line says of a finished call."""

    call_status: str  # one of CALL_STATUSES
    switch_status: str | None  # the raw status, kept as the switch wrote it
    talk_s: float | None
    total_s: float | None
    uniqueid: str | None
    callid: str | None
    reason: str

    def fields(self) -> dict[str, Any]:
        return {
            "call_status": self.call_status,
            "switch_status": self.switch_status,
            "talk_s": self.talk_s,
            "total_s": self.total_s,
            "uniqueid": self.uniqueid,
            "callid": self.callid,
            "reason": self.reason,
        }


def outcome_of(record: CallRecord) -> Outcome:
    status = call_status(record.status)
    if status == NOT_KNOWN:
        reason = f"the switch's record says {record.status!r}, which dialer does not know"
    else:
        reason = f"the switch's record of the call: {record.status}"
    return Outcome(
        status, record.status, record.talk_s, record.total_s, record.uniqueid, record.callid, reason
    )


def not_known(reason: str, callid: str | None = None) -> Outcome:
    return Outcome(NOT_KNOWN, None, None, None, None, callid, reason)


@dataclass(frozen=True)
class PlacedCall:
    """A placed call whose outcome is still to learn."""

    key: object  # whoever tracks it: any hashable
    snumber: str  # as sent
    cnumber: str
    sent_at: float  # Unix seconds the request left
    held: float  # delay + wait sent: how long after sending the call may have started
    callid: str | None = None


def match(
    calls: Iterable[PlacedCall], records: Iterable[CallRecord], slack: float
) -> dict[object, CallRecord]:
    """Each call's record, where one is found: by callid when both have one, else the record with the
    same numbers whose start is nearest the call's own, within ``slack`` seconds before it was sent
    and ``held + slack`` after. A record goes to one call at most."""
    records = list(records)
    by_callid: dict[str, list[CallRecord]] = {}
    for r in records:
        if r.callid:
            by_callid.setdefault(r.callid, []).append(r)
    taken: set[tuple] = set()
    found: dict[object, CallRecord] = {}
    rest = []
    for call in calls:
        record = _leg(call, by_callid.get(call.callid, ()), taken) if call.callid else None
        if record is not None:
            found[call.key] = record
            taken.add(record.identity)
        else:
            rest.append(call)
    by_numbers: dict[tuple, list[CallRecord]] = {}
    for r in records:
        if r.start is not None and r.identity not in taken:
            by_numbers.setdefault((r.snumber, r.cnumber), []).append(r)
    for call in sorted(rest, key=lambda c: c.sent_at):
        best = _nearest(call, by_numbers.get((call.snumber, call.cnumber), ()), taken, slack)
        if best is not None:
            found[call.key] = best
            taken.add(best.identity)
    return found


def _leg(call: PlacedCall, legs: Iterable[CallRecord], taken: set) -> CallRecord | None:
    """The record of a call among those with its callid (a switch may list a leg per party): the one
    with the numbers it was sent with, else the first listed."""
    free = [r for r in legs if r.identity not in taken]
    same = [r for r in free if (r.snumber, r.cnumber) == (call.snumber, call.cnumber)]
    return (same or free or [None])[0]


def _nearest(
    call: PlacedCall, candidates: Iterable[CallRecord], taken: set, slack: float
) -> CallRecord | None:
    low, high = call.sent_at - slack, call.sent_at + call.held + slack
    fits = [
        r for r in candidates if r.identity not in taken and r.start is not None and low <= r.start <= high
    ]
    return min(fits, key=lambda r: abs(r.start - call.sent_at), default=None)  # type: ignore[operator]


def _seconds(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _text(value: object) -> str | None:
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None
