"""Reconciliation, the pure part (dialer/core/lookup.py): what the switch's call lists are asked about a row,
and what their answers mean."""

from __future__ import annotations

import pytest

from dialer.core.lookup import (
    ABSENT,
    ACTIVE_PATH,
    CDRS_PATH,
    CLOCK_SLACK,
    FOUND,
    UNASKED,
    judge,
    no_answer,
    question_for,
    read_answer,
    settle_seconds,
)
from tests.helpers.mock_switch import listing

EMPTY = listing()


ENTRY = {"callid": "1700000000.7", "snumber": "2000000001", "cnumber": "100", "start": 1700000000}


def active(body: bytes, status: int = 200):
    return read_answer(ACTIVE_PATH, status, body)


def cdrs(body: bytes, status: int = 200):
    return read_answer(CDRS_PATH, status, body)


NOT_ASKED = no_answer(CDRS_PATH, "not asked")


def test_two_empty_lists_are_absent():
    """Both lists well-formed (200 or 204, data a list) and empty: the switch has no call."""
    assert judge(active(EMPTY), cdrs(EMPTY)).verdict == ABSENT
    assert judge(active(listing("204")), cdrs(listing(204))).verdict == ABSENT  # code as a number


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (active(listing(data=[ENTRY])), NOT_ASKED),
        (active(EMPTY), cdrs(listing(data=[ENTRY]))),
        (active(listing(data=[ENTRY])), cdrs(b"<html>oops</html>", 500)),
        (active(b"", 503), cdrs(listing(data=[ENTRY]))),
    ],
)
def test_any_entry_is_found_with_its_callid(first, second):
    """A call in either list is enough, whatever the other answer was; its callid is kept."""
    j = judge(first, second)
    assert (j.verdict, j.callid) == (FOUND, "1700000000.7")


def test_found_without_a_callid():
    """An entry without a callid still means the call exists."""
    j = judge(active(listing(data=[{"uniqueid": "x", "callid": ""}])), NOT_ASKED)
    assert (j.verdict, j.callid) == (FOUND, None)


@pytest.mark.parametrize(
    ("first", "second", "stop"),
    [
        (active(b"<html>Not Found</html>", 404), NOT_ASKED, True),  # the switch has no such function
        (active(listing("403", None), 403), NOT_ASKED, True),  # the account lacks the privilege
        (active(listing("402", None), 402), NOT_ASKED, True),
        (active(listing("401", None), 401), NOT_ASKED, True),
        (active(listing("400", None), 400), NOT_ASKED, True),  # a filter this version does not take
        (active(EMPTY), cdrs(listing("403", None), 403), True),  # no cdrs privilege: finished calls unseen
        (active(listing("403", None), 200), NOT_ASKED, True),  # the code counts even under HTTP 200
        (active(b"<html>error</html>", 500), NOT_ASKED, False),
        (active(EMPTY), cdrs(b"busy", 503), False),
        (active(b"<html>OK</html>"), NOT_ASKED, False),  # not JSON
        (active(listing(data={"callid": "1"})), NOT_ASKED, False),  # data not a list
        (active(listing(data=["1700000000.7"])), NOT_ASKED, False),  # entries not objects
        (active(listing("204", None)), NOT_ASKED, False),  # no data at all: not "none"
        (active(listing("500", [])), NOT_ASKED, False),  # a list under an error code
        (no_answer(ACTIVE_PATH, "timeout"), NOT_ASKED, False),
        (active(EMPTY), no_answer(CDRS_PATH, "ServerDisconnectedError"), False),
        (active(EMPTY), NOT_ASKED, False),  # half an answer is no answer
    ],
)
def test_anything_else_decides_nothing(first, second, stop):
    """Errors, refusals, timeouts, bodies that are not lists: unasked, never absent; a refusal that
    means "not offered" or "not allowed" stops asking for the run."""
    j = judge(first, second)
    assert j.verdict == UNASKED
    assert j.stop_asking is stop
    assert j.reason


def test_the_question_and_its_window():
    """Exact numbers; the CDR window opens before the request left and closes after now, with slack
    for a switch clock that disagrees with ours; nothing secret in what is written down."""
    q = question_for("2000000001", "100", sent_at=1_700_000_000.9, now=1_700_000_030.2)
    assert q.active_filters() == [("snumber", "2000000001"), ("cnumber", "100")]
    assert dict(q.cdrs_filters()) == {
        "snumber": "2000000001",
        "cnumber": "100",
        "start": str(1_700_000_000 - CLOCK_SLACK),
        "end": str(1_700_000_030 + CLOCK_SLACK),
        "limit": "10",
    }
    assert set(q.fields()) == {"snumber", "cnumber", "start", "end"}


def test_settle_time_is_delay_plus_wait_plus_margin():
    assert settle_seconds({"delay": "5", "wait": "8"}, 2.5) == 15.5
    assert settle_seconds({}, 1.0) == 1.0
    assert settle_seconds({"delay": "x"}, 1.0) == 1.0
