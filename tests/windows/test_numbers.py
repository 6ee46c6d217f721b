"""Which time zones a row is in (dialer/windows/_numbers.py): from its time zone column, or from the number it
calls."""

from __future__ import annotations

import phonenumbers
import pytest

from dialer.windows import WindowError, ZoneResolver, called_number


@pytest.mark.parametrize(
    ("number", "zones"),
    [
        ("+12125551234", ("America/New_York",)),
        ("2125551234", ("America/New_York",)),  # national format, default region US
        ("(212) 555-1234", ("America/New_York",)),
        ("100", ()),  # an extension
        ("not a number", ()),
        ("+15555555555", ()),  # phonenumbers says Etc/Unknown
        ("", ()),
    ],
)
def test_zones_for_number(number, zones):
    """Numbers get their region's zones; extensions, junk and unknown regions get ()."""
    assert ZoneResolver("US").zones_for_number(number) == zones


def test_zones_for_number_parses_each_distinct_number_once(monkeypatch):
    """A repeated number is answered from memory, without parsing it again."""
    resolver = ZoneResolver("GB")
    first = resolver.zones_for_number("+44 7911 123456")
    assert "Europe/London" in first

    def refuse(*args, **kwargs):
        raise AssertionError("parsed twice")

    monkeypatch.setattr(phonenumbers, "parse", refuse)
    assert resolver.zones_for_number("+44 7911 123456") == first


def test_called_number_is_the_external_party():
    """stype=phone rings the customer's own line first, so the outside party is cnumber."""
    assert called_number({"stype": "phone", "snumber": "1234567", "cnumber": "2125551234"}) == "2125551234"
    assert called_number({"stype": "", "snumber": "2125551234", "cnumber": "100"}) == "2125551234"
    assert called_number({"snumber": "2125551234", "cnumber": "100"}) == "2125551234"


@pytest.mark.parametrize(
    ("mode", "extras", "zones"),
    [
        ("auto", {"timezone": "America/Chicago"}, ("America/Chicago",)),
        ("auto", {"timezone": " "}, ("America/New_York",)),
        ("auto", {}, ("America/New_York",)),
        ("column", {"TimeZone": "europe/london"}, ("Europe/London",)),
        ("column", {}, ()),
        ("number", {"timezone": "America/Chicago"}, ("America/New_York",)),
        ("none", {"timezone": "America/Chicago"}, ()),
        ("auto", {"timezone": float("nan")}, ("America/New_York",)),
    ],
)
def test_zones_for_row_follows_row_timezone(mode, extras, zones):
    """row_timezone picks the column, the number, either, or neither."""
    params = {"stype": "phone", "snumber": "201", "cnumber": "2125551234"}
    assert ZoneResolver("US").zones_for_row(params, extras, mode, "timezone") == zones


def test_a_bad_zone_in_the_row_column_is_an_error_naming_it():
    """A typo in the zone column is reported, not silently replaced by the number's zones."""
    with pytest.raises(WindowError, match="Europe/Londn"):
        ZoneResolver("US").zones_for_row({"snumber": "2125551234"}, {"tz": "Europe/Londn"}, "auto", "tz")
