"""Read what calls/make answered: a pure function of the HTTP status, headers and body."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson


@dataclass(frozen=True)
class SwitchReply:
    http_status: int
    code: str | None  # the first response's code, always as a string ("204"), None if unreadable
    key: str = ""
    message: str = ""
    machine: str | None = None
    server: str | None = None
    callid: str | None = None
    well_formed: bool = False  # the body was the JSON calls/make documents
    retry_after: float | None = None  # seconds, from a Retry-After header


def parse_reply(http_status: int, headers: Mapping[str, str], body: bytes) -> SwitchReply:
    """Parse a calls/make answer whatever its HTTP status: Enswitch does not document that they agree."""
    retry_after = parse_retry_after(headers.get("Retry-After"))
    try:
        doc = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        doc = None
    first = _first_response(doc)
    if first is None:
        return SwitchReply(http_status=http_status, code=None, retry_after=retry_after)
    data = doc.get("data") if isinstance(doc.get("data"), dict) else {}
    return SwitchReply(
        http_status=http_status,
        code=_text(first.get("code")),
        key=_text(first.get("key")) or "",
        message=_text(first.get("message")) or "",
        machine=_text(data.get("machine")),
        server=_text(data.get("server")),
        callid=_text(data.get("callid")) or None,
        well_formed=True,
        retry_after=retry_after,
    )


def reply_line_fields(reply: SwitchReply) -> dict[str, object]:
    """What a results line records of an answer, beyond its outcome, code and callid."""
    return {
        "http_status": reply.http_status,
        "key": reply.key,
        "message": reply.message,
        "machine": reply.machine,
        "server": reply.server,
    }


def _first_response(doc: object) -> dict | None:
    if not isinstance(doc, dict):
        return None
    responses = doc.get("responses")
    if not isinstance(responses, list) or not responses or not isinstance(responses[0], dict):
        return None
    if _text(responses[0].get("code")) is None:
        return None
    return responses[0]


def _text(value: object) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header; the HTTP-date form is read too."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        from datetime import UTC, datetime
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds)
