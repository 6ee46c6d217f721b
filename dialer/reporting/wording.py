"""The results file's codes, times, durations and rates in an operator's words (a code's raw value kept
beside its words). Pure.

One wording for status and the report alike: a code means the same wherever it is shown. A code is
the switch's (``"400"``), dialer's own (``"found"``, ``"duplicate"``) or the name of what went wrong
on the connection (``"ClientConnectorError"``); which of these it is depends on the attempt's outcome
too: a timeout before the request was written placed nothing (retry, failed), one after it may have
(unknown).
"""

from __future__ import annotations

from dialer.core import outcomes as o
from dialer.reporting.summary import parse_ts

# (outcome, code) first, then code alone: what the code means whatever the outcome.
_BY_OUTCOME: dict[tuple[str, str | None], str] = {
    (o.UNKNOWN, None): "no answer came back",
    (o.UNKNOWN, "timeout"): "no answer came back in time",
    (o.RETRY, "timeout"): "could not connect to the switch in time",
    (o.FAILED, "timeout"): "could not connect to the switch in time",
    (o.REJECTED, "invalid"): "not a valid row",
    (o.SUPPRESSED, "invalid"): "not a valid row",
}
_BY_CODE: dict[str, str] = {
    "200": "the switch placed the call",
    "204": "the switch placed the call",
    "400": "the switch refused the row: a number or setting it does not accept",
    "403": "the switch refused the call: the rate plan does not allow it",
    "401": "the switch refused the account's user name or password",
    "402": "the account's role may not make calls",
    "429": "the switch asked to slow down",
    "503": "the switch was too busy to take the call",
    "found": "found in the switch's call lists",
    "absent": "not in the switch's call lists: nothing was placed",
    "unasked": "the switch's call lists could not be asked",
    "interrupted": "the run ended before the switch answered",
    "duplicate": "the same person as an earlier row",
    "do-not-call": "on the do-not-call list",
    "already-called": "this person was already called under other numbers",
    "ClientConnectorError": "could not connect to the switch",
    "ClientConnectorDNSError": "could not find the switch's address",
    "ClientConnectorCertificateError": "the switch's certificate was not accepted",
    "ClientSSLError": "the secure connection to the switch failed",
    "ServerDisconnectedError": "the switch closed the connection",
    "ClientOSError": "the connection to the switch failed",
    "ClientPayloadError": "the switch's answer was cut short",
    "ServerTimeoutError": "no answer came back in time",
}
# Any other code, by what became of the attempt.
_OF_OUTCOME = {
    o.PLACED: "the switch placed the call",
    o.REJECTED: "the switch refused the row",
    o.RETRY: "nothing was placed",
    o.FAILED: "nothing was placed",
    o.UNKNOWN: "no usable answer: the call may have been placed",
    o.SUPPRESSED: "not dialed",
    o.NOT_DIALED: "not yet dialed",
}
# Connection errors (an exception's name) that placed nothing, and those after which a call may exist.
_NOT_SENT = "could not connect to the switch"
_MAY_HAVE_BEEN_SENT = "the connection broke after the request was sent"


def code_words(outcome: str, code: str | None) -> str:
    """``code`` of an attempt or row whose outcome (or state) is ``outcome``, in plain words, the raw
    code in brackets after them: 'could not connect to the switch (ClientConnectorError)'."""
    words = _BY_OUTCOME.get((outcome, code))
    if words is None and code is not None:
        words = _BY_CODE.get(code) or _http_words(code) or _error_words(outcome, code)
    if words is None:
        words = _OF_OUTCOME.get(outcome, outcome.replace("_", " "))
    return words if code is None else f"{words} ({code})"


def _http_words(code: str) -> str | None:
    if code.startswith("http-") and code[5:].isdigit():
        return f"the switch answered HTTP {code[5:]} without the answer dialer expects"
    return None


def _error_words(outcome: str, code: str) -> str | None:
    if not code.endswith(("Error", "Exception")):
        return None
    return _MAY_HAVE_BEEN_SENT if outcome == o.UNKNOWN else _NOT_SENT


def when(ts: str | None) -> str:
    """A results timestamp for people: '2026-11-26 20:01:02 UTC'; '—' when there is none."""
    value = parse_ts(ts)
    return f"{value:%Y-%m-%d %H:%M:%S} UTC" if value else "—"


def duration(seconds: float | None) -> str:
    """Talk time for people: '45 s', '2 min 05 s', '1 h 02 min'; '—' when there is none."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    if whole < 60:
        return f"{seconds:.1f} s" if seconds < 10 and seconds != whole else f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def per_second(value: float | None) -> str:
    return f"{value:,.2f} requests/s" if value is not None else "—"
