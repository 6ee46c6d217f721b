"""Reading window settings (dialer/windows/_parse.py): each unusable setting or flag is an error naming
it, and the flags become the campaign file's keys."""

from __future__ import annotations

import pytest

from dialer.windows import CallingWindow, WindowError, parse_window_flags
from tests.helpers.windows import utc, window


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ({"timezone": "Europe/Londres"}, "timezone 'Europe/Londres'"),
        ({"timezone": "UTC", "hours": "25:00-26:00"}, "'25:00'"),
        ({"timezone": "UTC", "hours": "09:00"}, "hours '09:00'"),
        ({"timezone": "UTC", "hours": "17:00-09:00"}, "'17:00-09:00'"),
        ({"timezone": "UTC", "hours": "09:60-10:00"}, "'09:60'"),
        ({"timezone": "UTC", "hours": "24:00-24:30"}, "'24:30'"),
        ({"timezone": "UTC", "days": "mon-fry"}, "'fry'"),
        ({"timezone": "UTC", "weekly": {"mon": "09:00-17:00", "funday": "10:00-12:00"}}, "'funday'"),
        ({"timezone": "UTC", "holidays": "XX"}, "holidays 'XX'"),
        ({"timezone": "UTC", "holidays": "GB", "subdivision": "ZZZ"}, "subdivision 'ZZZ'"),
        ({"timezone": "UTC", "subdivision": "ENG"}, "subdivision 'ENG'"),
        ({"timezone": "UTC", "dates": ["2026-02-30"]}, "'2026-02-30'"),
        ({"timezone": "UTC", "row_timezone": "guess"}, "row_timezone 'guess'"),
        ({"timezone": "UTC", "timezone_column": ""}, "timezone_column ''"),
        ({"timezone": "UTC", "wait_for_window": "maybe"}, "wait_for_window 'maybe'"),
        ({"timezone": "UTC", "hour": "09:00-17:00"}, "'hour'"),
        ({"hours": "09:00-17:00"}, "no timezone"),
        ({"timezone": "UTC", "hours": ""}, "closed every day"),
        ({"timezone": "UTC", "days": "mon", "weekly": {"mon": "09:00-17:00"}}, "days 'mon'"),
    ],
)
def test_bad_settings_raise_window_error_naming_them(table, named):
    """Each unusable setting raises WindowError whose one sentence names the key and the value."""
    with pytest.raises(WindowError) as caught:
        CallingWindow.from_config(table)
    assert named in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_window_flags_become_window_keys():
    """--window, --days and --timezone give the same keys as the campaign file."""
    flags = parse_window_flags("09:00-17:00", "mon-fri", "Europe/London")
    assert flags == {"hours": "09:00-17:00", "weekly": None, "days": "mon-fri", "timezone": "Europe/London"}
    assert parse_window_flags(None, None, None) == {}
    assert parse_window_flags(None, None, None, wait_for_window=True) == {"wait_for_window": True}
    w = window(**flags)
    assert w.next_campaign_open(utc(2026, 3, 27, 17, 0)) == utc(2026, 3, 30, 8, 0)


def test_window_flag_replaces_a_weekly_table_from_the_file():
    """--window over a file with [window.weekly] uses the flag's hours instead of failing."""
    from_file = {"timezone": "UTC", "weekly": {"sat": "10:00-12:00"}, "holidays": "GB"}
    w = window(**{**from_file, **parse_window_flags("14:00-15:00", None, None)})
    assert w.campaign_open(utc(2026, 1, 5, 14, 30))
    assert not w.campaign_open(utc(2026, 1, 10, 11, 0))
    with pytest.raises(WindowError, match="weekly"):
        CallingWindow.from_config({**from_file, **parse_window_flags(None, "mon", None)})


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("25:00-26:00", None, None), "--window"),
        ((None, "mon-fry", None), "--days"),
        ((None, None, "London"), "--timezone"),
    ],
)
def test_bad_flags_are_reported_against_the_flag(args, named):
    """A bad flag value raises WindowError naming the flag and the value."""
    with pytest.raises(WindowError, match=named):
        parse_window_flags(*args)
