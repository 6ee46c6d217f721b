"""What calls/make answered, read from the HTTP status, headers and body alone (dialer/core/response.py)."""

from __future__ import annotations

import pytest

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


def test_retry_after_is_found_whatever_the_header_case():
    """Header names are case-insensitive: the transport hands them over that way."""
    from multidict import CIMultiDict

    assert parse_reply(503, CIMultiDict({"retry-after": "3"}), b"").retry_after == 3.0
