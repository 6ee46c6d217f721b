"""What the switch lists about the calls it placed: a call's active leg while it lasts, its CDR once
it has ended, and the page of CDRs a cdrs/list request gets.

Times are whole Unix seconds, as a switch stores them: ``start`` is the placement's second, ``end``
the end's, ``answered`` the answer's (0 while ringing or if never answered). ``totaltime`` is
``end - start`` and ``talktime`` is ``end - answered`` (0 if never answered), so they agree with the
listed stamps rather than with the drawn seconds in the placed log, by up to a second.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dialer.simulator.config import ANSWER

ACTIVE_FILTERS = ("snumber", "cnumber", "callid")  # exact
CDR_FILTERS = ("snumber", "cnumber", "callid", "status", "direction")  # exact
DIRECTION = "out"  # every call the simulator makes is outgoing


def uniqueid(call: dict[str, Any]) -> str:
    return f"{call['callid']}-1"  # one leg a call: the first, to snumber


def answered_at(call: dict[str, Any]) -> float | None:
    """The Unix time the call was answered; None if it never was."""
    return call["t"] + call["ring_s"] if call["status"] == ANSWER else None


def is_active(call: dict[str, Any], now: float) -> bool:
    return call["t"] <= now < call["end"]


def has_cdr(call: dict[str, Any], now: float, delay: float) -> bool:
    """Whether the call's CDR is listed: it has ended, and the switch has written it ``delay`` s later
    (unless it never writes one for this call)."""
    return call["end"] + delay <= now and call.get("cdr", True)


def active_leg(call: dict[str, Any], now: float) -> dict[str, Any]:
    answered = answered_at(call)
    return {
        "uniqueid": uniqueid(call),
        "callid": call["callid"],
        "snumber": call["snumber"],
        "cnumber": call["cnumber"],
        "start": int(call["t"]),
        "answered": int(answered) if answered is not None and answered <= now else 0,
    }


def cdr(call: dict[str, Any]) -> dict[str, Any]:
    start, end = int(call["t"]), int(call["end"])
    answered = answered_at(call)
    return {
        "uniqueid": uniqueid(call),
        "callid": call["callid"],
        "start": start,
        "end": end,
        "talktime": 0 if answered is None else end - int(answered),
        "totaltime": end - start,
        "snumber": call["snumber"],
        "cnumber": call["cnumber"],
        "dnumber": call["snumber"],  # the number dialed first
        "direction": DIRECTION,
        "status": call["status"],
    }


def active_legs(calls: Iterable[dict[str, Any]], params: dict[str, str], now: float) -> list[dict[str, Any]]:
    """calls/active/list: the calls in progress that match the exact filters, in order of placement."""
    return [
        active_leg(call, now)
        for call in calls
        if is_active(call, now) and not any(k in params and params[k] != call[k] for k in ACTIVE_FILTERS)
    ]


def cdr_page(
    calls: Iterable[dict[str, Any]], params: dict[str, str], now: float, delay: float, page_max: int
) -> list[dict[str, Any]]:
    """cdrs/list: the matching CDRs sorted by start then uniqueid, ``offset`` skipped, at most
    ``limit`` of them and never more than ``page_max`` (no limit, or 0, is ``page_max``)."""
    low, high = _whole(params.get("start")), _whole(params.get("end"))
    records = []
    for call in calls:
        if not has_cdr(call, now, delay):
            continue
        record = cdr(call)
        if low is not None and record["start"] < low or high is not None and record["start"] > high:
            continue
        if any(k in params and params[k] != record[k] for k in CDR_FILTERS):
            continue
        records.append(record)
    records.sort(key=lambda r: (r["start"], r["uniqueid"]))
    offset = _whole(params.get("offset")) or 0
    limit = min(_whole(params.get("limit")) or page_max, page_max)
    return records[offset : offset + limit]


def _whole(value: str | None) -> int | None:
    return None if value is None else int(value)
