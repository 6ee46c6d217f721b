"""What calls/make answers mean: parsing and the outcome policy, without a network."""

from __future__ import annotations

import pytest

from dialer.core import outcomes as o
from dialer.core.policy import DROPPED, NOT_CONNECTED, TIMEOUT, classify_failure, classify_reply
from dialer.core.response import parse_reply, parse_retry_after


def reply(status: int, body: bytes, headers: dict | None = None):
    return parse_reply(status, headers or {}, body)


def test_parses_204_with_code_as_string():
    """The documented shape: code as a string, no data."""
    r = reply(200, b'{"responses":[{"code":"204","key":"","message":"OK"}]}')
    assert (r.code, r.key, r.message, r.callid, r.well_formed) == ("204", "", "OK", None, True)


def test_parses_200_with_callid_and_code_as_number():
    """A public fixture sends code as a number; data carries machine, server and callid."""
    body = (
        b'{"responses":[{"code":200,"key":"","message":"OK"}],'
        b'"data":{"machine":1,"server":"a1","callid":"1.2"}}'
    )
    r = reply(200, body)
    assert (r.code, r.machine, r.server, r.callid) == ("200", "1", "a1", "1.2")


@pytest.mark.parametrize(
    "body", [b"<html>oops</html>", b"", b"[]", b'{"responses":[]}', b'{"responses":[{}]}']
)
def test_body_that_is_not_the_expected_json_is_not_well_formed(body):
    """Anything but the documented JSON leaves the code unknown."""
    r = reply(200, body)
    assert r.well_formed is False and r.code is None


def test_retry_after_seconds_and_date():
    """Retry-After in seconds and as an HTTP date."""
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None


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


def test_retry_after_is_found_whatever_the_header_case():
    """Header names are case-insensitive: the transport hands them over that way."""
    from multidict import CIMultiDict

    assert parse_reply(503, CIMultiDict({"retry-after": "3"}), b"").retry_after == 3.0
