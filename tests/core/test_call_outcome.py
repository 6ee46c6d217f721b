"""What became of a placed call (dialer/core/call_outcome.py): a CDR read tolerantly into a call status,
and a placed call matched to its record, by callid or else by its numbers and time."""

from __future__ import annotations

import pytest

from dialer.core.call_outcome import (
    ANSWERED,
    BUSY,
    CALL_STATUSES,
    FAILED,
    NO_ANSWER,
    NOT_KNOWN,
    PlacedCall,
    call_status,
    match,
    not_known,
    outcome_of,
    read_record,
)

T0 = 1_800_000_000.0


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("answer", ANSWERED),
        ("ANSWERED", ANSWERED),
        ("noanswer", NO_ANSWER),
        ("NO ANSWER", NO_ANSWER),
        ("no-answer", NO_ANSWER),
        ("cancel", NO_ANSWER),
        ("busy", BUSY),
        ("Busy", BUSY),
        ("congestion", FAILED),
        ("failed", FAILED),
        ("chanunavail", FAILED),
    ],
)
def test_raw_statuses_the_switch_writes_are_read_whatever_their_spelling(raw, status):
    assert call_status(raw) == status


@pytest.mark.parametrize("raw", ["", "voicemail", "ringing", "answer?maybe", None, 17, 1.0, True, ["answer"]])
def test_a_raw_status_nobody_knows_is_not_known_never_no_answer(raw):
    """Whatever cannot be read is not-known: no-answer would have the person called again."""
    assert call_status(raw) == NOT_KNOWN


def test_an_unknown_raw_status_is_kept_beside_not_known():
    outcome = outcome_of(read_record({"callid": "1.1", "status": "voicemail", "start": T0}))
    assert (outcome.call_status, outcome.switch_status) == (NOT_KNOWN, "voicemail")
    assert "voicemail" in outcome.reason


def test_a_record_is_read_with_its_times_and_raw_status():
    entry = {
        "uniqueid": "1.1-1",
        "callid": "1.1",
        "start": str(int(T0)),  # a number as text, as a PHP switch may write it
        "end": T0 + 40,
        "talktime": 31,
        "totaltime": 40,
        "snumber": 2125550000,  # a number as a JSON number
        "cnumber": "100",
        "status": "answer",
    }
    record = read_record(entry)
    assert (record.start, record.talk_s, record.total_s) == (T0, 31.0, 40.0)
    assert (record.snumber, record.cnumber, record.uniqueid) == ("2125550000", "100", "1.1-1")
    fields = outcome_of(record).fields()
    assert fields == {
        "call_status": ANSWERED,
        "switch_status": "answer",
        "talk_s": 31.0,
        "total_s": 40.0,
        "uniqueid": "1.1-1",
        "callid": "1.1",
        "reason": "the switch's record of the call: answer",
    }


def test_total_time_comes_from_start_and_end_when_the_switch_leaves_it_out():
    assert read_record({"start": T0, "end": T0 + 12}).total_s == 12.0
    assert read_record({"start": T0, "end": T0 - 5}).total_s is None  # an end before the start: unread


@pytest.mark.parametrize("bad", [None, "", "soon", -1, float("nan"), float("inf"), True, [1], {"s": 1}])
def test_values_that_are_not_seconds_are_left_unread(bad):
    record = read_record({"start": bad, "talktime": bad, "totaltime": bad, "callid": bad, "status": "busy"})
    assert (record.start, record.talk_s, record.total_s) == (None, None, None)
    assert record.callid is None or record.callid == str(bad).strip()
    assert outcome_of(record).call_status == BUSY  # what could be read still counts


def test_not_known_says_why_and_keeps_the_callid():
    outcome = not_known("the switch has no record of the call", "1.7")
    assert outcome.fields() == {
        "call_status": NOT_KNOWN,
        "switch_status": None,
        "talk_s": None,
        "total_s": None,
        "uniqueid": None,
        "callid": "1.7",
        "reason": "the switch has no record of the call",
    }
    assert NOT_KNOWN in CALL_STATUSES


