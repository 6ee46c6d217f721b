"""What an answer (or its absence) means for a row: one pure function per kind of evidence.

The rule that matters: retry only when nothing can have been placed. A refusal the switch states
(503, 429) or a connection that never opened placed nothing. Anything that may have reached the
switch without a usable answer is ``unknown`` and is never redialed automatically: calls/make has
no idempotency key, and a second try may ring a real person twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialer.core import outcomes as o
from dialer.core.response import SwitchReply


@dataclass(frozen=True)
class Verdict:
    outcome: str  # placed, rejected, retry, unknown, failed
    code: str  # the switch's code, or the name of what went wrong
    reason: str  # for an operator
    stop_run: bool = False  # the account cannot dial: no further requests at all
    retry_after: float | None = None


# Why a request got no answer, as the transport reports it.
NOT_CONNECTED = "not_connected"  # the connection was never established: nothing was sent
DROPPED = "dropped"  # the connection broke after the request may have been written
TIMEOUT = "timeout"  # no answer in time after the request was written


def classify_reply(reply: SwitchReply) -> Verdict:
    """A verdict from an HTTP answer."""
    if reply.http_status in (503, 429):
        return Verdict(
            o.RETRY,
            str(reply.http_status),
            f"switch said HTTP {reply.http_status}: not now",
            retry_after=reply.retry_after,
        )
    return _classify_code(reply) if reply.well_formed else _classify_status_only(reply)


def _classify_status_only(reply: SwitchReply) -> Verdict:
    """No readable calls/make JSON: only an unambiguous HTTP status says anything for sure."""
    status = reply.http_status
    if status in (401, 402):
        # A proxy or the web server refused us before the API ran: nothing was placed, and
        # nothing will be until someone fixes the credentials.
        return Verdict(o.FAILED, str(status), "account refused by the web server", stop_run=True)
    if status == 204:
        # HTTP 204 cannot carry a body: a switch that mirrors its code in the status says "OK".
        return Verdict(o.PLACED, "204", "call requested (HTTP 204, no body)")
    if status in (400, 403):
        return Verdict(o.REJECTED, str(status), f"switch refused the row with HTTP {status}")
    return Verdict(
        o.UNKNOWN,
        f"http-{status}",
        f"HTTP {status} without the expected JSON: the call may have been placed",
    )


def _classify_code(reply: SwitchReply) -> Verdict:
    code = reply.code or ""
    detail = _detail(reply)
    if code in ("200", "204"):
        return Verdict(o.PLACED, code, "call requested" if reply.callid else "call requested, no callid")
    if code == "400":
        return Verdict(o.REJECTED, code, f"switch rejected the row{detail}")
    if code == "403":
        return Verdict(o.REJECTED, code, f"the rate plan does not allow this call{detail}")
    if code in ("401", "402"):
        what = "authentication failed" if code == "401" else "the role may not make calls"
        return Verdict(o.FAILED, code, f"account refused: {what}{detail}", stop_run=True)
    if reply.http_status >= 500:
        return Verdict(
            o.UNKNOWN, code, f"HTTP {reply.http_status}, code {code}: the call may have been placed"
        )
    return Verdict(o.UNKNOWN, code, f"unexpected code {code}{detail}: the call may have been placed")


def classify_failure(kind: str, error: str) -> Verdict:
    """A verdict when no HTTP answer came back. ``error`` is the exception's class name."""
    if kind == NOT_CONNECTED:
        return Verdict(o.RETRY, error, "could not connect to the switch: nothing was sent")
    if kind == TIMEOUT:
        return Verdict(o.UNKNOWN, error, "no answer in time: the call may have been placed")
    return Verdict(o.UNKNOWN, error, "connection lost after sending: the call may have been placed")


def _detail(reply: SwitchReply) -> str:
    parts = [p for p in (f"key {reply.key}" if reply.key else "", reply.message) if p]
    return f" ({'; '.join(parts)})" if parts else ""
