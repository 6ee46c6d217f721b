"""What an answer, or its absence, means for a row: the outcome policy (dialer/core/policy.py), applied
to replies parsed from the bytes calls/make sends."""

from __future__ import annotations

import pytest

from dialer.core import outcomes as o
from dialer.core.policy import DROPPED, NOT_CONNECTED, TIMEOUT, classify_failure, classify_reply
from dialer.core.response import parse_reply


def reply(status: int, body: bytes, headers: dict | None = None):
    return parse_reply(status, headers or {}, body)


@pytest.mark.parametrize(
    ("status", "code", "outcome", "stop"),
    [
        (200, "200", o.PLACED, False),
        (200, "204", o.PLACED, False),
        (400, "400", o.REJECTED, False),
        (200, "400", o.REJECTED, False),
        (403, "403", o.REJECTED, False),
        (401, "401", o.FAILED, True),
        (402, "402", o.FAILED, True),
        (500, "500", o.UNKNOWN, False),
        (200, "999", o.UNKNOWN, False),
    ],
)
def test_policy_for_each_documented_code(status, code, outcome, stop):
    """Each documented code maps to its outcome; 401/402 stop the run."""
    body = b'{"responses":[{"code":"%s","key":"cnumber","message":"m"}]}' % code.encode()
    verdict = classify_reply(reply(status, body))
    assert (verdict.outcome, verdict.stop_run, verdict.code) == (outcome, stop, code)


def test_400_names_the_key():
    """A rejection says which field the switch objected to."""
    verdict = classify_reply(reply(400, b'{"responses":[{"code":"400","key":"cnumber","message":"Bad"}]}'))
    assert "key cnumber" in verdict.reason


@pytest.mark.parametrize("status", [503, 429])
def test_503_and_429_are_retried_and_carry_retry_after(status):
    """An explicit 'not now' placed nothing: retry, honouring Retry-After."""
    verdict = classify_reply(reply(status, b"busy", {"Retry-After": "3"}))
    assert (verdict.outcome, verdict.retry_after) == (o.RETRY, 3.0)


@pytest.mark.parametrize("status", [200, 500, 502])
def test_non_json_body_is_unknown(status):
    """No readable answer: the call may exist, so it is never redialed automatically."""
    assert classify_reply(reply(status, b"<html/>")).outcome == o.UNKNOWN


def test_http_204_without_a_body_is_placed():
    """HTTP 204 can carry no body; the status alone says the call was requested."""
    assert classify_reply(reply(204, b"")).outcome == o.PLACED


@pytest.mark.parametrize("status", [400, 403])
def test_refusal_status_without_json_is_rejected(status):
    """400/403 from the web server itself: the row was refused, nothing placed, not retried."""
    assert classify_reply(reply(status, b"<html>no</html>")).outcome == o.REJECTED


def test_non_json_401_stops_the_run():
    """A web server's own 401 page still means the account cannot dial."""
    verdict = classify_reply(reply(401, b"<html>401</html>"))
    assert verdict.stop_run and verdict.outcome == o.FAILED


@pytest.mark.parametrize(
    ("kind", "outcome"), [(NOT_CONNECTED, o.RETRY), (DROPPED, o.UNKNOWN), (TIMEOUT, o.UNKNOWN)]
)
def test_transport_failures(kind, outcome):
    """Only a connection that never opened is safe to retry."""
    assert classify_failure(kind, "X").outcome == outcome
