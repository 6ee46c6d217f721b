"""Reading window settings: clock times, weekday lists, time zone names, holiday calendars.

Every function names where a value came from (``where``: "[window] hours", "--window", ...) so an
error tells the operator exactly what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays as holidays_lib

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
US_PER_DAY = 24 * 3600 * 1_000_000
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")

Interval = tuple[int, int]  # [start, end) in microseconds after local midnight
DayHours = tuple[Interval, ...]


class WindowError(ValueError):
    """A window setting is unusable. The message is one sentence naming the setting and its value."""


@cache
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


@lru_cache(maxsize=4096)
def zone_or_none(name: str) -> ZoneInfo | None:
    """The zone called NAME (case-insensitively, as operators type "europe/london"), or None."""
    name = name.strip()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    canonical = _zones_by_folded_name().get(name.casefold())
    return ZoneInfo(canonical) if canonical else None


def parse_zone(value: Any, where: str) -> ZoneInfo:
    zone = zone_or_none(value) if isinstance(value, str) else None
    if zone is None:
        raise WindowError(f"{where} {value!r} is not a time zone name such as Europe/London.")
    return zone


def _parse_clock(text: str, where: str, whole: str) -> int:
    match = _CLOCK.fullmatch(text.strip())
    hour, minute = (int(match[1]), int(match[2])) if match else (99, 99)
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        raise WindowError(f"{where} {whole!r} has {text.strip()!r}, which is not a time from 00:00 to 24:00.")
    return (hour * 60 + minute) * 60 * 1_000_000


def parse_hours(value: Any, where: str) -> DayHours:
    """'09:00-12:00,13:00-17:00' (or a list of ranges) as merged, sorted intervals; '' means closed."""
    parts = _split(value, where, "a time range like 09:00-17:00")
    intervals = []
    for part in parts:
        if part.lower() == "closed":
            continue
        start_text, dash, end_text = part.partition("-")
        if not dash:
            raise WindowError(f"{where} {value!r} has {part!r}, which is not a time range like 09:00-17:00.")
        start, end = _parse_clock(start_text, where, str(value)), _parse_clock(end_text, where, str(value))
        # An overnight range would make a holiday ambiguous (which date's?); two ranges say it plainly.
        if start >= end:
            raise WindowError(
                f"{where} {value!r} has {part!r}, which does not end after it starts "
                "(split an overnight range at 24:00)."
            )
        intervals.append((start, end))
    return _merge(intervals)


def _merge(intervals: list[Interval]) -> DayHours:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def _split(value: Any, where: str, shape: str) -> list[str]:
    if isinstance(value, str):
        items: Iterable[Any] = value.split(",")
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise WindowError(f"{where} {value!r} is not {shape}.")
    if not all(isinstance(item, str) for item in items):
        raise WindowError(f"{where} {value!r} is not {shape}.")
    return [item.strip() for item in items if item.strip()]


def _day_index(name: str, where: str, whole: Any) -> int:
    folded = name.strip().lower()
    for index, (short, full) in enumerate(zip(DAY_NAMES, _FULL_DAY_NAMES, strict=True)):
        if folded in (short, full):
            return index
    raise WindowError(
        f"{where} {whole!r} has {name.strip()!r}, which is not a weekday such as mon or friday."
    )


def parse_days(value: Any, where: str) -> frozenset[int]:
    """'mon-fri', 'mon,wed,fri', 'fri-mon' (wraps round the weekend) as weekday numbers, Monday 0."""
    parts = _split(value, where, "a list of weekdays like mon-fri")
    if not parts:
        raise WindowError(f"{where} {value!r} names no weekday.")
    days: set[int] = set()
    for part in parts:
        first, dash, last = part.partition("-")
        start = _day_index(first, where, value)
        stop = _day_index(last, where, value) if dash else start
        days.update((start + step) % 7 for step in range((stop - start) % 7 + 1))
    return frozenset(days)


def parse_weekly(value: Any, where: str) -> tuple[DayHours, ...]:
    """The [window.weekly] table: hours per weekday; a weekday not named is closed."""
    if not isinstance(value, dict):
        raise WindowError(f"{where} must be a table of weekday = hours, not {value!r}.")
    week: list[DayHours] = [()] * 7
    for name, hours in value.items():
        week[_day_index(str(name), where, name)] = parse_hours(hours, f"{where}.{name}")
    return tuple(week)


def parse_dates(value: Any, where: str) -> frozenset[date]:
    """Extra closed dates: TOML dates or 'YYYY-MM-DD' strings, in a list or comma-separated."""
    items = value if isinstance(value, list | tuple) else [value]
    out: set[date] = set()
    for item in items:
        if isinstance(item, date):  # TOML bare dates arrive as date (a datetime is a date too)
            out.add(item if type(item) is date else item.date())
            continue
        for text in _split(item, where, "a date like 2026-12-24"):
            try:
                out.add(date.fromisoformat(text))
            except ValueError:
                raise WindowError(f"{where} has {text!r}, which is not a date like 2026-12-24.") from None
    return frozenset(out)


def parse_holidays(country: Any, subdivision: Any, where: str) -> holidays_lib.HolidayBase | None:
    """The public holidays of COUNTRY (and SUBDIVISION), from the holidays package."""
    if country in (None, "", False):
        if subdivision not in (None, ""):
            raise WindowError(
                f"{where} subdivision {subdivision!r} needs holidays, the country it belongs to."
            )
        return None
    if not isinstance(country, str):
        raise WindowError(f"{where} holidays {country!r} is not a country code such as GB.")
    subdiv = str(subdivision).strip() if subdivision not in (None, "") else None
    try:
        return holidays_lib.country_holidays(country.strip().upper(), subdiv=subdiv)
    except NotImplementedError:
        if subdiv is None:
            raise WindowError(
                f"{where} holidays {country!r} is not a country code the holidays package knows."
            ) from None
        raise WindowError(
            f"{where} subdivision {subdiv!r} is not a subdivision of {country!r} the holidays package knows."
        ) from None


def parse_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no", "1", "0"):
        return value.strip().lower() in ("true", "yes", "1")
    raise WindowError(f"{where} {value!r} is not true or false.")


def parse_window_flags(
    window: str | None,
    days: str | None,
    timezone: str | None,
    wait_for_window: bool | None = None,
) -> dict[str, Any]:
    """The --window/--days/--timezone/--wait-for-window flags as keys to merge over the [window] table.

    Values are checked now, so a typo is reported against its flag. ``--window`` replaces a
    [window.weekly] table from the campaign file (``"weekly": None``, which the window reads as
    "not given"); ``--days`` alone does not, and combined with one is reported as a conflict.
    """
    out: dict[str, Any] = {}
    if window is not None:
        parse_hours(window, "--window")
        out["hours"] = window
        out["weekly"] = None
    if days is not None:
        parse_days(days, "--days")
        out["days"] = days
    if timezone is not None:
        parse_zone(timezone, "--timezone")
        out["timezone"] = timezone
    if wait_for_window:
        out["wait_for_window"] = True
    return out
