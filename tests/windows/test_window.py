"""When a campaign, and each row, may be dialed (dialer/windows/_window.py): every clock is an injected
datetime; nothing sleeps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dialer.windows import CallingWindow, WindowError, ZoneResolver
from tests.helpers.windows import LONDON, NEW_YORK, utc, window

# -- hours and weekdays ----------------------------------------------------------------------------


def test_open_inside_hours_and_closed_outside():
    """[09:00, 17:00) local: open from the first instant of 09:00 up to, not including, 17:00."""
    w = window(**LONDON, days="mon-fri")
    # Wednesday 10 June 2026, London on BST (UTC+1).
    assert not w.campaign_open(utc(2026, 6, 10, 7, 59, 59))
    assert w.campaign_open(utc(2026, 6, 10, 8, 0))
    assert w.campaign_open(utc(2026, 6, 10, 15, 59, 59))
    assert not w.campaign_open(utc(2026, 6, 10, 16, 0))


def test_answers_accept_any_aware_datetime_and_come_back_in_utc():
    """A question asked in another zone gets the same answer, given in UTC."""
    w = window(**LONDON)
    tokyo = datetime(2026, 6, 11, 1, 30, tzinfo=ZoneInfo("Asia/Tokyo"))  # 17:30 in London
    found = w.next_campaign_open(tokyo)
    assert found == utc(2026, 6, 11, 8, 0)
    assert found.tzinfo is UTC


def test_naive_datetime_is_refused():
    """A naive datetime has no instant; guessing a zone could open the window at the wrong hour."""
    with pytest.raises(ValueError, match="aware"):
        window(**LONDON).campaign_open(datetime(2026, 6, 10, 12, 0))


def test_weekend_is_closed_with_mon_fri_and_the_next_opening_is_monday():
    """Outside `days` the window is closed all day; the next opening is the next listed day."""
    w = window(**LONDON, days="mon-fri")
    assert not w.campaign_open(utc(2026, 6, 13, 12, 0))  # Saturday
    assert w.next_campaign_open(utc(2026, 6, 12, 16, 0)) == utc(2026, 6, 15, 8, 0)


@pytest.mark.parametrize(
    ("days", "open_on"),
    [
        ("mon,wed,fri", {0, 2, 4}),
        ("sat-sun", {5, 6}),
        ("fri-mon", {4, 5, 6, 0}),
        ("Monday, thu", {0, 3}),
        (["tue", "wed-thu"], {1, 2, 3}),
    ],
)
def test_weekday_lists_and_ranges(days, open_on):
    """Lists, ranges, ranges that wrap round the weekend and full names choose the open weekdays."""
    w = window(timezone="UTC", hours="09:00-17:00", days=days)
    # 5-11 January 2026 is Monday to Sunday.
    seen = {day for day in range(7) if w.campaign_open(utc(2026, 1, 5 + day, 12, 0))}
    assert seen == open_on


def test_several_intervals_a_day():
    """'09:00-12:00,13:00-17:00' closes over lunch; closing and reopening instants are exact."""
    w = window(timezone="UTC", hours="09:00-12:00,13:00-17:00")
    assert w.campaign_open(utc(2026, 1, 5, 11, 59))
    assert not w.campaign_open(utc(2026, 1, 5, 12, 30))
    assert w.campaign_closes_at(utc(2026, 1, 5, 10, 0)) == utc(2026, 1, 5, 12, 0)
    assert w.next_campaign_open(utc(2026, 1, 5, 12, 0)) == utc(2026, 1, 5, 13, 0)
    assert w.campaign_closes_at(utc(2026, 1, 5, 13, 0)) == utc(2026, 1, 5, 17, 0)


def test_weekly_table_sets_hours_per_weekday_and_missing_days_are_closed():
    """[window.weekly] gives each weekday its own hours; a weekday it does not name is closed."""
    w = window(timezone="UTC", weekly={"mon": "09:00-12:00", "sat": "10:00-14:00,15:00-16:00"})
    assert w.campaign_open(utc(2026, 1, 5, 9, 0))
    assert not w.campaign_open(utc(2026, 1, 6, 10, 0))  # Tuesday, not named
    assert w.next_campaign_open(utc(2026, 1, 5, 12, 0)) == utc(2026, 1, 10, 10, 0)
    assert w.campaign_closes_at(utc(2026, 1, 10, 15, 30)) == utc(2026, 1, 10, 16, 0)


def test_open_stretch_runs_across_midnight_and_touching_intervals_merge():
    """Monday 18:00-24:00 then Tuesday 00:00-06:00 is one stretch; 12:00-13:00,13:00-14:00 is one too."""
    w = window(timezone="UTC", weekly={"mon": "18:00-24:00,12:00-13:00,13:00-14:00", "tue": "00:00-06:00"})
    assert w.campaign_open(utc(2026, 1, 5, 23, 59, 59))
    assert w.campaign_closes_at(utc(2026, 1, 5, 20, 0)) == utc(2026, 1, 6, 6, 0)
    assert w.campaign_closes_at(utc(2026, 1, 5, 12, 0)) == utc(2026, 1, 5, 14, 0)


def test_closes_at_is_none_when_closed_and_a_lower_bound_when_always_open():
    """Closed: None. Open past the search horizon: at + horizon, a time to ask again."""
    w = window(**LONDON)
    assert w.campaign_closes_at(utc(2026, 6, 10, 20, 0)) is None
    always = window(timezone="UTC", hours="00:00-24:00")
    at = utc(2026, 6, 10, 20, 0)
    assert always.campaign_closes_at(at) == at + timedelta(days=14)


def test_next_open_beyond_the_horizon_is_none():
    """A window that opens only after the horizon gives None, not a guess."""
    w = CallingWindow.from_config(
        {"timezone": "UTC", "hours": "09:00-17:00", "dates": ["2026-01-05", "2026-01-06", "2026-01-07"]},
        horizon=timedelta(days=2),
    )
    assert w is not None
    assert w.next_campaign_open(utc(2026, 1, 5, 0, 0)) is None
    assert w.next_campaign_open(utc(2026, 1, 6, 12, 0)) == utc(2026, 1, 8, 9, 0)


# -- daylight-saving changes -----------------------------------------------------------------------


def test_london_opens_at_0900_local_on_both_sides_of_the_spring_change():
    """Clocks go forward on Sunday 29 March 2026: 09:00 local is 09:00 UTC before, 08:00 UTC after."""
    w = window(**LONDON)
    assert w.next_campaign_open(utc(2026, 3, 28, 0, 0)) == utc(2026, 3, 28, 9, 0)
    assert w.next_campaign_open(utc(2026, 3, 28, 17, 0)) == utc(2026, 3, 29, 8, 0)
    assert w.campaign_closes_at(utc(2026, 3, 28, 9, 0)) == utc(2026, 3, 28, 17, 0)
    assert w.campaign_closes_at(utc(2026, 3, 29, 8, 0)) == utc(2026, 3, 29, 16, 0)
    weekdays = window(**LONDON, days="mon-fri")
    assert weekdays.next_campaign_open(utc(2026, 3, 27, 17, 0)) == utc(2026, 3, 30, 8, 0)


def test_london_opens_at_0900_local_on_both_sides_of_the_autumn_change():
    """Clocks go back on Sunday 25 October 2026: 09:00 local is 08:00 UTC before, 09:00 UTC after."""
    w = window(**LONDON)
    assert w.next_campaign_open(utc(2026, 10, 24, 0, 0)) == utc(2026, 10, 24, 8, 0)
    assert w.next_campaign_open(utc(2026, 10, 24, 16, 0)) == utc(2026, 10, 25, 9, 0)
    assert w.campaign_closes_at(utc(2026, 10, 25, 9, 0)) == utc(2026, 10, 25, 17, 0)


def test_new_york_opens_at_0900_local_across_both_2026_changes():
    """8 March and 1 November 2026: 09:00 in New York moves between 14:00 and 13:00 UTC."""
    w = window(**NEW_YORK)
    assert w.next_campaign_open(utc(2026, 3, 7, 0, 0)) == utc(2026, 3, 7, 14, 0)
    assert w.next_campaign_open(utc(2026, 3, 7, 22, 0)) == utc(2026, 3, 8, 13, 0)
    assert w.next_campaign_open(utc(2026, 10, 31, 0, 0)) == utc(2026, 10, 31, 13, 0)
    assert w.next_campaign_open(utc(2026, 10, 31, 21, 0)) == utc(2026, 11, 1, 14, 0)
    assert w.campaign_closes_at(utc(2026, 11, 1, 14, 0)) == utc(2026, 11, 1, 22, 0)


def test_hours_wholly_inside_the_spring_gap_do_not_occur_that_day():
    """London skips 01:00-02:00 on 29 March: a 01:00-02:00 window next opens on Monday at 01:00 BST."""
    w = window(timezone="Europe/London", hours="01:00-02:00")
    assert not w.campaign_open(utc(2026, 3, 29, 0, 59, 59))
    assert not w.campaign_open(utc(2026, 3, 29, 1, 0))
    assert w.next_campaign_open(utc(2026, 3, 29, 0, 0)) == utc(2026, 3, 30, 0, 0)


def test_hours_starting_inside_the_spring_gap_open_when_the_clocks_jump():
    """01:30-03:00 on 29 March opens at 02:00 BST (01:00 UTC), the first local time past 01:30."""
    w = window(timezone="Europe/London", hours="01:30-03:00")
    assert w.next_campaign_open(utc(2026, 3, 29, 0, 0)) == utc(2026, 3, 29, 1, 0)
    assert not w.campaign_open(utc(2026, 3, 29, 0, 59, 59))
    assert w.campaign_closes_at(utc(2026, 3, 29, 1, 0)) == utc(2026, 3, 29, 2, 0)


def test_new_york_hours_starting_inside_the_spring_gap():
    """New York skips 02:00-03:00 on 8 March: 02:30-04:00 runs from 03:00 to 04:00 EDT."""
    w = window(timezone="America/New_York", hours="02:30-04:00")
    assert w.next_campaign_open(utc(2026, 3, 8, 5, 0)) == utc(2026, 3, 8, 7, 0)
    assert w.campaign_closes_at(utc(2026, 3, 8, 7, 0)) == utc(2026, 3, 8, 8, 0)


def test_hours_inside_the_autumn_overlap_are_open_both_times_round():
    """01:00-02:00 local happens twice on 25 October: the window is open for two real hours."""
    w = window(timezone="Europe/London", hours="01:00-02:00")
    assert w.next_campaign_open(utc(2026, 10, 24, 23, 0)) == utc(2026, 10, 25, 0, 0)
    assert w.campaign_closes_at(utc(2026, 10, 25, 0, 0)) == utc(2026, 10, 25, 2, 0)


def test_hours_starting_inside_the_autumn_overlap_close_while_the_clock_repeats():
    """01:30-03:00 on 25 October: open at 01:30 BST, closed while the clock reads 01:00-01:30 GMT."""
    w = window(timezone="Europe/London", hours="01:30-03:00")
    assert w.next_campaign_open(utc(2026, 10, 24, 23, 0)) == utc(2026, 10, 25, 0, 30)
    assert w.campaign_closes_at(utc(2026, 10, 25, 0, 30)) == utc(2026, 10, 25, 1, 0)
    assert not w.campaign_open(utc(2026, 10, 25, 1, 15))
    assert w.next_campaign_open(utc(2026, 10, 25, 1, 0)) == utc(2026, 10, 25, 1, 30)
    assert w.campaign_closes_at(utc(2026, 10, 25, 1, 30)) == utc(2026, 10, 25, 3, 0)


@pytest.mark.parametrize(
    "table",
    [
        {"timezone": "Europe/London", "hours": "09:00-17:00", "days": "mon-fri"},
        {"timezone": "Europe/London", "hours": "00:30-01:15,01:30-03:00,23:00-24:00"},
        {"timezone": "America/New_York", "hours": "01:00-02:30,08:00-21:00"},
        {"timezone": "Australia/Lord_Howe", "hours": "01:45-02:15,09:00-17:00", "holidays": "AU"},
    ],
)
@pytest.mark.parametrize("start", [utc(2026, 3, 27, 0, 0), utc(2026, 10, 23, 0, 0), utc(2026, 4, 2, 0, 0)])
def test_searches_agree_with_a_minute_by_minute_scan(table, start):
    """next_campaign_open and campaign_closes_at match a brute-force scan over four days."""
    w = window(**table)
    minutes = [start + timedelta(minutes=m) for m in range(4 * 24 * 60)]
    states = [w.campaign_open(t) for t in minutes]
    for index in range(0, len(minutes), 37):
        at = minutes[index]
        following = [minutes[i] for i in range(index, len(minutes)) if states[i] != states[index]]
        if not following:
            continue
        if states[index]:
            assert w.campaign_closes_at(at) == following[0]
        else:
            assert w.next_campaign_open(at) == following[0]


# -- holidays and closed dates ---------------------------------------------------------------------


def test_christmas_and_the_observed_boxing_day_close_england():
    """GB-ENG 2026: Christmas (Fri) and Boxing Day observed (Mon 28th) are closed; Tue 29th opens."""
    w = window(**LONDON, days="mon-fri", holidays="GB", subdivision="ENG")
    assert w.campaign_open(utc(2026, 12, 24, 12, 0))
    assert not w.campaign_open(utc(2026, 12, 25, 12, 0))
    assert w.next_campaign_open(utc(2026, 12, 24, 17, 0)) == utc(2026, 12, 29, 9, 0)


def test_thanksgiving_closes_new_york():
    """US Thanksgiving, Thursday 26 November 2026, is closed; Friday opens at 09:00 EST."""
    w = window(**NEW_YORK, holidays="us")
    assert not w.campaign_open(utc(2026, 11, 26, 15, 0))
    assert w.next_campaign_open(utc(2026, 11, 25, 22, 0)) == utc(2026, 11, 27, 14, 0)


def test_a_holiday_follows_each_zones_own_local_date():
    """Thanksgiving ends at midnight in New York five hours before it ends in Honolulu."""
    w = window(timezone="America/New_York", holidays="US")  # all day, every day but holidays
    honolulu = ("Pacific/Honolulu",)
    assert w.campaign_open(utc(2026, 11, 27, 6, 0))
    assert not w.row_open(honolulu, utc(2026, 11, 27, 6, 0))
    assert w.next_row_open(honolulu, utc(2026, 11, 26, 6, 0)) == utc(2026, 11, 27, 10, 0)


def test_explicit_dates_close_whole_local_days():
    """Extra dates as strings, a comma list or TOML dates close those days in local time."""
    w = window(**LONDON, dates=["2026-12-23, 2026-12-24", date(2026, 6, 10)])
    assert not w.campaign_open(utc(2026, 6, 10, 12, 0))
    assert w.campaign_open(utc(2026, 6, 11, 12, 0))
    assert w.next_campaign_open(utc(2026, 12, 22, 17, 0)) == utc(2026, 12, 25, 9, 0)


# -- rows ------------------------------------------------------------------------------------------


def test_a_row_needs_the_campaign_window_and_its_own():
    """A New York row of a London campaign may be dialed only while both are in hours."""
    w = window(**LONDON)
    new_york = ("America/New_York",)
    assert w.campaign_open(utc(2026, 6, 10, 12, 0))
    assert not w.row_open(new_york, utc(2026, 6, 10, 12, 0))  # 08:00 in New York
    assert w.row_open(new_york, utc(2026, 6, 10, 13, 0))
    assert not w.row_open(new_york, utc(2026, 6, 10, 16, 0))  # London has closed
    assert w.next_row_open(new_york, utc(2026, 6, 10, 7, 0)) == utc(2026, 6, 10, 13, 0)
    assert w.next_row_open(new_york, utc(2026, 6, 10, 16, 0)) == utc(2026, 6, 11, 13, 0)


def test_a_row_with_no_known_zone_follows_the_campaign_window():
    """Zones () mean unknown: the campaign window alone decides."""
    w = window(**LONDON)
    for hour in (7, 8, 12, 16):
        assert w.row_open((), utc(2026, 6, 10, hour, 0)) == w.campaign_open(utc(2026, 6, 10, hour, 0))
    assert w.next_row_open((), utc(2026, 6, 10, 17, 0)) == utc(2026, 6, 11, 8, 0)


def test_an_australian_mobile_is_open_only_when_every_australian_zone_is():
    """+61 4 spans Cocos (UTC+6:30) to Lord Howe (UTC+11 in February): open 02:30-06:00 UTC."""
    w = window(timezone="Australia/Sydney", hours="09:00-17:00")
    resolver = ZoneResolver("AU")
    mobile = resolver.zones_for_number("+61 412 345 678")
    assert {"Indian/Cocos", "Australia/Lord_Howe", "Australia/Perth"} <= set(mobile)
    sydney_landline = resolver.zones_for_number("02 9123 4567")
    assert sydney_landline == ("Australia/Sydney",)
    assert w.row_open(sydney_landline, utc(2026, 2, 1, 22, 0))  # 09:00 in Sydney
    assert not w.row_open(mobile, utc(2026, 2, 1, 22, 0))
    assert w.next_row_open(mobile, utc(2026, 2, 1, 20, 0)) == utc(2026, 2, 2, 2, 30)
    assert w.row_open(mobile, utc(2026, 2, 2, 5, 59, 59))
    assert not w.row_open(mobile, utc(2026, 2, 2, 6, 0))


def test_a_toll_free_number_spanning_all_of_nanp_is_never_inside_business_hours():
    """+1 800 covers Guam to Newfoundland, so no instant is 09:00-17:00 in all of them."""
    w = window(**NEW_YORK)
    zones = ZoneResolver("US").zones_for_number("+1 800 555 1234")
    assert {"Pacific/Guam", "America/St_Johns", "America/New_York"} <= set(zones)
    assert w.next_row_open(zones, utc(2026, 6, 10, 0, 0)) is None


def test_repeated_questions_give_exact_answers_in_any_order():
    """The remembered answer for a zone set is reused only for questions it truly answers."""
    w = window(**LONDON)
    zones = ("America/New_York",)
    asked = [
        (utc(2026, 6, 10, 7, 0), utc(2026, 6, 10, 13, 0)),
        (utc(2026, 6, 10, 9, 0), utc(2026, 6, 10, 13, 0)),
        (utc(2026, 6, 10, 14, 0), utc(2026, 6, 10, 14, 0)),
        (utc(2026, 6, 10, 6, 0), utc(2026, 6, 10, 13, 0)),
        (utc(2026, 6, 10, 16, 0), utc(2026, 6, 11, 13, 0)),
        (utc(2026, 6, 10, 13, 30), utc(2026, 6, 10, 13, 30)),
        (utc(2026, 6, 11, 13, 0), utc(2026, 6, 11, 13, 0)),
    ]
    assert [w.next_row_open(zones, at) for at, _ in asked] == [expected for _, expected in asked]


def test_a_row_zone_that_is_not_a_zone_is_an_error():
    """A bad zone name is reported, not treated as unknown."""
    with pytest.raises(WindowError, match="Mars/Olympus"):
        window(**LONDON).row_open(("Mars/Olympus",), utc(2026, 6, 10, 12, 0))


# -- the window a table gives ----------------------------------------------------------------------


@pytest.mark.parametrize("table", [{}, None, {"wait_for_window": True}, {"hours": None, "timezone": None}])
def test_a_table_that_sets_no_window_means_always_open(table):
    """No window settings: from_config returns None, which callers read as always open."""
    assert CallingWindow.from_config(table) is None


def test_config_keeps_row_settings_and_wait_for_window():
    """row_timezone, timezone_column and wait_for_window are carried on the window."""
    w = window(**LONDON, row_timezone="column", timezone_column="Zone", wait_for_window=True)
    assert (w.row_timezone, w.timezone_column, w.wait_for_window) == ("column", "Zone", True)
    default = window(**LONDON)
    assert (default.row_timezone, default.timezone_column) == ("auto", "timezone")
    assert default.wait_for_window is False


def test_a_timezone_alone_means_all_day_every_day_but_holidays():
    """With no hours or days, only holidays and listed dates close the window."""
    w = window(timezone="Europe/London", holidays="GB")
    assert w.campaign_open(utc(2026, 12, 24, 23, 59))
    assert not w.campaign_open(utc(2026, 12, 25, 0, 0))
    assert w.next_campaign_open(utc(2026, 12, 25, 0, 0)) == utc(2026, 12, 27, 0, 0)


def test_describe_says_hours_zone_and_closed_days():
    """describe() is one line an operator can check the configuration against."""
    w = window(**LONDON, days="mon-fri", holidays="GB", subdivision="ENG", dates=["2026-12-24"])
    assert w.describe() == (
        "mon-fri 09:00-17:00 (Europe/London), closed on GB-ENG public holidays and 1 listed date"
    )