# -- matching ---------------------------------------------------------------------------------------


def call(key, snumber="2125550000", at=T0, held=0.0, callid=None, cnumber="100"):
    return PlacedCall(key, snumber, cnumber, at, held, callid)


def cdr(callid=None, snumber="2125550000", start=T0, uniqueid=None, status="answer", cnumber="100"):
    return read_record(
        {
            "callid": callid,
            "uniqueid": uniqueid or f"{callid or snumber}-{start}",
            "snumber": snumber,
            "cnumber": cnumber,
            "start": start,
            "status": status,
        }
    )


def test_a_call_with_a_callid_is_matched_by_it_whatever_its_numbers_and_time():
    """The switch may keep numbers in another form, and its clock may be off: the callid decides."""
    record = cdr(callid="9.1", snumber="+12125550000", start=T0 + 3_000)
    assert match([call("a", callid="9.1")], [record], slack=30) == {"a": record}


def test_of_two_legs_with_one_callid_the_one_with_the_calls_numbers_is_its_record():
    agent = cdr(callid="9.1", snumber="100", cnumber="2125550000", uniqueid="9.1-2", status="answer")
    person = cdr(callid="9.1", uniqueid="9.1-1", status="noanswer")
    assert match([call("a", callid="9.1")], [agent, person], slack=30) == {"a": person}


def test_without_a_callid_the_record_with_the_same_numbers_nearest_in_time_is_the_calls():
    near, far = cdr(start=T0 + 2), cdr(start=T0 + 20)
    other_number = cdr(snumber="2125559999", start=T0)
    found = match([call("a")], [far, other_number, near], slack=30)
    assert found == {"a": near}


def test_a_record_outside_the_window_is_no_calls():
    """The window runs from ``slack`` before the call was sent to ``held + slack`` after it."""
    early, late = cdr(start=T0 - 31), cdr(start=T0 + 10 + 31)
    assert match([call("a", held=10)], [early, late], slack=30) == {}
    inside = cdr(start=T0 + 10 + 29)
    assert match([call("a", held=10)], [early, inside, late], slack=30) == {"a": inside}


def test_a_record_goes_to_one_call_only():
    """Two calls to one person close in time and one record: the other call is not given it too."""
    record = cdr(start=T0 + 1)
    found = match([call("a", at=T0), call("b", at=T0 + 2)], [record], slack=30)
    assert list(found.values()) == [record] and len(found) == 1


def test_two_calls_to_one_person_each_get_their_own_record():
    first, second = cdr(start=T0, status="noanswer"), cdr(start=T0 + 15, status="answer")
    found = match([call("b", at=T0 + 15), call("a", at=T0)], [second, first], slack=30)
    assert found == {"a": first, "b": second}


def test_a_record_read_twice_from_two_pages_is_one_record():
    """A record listed twice (pages that moved while being read) is still given to one call."""
    record = cdr(start=T0)
    again = cdr(start=T0)
    found = match([call("a"), call("b", at=T0 + 1)], [record, again], slack=30)
    assert len(found) == 1


def test_a_callid_record_already_taken_leaves_the_call_to_be_matched_by_numbers():
    taken_by_a = cdr(callid="9.1", start=T0)
    by_numbers = cdr(start=T0 + 5)
    found = match([call("a", callid="9.1"), call("b", callid="9.1", at=T0 + 5)], [taken_by_a, by_numbers], 30)
    assert found == {"a": taken_by_a, "b": by_numbers}


def test_a_record_without_a_start_is_matched_only_by_callid():
    undated = read_record({"callid": "9.1", "snumber": "2125550000", "cnumber": "100", "status": "busy"})
    assert match([call("a")], [undated], slack=30) == {}
    assert match([call("a", callid="9.1")], [undated], slack=30) == {"a": undated}


def test_nothing_to_match_matches_nothing():
    assert match([], [cdr()], slack=30) == {}
    assert match([call("a")], [], slack=30) == {}
