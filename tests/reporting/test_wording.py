"""Codes, times and durations in an operator's words (dialer/reporting/wording.py): the raw code always kept
beside a code's words."""

from __future__ import annotations

import pytest

from dialer.core import outcomes as o
from dialer.reporting.wording import code_words, duration


@pytest.mark.parametrize(
    ("outcome", "code", "words"),
    [
        (o.FAILED, "ClientConnectorError", "could not connect to the switch (ClientConnectorError)"),
        (o.PLACED, "found", "found in the switch's call lists (found)"),
        (o.UNKNOWN, None, "no answer came back"),
        (o.UNKNOWN, "timeout", "no answer came back in time (timeout)"),
        (o.FAILED, "timeout", "could not connect to the switch in time (timeout)"),
        (o.REJECTED, "400", "the switch refused the row: a number or setting it does not accept (400)"),
        (o.REJECTED, "403", "the switch refused the call: the rate plan does not allow it (403)"),
        (o.UNKNOWN, "http-502", "the switch answered HTTP 502 without the answer dialer expects (http-502)"),
        (o.UNKNOWN, "SomeNewError", "the connection broke after the request was sent (SomeNewError)"),
        (o.FAILED, "SomeNewError", "could not connect to the switch (SomeNewError)"),
        (o.UNKNOWN, "599", "no usable answer: the call may have been placed (599)"),
        (o.SUPPRESSED, "do-not-call", "on the do-not-call list (do-not-call)"),
    ],
)
def test_code_in_words_with_the_raw_code(outcome, code, words):
    assert code_words(outcome, code) == words


def test_talk_times_for_people():
    assert [duration(x) for x in (None, 4.25, 30.0, 90.0, 3725.0)] == [
        "—",
        "4.2 s",
        "30 s",
        "1 min 30 s",
        "1 h 02 min",
    ]
