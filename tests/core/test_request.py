"""What calls/make is sent for a row (dialer/core/request.py)."""

from __future__ import annotations

from dialer.core.request import request_params


def test_wait_is_kept_above_the_delay_when_both_are_sent():
    """The API page: with delay and wait, wait should be greater than delay. The stagger delay is
    added to the list's own delay, and wait grows by the total so its tracking time is kept."""
    plain = {"snumber": "2125550001", "cnumber": "100", "wait": "5"}
    assert request_params(plain, 0) == plain
    staggered = request_params(plain, 4)
    assert (staggered["delay"], staggered["wait"]) == ("4", "9")
    both = request_params({**plain, "delay": "3"}, 4)
    assert (both["delay"], both["wait"]) == ("7", "12")
    no_wait = request_params({"snumber": "2125550003", "cnumber": "100"}, 4)
    assert no_wait["delay"] == "4" and "wait" not in no_wait
    for params in (staggered, both):
        assert int(params["wait"]) > int(params["delay"])
