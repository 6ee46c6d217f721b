"""Reconciliation, the pure part: what to ask the switch about a row, and what its answers mean.

calls/make cannot be asked "did you place this?", but the switch keeps records of its calls: those in
progress (calls/active/list) and the finished ones (cdrs/list). After an attempt that may or may not
have placed its call, and once such a call has had time to show, both are asked about the row's exact
numbers. The rule that matters: only two well-formed, empty answers say the switch has no call
(``absent``), and only that lets the row be dialed again. An answer that cannot be read (an error, a
refusal, a timeout, a body that is not a list) decides nothing: the row stays unknown (``unasked``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

FOUND = "found"  # the switch lists a call for the row: it was placed
ABSENT = "absent"  # both lists answered, both empty: nothing was placed
UNASKED = "unasked"  # no trustworthy answer: nothing is decided

ACTIVE_PATH = "calls/active/list"
CDRS_PATH = "cdrs/list"

# Seconds added to each side of the CDR window. Its bounds are the switch's clock, not ours: a window
# too narrow for a clock that is off would miss the call and read as "absent", a second call; a wider
# one can only find more.
CLOCK_SLACK = 300
CDR_LIMIT = "10"  # one entry is enough to decide

# Codes that mean the switch does not offer the function (404, 405, 501), takes no such filter (400),
# or the account may not use it (401, 402, 403): asking again in this run would be refused the same way.
NOT_OFFERED = frozenset({"400", "401", "402", "403", "404", "405", "501"})
_ANSWERED = ("200", "204")


@dataclass(frozen=True)
class Question:
    """What is asked about one row: its exact numbers, and for CDRs a window on the call's start."""

    snumber: str
    cnumber: str
    start: int  # Unix seconds
    end: int

    def active_filters(self) -> list[tuple[str, str]]:
        return [("snumber", self.snumber), ("cnumber", self.cnumber)]

    def cdrs_filters(self) -> list[tuple[str, str]]:
        return [
            ("snumber", self.snumber),
            ("cnumber", self.cnumber),
            ("start", str(self.start)),
            ("end", str(self.end)),
            ("limit", CDR_LIMIT),
        ]

    def fields(self) -> dict[str, Any]:
        """How the question is written in the results line."""
        return {"snumber": self.snumber, "cnumber": self.cnumber, "start": self.start, "end": self.end}


def question_for(snumber: str, cnumber: str, sent_at: float, now: float) -> Question:
    """The question about a row whose request left at ``sent_at`` (Unix time), asked at ``now``."""
    return Question(snumber, cnumber, int(sent_at) - CLOCK_SLACK, int(now) + CLOCK_SLACK)


def settle_seconds(params: Mapping[str, str], margin: float) -> float:
    """How long after an attempt ends any call it started has surely begun and shows in the lists:
    the ``delay`` and ``wait`` sent (the switch may receive the request as late as the moment the
    attempt gave up), plus a margin for the switch's own latency."""
    return _whole(params.get("delay")) + _whole(params.get("wait")) + margin


def _whole(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


@dataclass(frozen=True)
class Answer:
    """One list function's answer, as far as it could be read."""

    path: str
    http_status: int | None  # None: no HTTP answer (or not asked)
    code: str | None = None  # the envelope's code, None when there was no readable envelope
    entries: tuple[dict, ...] | None = None  # None: no ``data`` list
    error: str = ""  # what went wrong when there was no HTTP answer

    @property
    def usable(self) -> bool:
        """A well-formed answer: code 200 or 204 and a ``data`` list (possibly empty)."""
        return self.code in _ANSWERED and self.entries is not None

    @property
    def refusal(self) -> str | None:
        """The code that refused the question, if it was refused."""
        if self.usable or self.http_status is None:
            return None
        return self.code if self.code is not None and self.code not in _ANSWERED else str(self.http_status)

    def fields(self) -> dict[str, Any]:
        """How the answer is written in the results line (never its entries' details)."""
        out: dict[str, Any] = {"path": self.path, "http_status": self.http_status, "code": self.code}
        out["entries"] = None if self.entries is None else len(self.entries)
        if self.error:
            out["error"] = self.error
        return out


def read_answer(path: str, http_status: int, body: bytes) -> Answer:
    """Read an Enswitch list answer: ``{"responses":[{"code":..}], "data":[...]}``, whatever the status."""
    try:
        doc = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        doc = None
    if not isinstance(doc, dict):
        return Answer(path, http_status)
    responses = doc.get("responses")
    first = responses[0] if isinstance(responses, list) and responses else None
    code = first.get("code") if isinstance(first, dict) else None
    if isinstance(code, float) and code.is_integer():
        code = int(code)
    code_text = str(code) if isinstance(code, (str, int)) and not isinstance(code, bool) else None
    data = doc.get("data")
    entries = tuple(data) if isinstance(data, list) and all(isinstance(e, dict) for e in data) else None
    return Answer(path, http_status, code_text, entries)


def no_answer(path: str, error: str) -> Answer:
    """A question that got no HTTP answer (or was not asked: ``error`` says which)."""
    return Answer(path, None, error=error)


@dataclass(frozen=True)
class Judgement:
    verdict: str  # FOUND, ABSENT or UNASKED
    reason: str  # for an operator
    callid: str | None = None
    stop_asking: bool = False  # the switch will not answer these questions in this run


def judge(active: Answer, cdrs: Answer) -> Judgement:
    """What the two answers say about the row. Any listed call is enough; only two usable, empty
    answers say there is none; anything else decides nothing."""
    for answer in (active, cdrs):
        if answer.usable and answer.entries:
            reason = f"the switch lists a call for these numbers ({answer.path})"
            return Judgement(FOUND, reason, _callid(answer))
    if active.usable and cdrs.usable:
        return Judgement(ABSENT, "the switch lists no call for these numbers, active or finished")
    failed = active if not active.usable else cdrs
    refusal = failed.refusal
    if refusal is not None:
        return Judgement(
            UNASKED,
            f"{failed.path} answered {refusal}: the switch could not be asked",
            stop_asking=refusal in NOT_OFFERED,
        )
    what = failed.error or f"HTTP {failed.http_status} without a list"
    return Judgement(UNASKED, f"{failed.path}: {what}: nothing decided")


def _callid(answer: Answer) -> str | None:
    for entry in answer.entries or ():
        callid = entry.get("callid")
        if isinstance(callid, (str, int)) and not isinstance(callid, bool) and str(callid):
            return str(callid)
    return None
