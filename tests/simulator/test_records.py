"""What the switch lists about a call (dialer.simulator.records): pure functions, no network."""

from __future__ import annotations

from dialer.simulator.records import active_leg, active_legs, cdr, cdr_page, has_cdr

CALL = {"callid": "1000.1", "snumber": "2125550001", "cnumber": "100", "t": 1000.5}


def call(status: str = "answer", ring: float = 2.7, talk: float = 10.0, **extra) -> dict:
    length = ring + talk if status == "answer" else ring
    return {**CALL, "status": status, "ring_s": ring, "talk_s": talk, "end": CALL["t"] + length, **extra}


def test_cdr_times_are_whole_seconds_that_agree():
    """start, end and the answer are whole Unix seconds; totaltime = end - start, talktime = end -
    answered."""
    record = cdr(call())  # placed 1000.5, answered 1003.2, ended 1013.2
    assert (record["start"], record["end"], record["totaltime"], record["talktime"]) == (1000, 1013, 13, 10)
    unanswered = cdr(call("noanswer", ring=20.0))
    assert (unanswered["totaltime"], unanswered["talktime"], unanswered["status"]) == (20, 0, "noanswer")


def test_active_leg_answered_only_once_picked_up():
    """answered is 0 while the call rings, the answer's second after."""
    assert active_leg(call(), now=1003.0)["answered"] == 0
    assert active_leg(call(), now=1003.3)["answered"] == 1003
    assert active_leg(call("noanswer"), now=1003.0)["answered"] == 0


def test_a_call_is_active_until_its_end_then_a_cdr_after_the_delay():
    """Active from placement to end (excluded); its CDR listed from end + delay."""
    placed = call()  # ends 1013.2
    assert [len(active_legs([placed], {}, now)) for now in (1000.5, 1013.1, 1013.2)] == [1, 1, 0]
    assert [has_cdr(placed, now, 2.0) for now in (1013.2, 1015.1, 1015.2)] == [False, False, True]


def test_cdr_page_is_sorted_offset_and_capped():
    """Sorted by start then uniqueid whatever the order of placement; offset skips; the cap wins over
    a larger limit and over no limit."""
    calls = [call(callid=f"1000.{n}", t=1000.0 + (n % 3)) for n in range(7)]
    page = cdr_page(calls, {}, now=2000.0, delay=0.0, page_max=4)
    assert [(r["start"], r["uniqueid"]) for r in page] == [
        (1000, "1000.0-1"),
        (1000, "1000.3-1"),
        (1000, "1000.6-1"),
        (1001, "1000.1-1"),
    ]
    assert cdr_page(calls, {"limit": "9"}, 2000.0, 0.0, 4) == page
    assert cdr_page(calls, {"limit": "0"}, 2000.0, 0.0, 4) == page
    rest = cdr_page(calls, {"offset": "4", "limit": "9"}, 2000.0, 0.0, 4)
    assert [r["uniqueid"] for r in rest] == ["1000.4-1", "1000.2-1", "1000.5-1"]


def test_a_call_whose_cdr_the_switch_never_writes_is_active_then_listed_nowhere():
    """--no-cdr: the call shows while it lasts, and no cdrs/list answer ever lists it."""
    lost = call(cdr=False)  # ends 1013.2
    assert len(active_legs([lost], {}, 1005.0)) == 1
    assert not has_cdr(lost, 5000.0, 0.0) and cdr_page([lost, call()], {}, 5000.0, 0.0, 10) == [cdr(call())]
