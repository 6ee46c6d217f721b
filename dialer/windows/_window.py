"""When a campaign, and each row, may be dialed: pure functions of an instant the caller supplies.

Every question is answered by converting a UTC instant to local wall-clock time with zoneinfo and
looking at that local date and time; nothing ever adds hours to a local time. So across a
daylight-saving change a 09:00-17:00 window opens at 09:00 local on both sides (at different UTC
instants), local times skipped by a spring-forward gap simply never occur, and local times repeated
by a fall-back overlap are open (or closed) both times they occur.

Searches (``next_*``, ``campaign_closes_at``) walk the instants at which a zone's answer can change:
each interval boundary and local midnight (holidays and weekdays change there), at both folds, plus
the zone's own UTC-offset transitions, found per UTC day by bisection. Between two such instants the
answer is constant, so checking each one in order is exact. They look ``horizon`` ahead (14 days by
default) and return None beyond it.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from dialer.windows._parse import (
    DAY_NAMES,
    US_PER_DAY,
    DayHours,
    WindowError,
    parse_bool,
    parse_dates,
    parse_days,
    parse_holidays,
    parse_hours,
    parse_weekly,
    parse_zone,
    zone_or_none,
)

DEFAULT_HORIZON = timedelta(days=14)
ROW_TIMEZONE_MODES = ("auto", "column", "number", "none")
KEYS = (
    "timezone",
    "hours",
    "days",
    "weekly",
    "holidays",
    "subdivision",
    "dates",
    "row_timezone",
    "timezone_column",
    "wait_for_window",
)
_DAY = timedelta(days=1)
_MEMO_LIMIT = 65_536


class CallingWindow:
    """Weekly hours and closed dates, evaluated in the campaign's zone and in each row's zones.

    The campaign window is open at an instant when, in the campaign time zone, the local date is
    not a holiday or an extra closed date and the local time falls in that weekday's hours. A row
    may be dialed when the campaign window is open and the same rule holds in every one of the
    row's zones (holidays looked up on each zone's own local date). A row with no known zone gets
    the campaign window alone.

    Instants are aware datetimes (any zone; answers are in UTC). Answers do not depend on the order
    of questions; the caches only save work.
    """

    def __init__(
        self,
        timezone: str,
        week: Sequence[DayHours],
        *,
        holidays: holidays_lib.HolidayBase | None = None,
        dates: frozenset[date] = frozenset(),
        row_timezone: str = "auto",
        timezone_column: str = "timezone",
        wait_for_window: bool = False,
        horizon: timedelta = DEFAULT_HORIZON,
    ) -> None:
        if len(week) != 7:
            raise ValueError("week needs the hours of 7 days, Monday first")
        if row_timezone not in ROW_TIMEZONE_MODES:
            raise WindowError(
                f"[window] row_timezone {row_timezone!r} is not one of {', '.join(ROW_TIMEZONE_MODES)}."
            )
        self.zone = parse_zone(timezone, "[window] timezone")
        self.week = tuple(tuple(day) for day in week)
        self.holidays = holidays
        self.dates = frozenset(dates)
        self.row_timezone = row_timezone
        self.timezone_column = timezone_column
        self.wait_for_window = wait_for_window
        self.horizon = horizon
        self._closed_dates: dict[date, bool] = {}
        self._holiday_lock = threading.Lock()  # the holidays package fills in a year on first lookup
        self._boundaries: dict[tuple[str, date], tuple[datetime, ...]] = {}
        self._row_zones: dict[tuple[str, ...], tuple[ZoneInfo, ...]] = {}
        self._next_memo: dict[tuple[str, ...], tuple[datetime, datetime]] = {}

    @classmethod
    def from_config(
        cls, table: dict[str, Any] | None, *, horizon: timedelta = DEFAULT_HORIZON
    ) -> CallingWindow | None:
        """The window a [window] table (with flag overrides merged in) describes.

        None when the table sets no window (empty, or only wait_for_window): the campaign may dial
        at any time, and callers treat None as "always open". Keys whose value is None count as
        not given.
        """
        given = {key: value for key, value in (table or {}).items() if value is not None}
        unknown = sorted(set(given) - set(KEYS))
        if unknown:
            raise WindowError(
                f"[window] has {unknown[0]!r}, which is not a window setting ({', '.join(KEYS)})."
            )
        wait = parse_bool(given.pop("wait_for_window", False), "[window] wait_for_window")
        if not given:
            return None
        if "timezone" not in given:
            raise WindowError(
                f"[window] sets {sorted(given)[0]} but no timezone: "
                'give one such as timezone = "Europe/London".'
            )
        zone = parse_zone(given["timezone"], "[window] timezone")
        mode = given.get("row_timezone", "auto")
        if mode not in ROW_TIMEZONE_MODES:
            raise WindowError(
                f"[window] row_timezone {mode!r} is not one of {', '.join(ROW_TIMEZONE_MODES)}."
            )
        column = given.get("timezone_column", "timezone")
        if not isinstance(column, str) or not column.strip():
            raise WindowError(f"[window] timezone_column {column!r} is not a column name.")
        return cls(
            zone.key,
            _week_from(given),
            holidays=parse_holidays(given.get("holidays"), given.get("subdivision"), "[window]"),
            dates=parse_dates(given.get("dates", []), "[window] dates"),
            row_timezone=mode,
            timezone_column=column.strip(),
            wait_for_window=wait,
            horizon=horizon,
        )

    # -- the questions ------------------------------------------------------------------------

    def campaign_open(self, at: datetime) -> bool:
        """Whether the campaign window is open at AT."""
        return self._open_in(self.zone, _utc(at))

    def row_open(self, zones: Sequence[str], at: datetime) -> bool:
        """Whether a row in ZONES may be dialed at AT: the campaign window and every zone open."""
        t = _utc(at)
        return all(self._open_in(zone, t) for zone in self._zones(zones))

    def next_row_open(self, zones: Sequence[str], after: datetime) -> datetime | None:
        """The earliest instant at or after AFTER when ``row_open`` holds, or None beyond the horizon.

        A row can be dialed before the campaign window closes when this is earlier than
        ``campaign_closes_at(after)``.
        """
        t = _utc(after)
        key = tuple(zone.key for zone in self._zones(zones))
        memo = self._next_memo.get(key)
        # Every instant between the memo's question and its answer was closed, so the answer stands.
        if memo is not None and memo[0] <= t <= memo[1]:
            return memo[1]
        found = self._next_all_open(self._zones(zones), t)
        if found is not None:
            if len(self._next_memo) >= _MEMO_LIMIT:
                self._next_memo.clear()
            self._next_memo[key] = (t, found)
        return found

    def next_campaign_open(self, after: datetime) -> datetime | None:
        """The earliest instant at or after AFTER when the campaign window is open, or None."""
        return self.next_row_open((), after)

    def campaign_closes_at(self, at: datetime) -> datetime | None:
        """When the campaign window's current open stretch ends; None when it is closed at AT.

        A stretch that runs past the search horizon gives ``at + horizon``: open at least until
        then, ask again later.
        """
        t = _utc(at)
        if not self._open_in(self.zone, t):
            return None
        limit = t + self.horizon
        for change in self._changes(self.zone, t, limit):
            if not self._open_in(self.zone, change):
                return change
        return limit

    def describe(self) -> str:
        """One line for logs and messages: the hours, the zone and what closes whole days."""
        text = f"{_describe_week(self.week)} ({self.zone.key})"
        closed = []
        if self.holidays is not None:
            subdiv = getattr(self.holidays, "subdiv", None)
            closed.append(f"{self.holidays.country}{'-' + subdiv if subdiv else ''} public holidays")
        if self.dates:
            closed.append(f"{len(self.dates)} listed date{'s' if len(self.dates) != 1 else ''}")
        return text + (f", closed on {' and '.join(closed)}" if closed else "")

    # -- one zone -------------------------------------------------------------------------------

    def _zones(self, names: Sequence[str]) -> tuple[ZoneInfo, ...]:
        key = tuple(names)
        zones = self._row_zones.get(key)
        if zones is None:
            found = {self.zone.key: self.zone}
            for name in key:
                zone = zone_or_none(name)
                if zone is None:
                    raise WindowError(
                        f"row time zone {name!r} is not a time zone name such as Europe/London."
                    )
                found.setdefault(zone.key, zone)
            zones = tuple(found.values())
            if len(self._row_zones) >= _MEMO_LIMIT:
                self._row_zones.clear()
            self._row_zones[key] = zones
        return zones

    def _closed(self, day: date) -> bool:
        closed = self._closed_dates.get(day)
        if closed is None:
            with self._holiday_lock:
                closed = day in self.dates or (self.holidays is not None and day in self.holidays)
            self._closed_dates[day] = closed
        return closed

    def _open_in(self, zone: ZoneInfo, t: datetime) -> bool:
        local = t.astimezone(zone)
        if self._closed(local.date()):
            return False
        now = ((local.hour * 60 + local.minute) * 60 + local.second) * 1_000_000 + local.microsecond
        return any(start <= now < end for start, end in self.week[local.weekday()])

    def _next_open(self, zone: ZoneInfo, t: datetime, limit: datetime) -> datetime | None:
        if self._open_in(zone, t):
            return t
        return next((c for c in self._changes(zone, t, limit) if self._open_in(zone, c)), None)

    def _next_all_open(self, zones: tuple[ZoneInfo, ...], after: datetime) -> datetime | None:
        # Move to the latest of the zones' next openings until they agree; each step is strictly
        # later and lands on a change instant, of which there are finitely many before the limit.
        limit = after + self.horizon
        t = after
        while True:
            latest = t
            for zone in zones:
                found = self._next_open(zone, t, limit)
                if found is None:
                    return None
                latest = max(latest, found)
            if latest == t:
                return t
            t = latest

    def _changes(self, zone: ZoneInfo, after: datetime, limit: datetime) -> Iterator[datetime]:
        """Instants in (after, limit] at which ZONE's answer may change, in order, without repeats."""
        # Candidates for local date D and transitions on UTC date D all lie after UTC midnight of
        # D - 1 (offsets stay within a day), so once day D is in the heap, anything before
        # midnight of D - 1 is final.
        heap: list[datetime] = []
        day = min(after.date(), after.astimezone(zone).date()) - _DAY
        last = None
        while True:
            for instant in self._boundaries_on(zone, day) + _transitions_on(zone.key, day):
                if after < instant <= limit:
                    heapq.heappush(heap, instant)
            safe = datetime(day.year, day.month, day.day, tzinfo=UTC) - _DAY
            while heap and heap[0] < safe:
                instant = heapq.heappop(heap)
                if instant != last:
                    yield instant
                    last = instant
            if safe > limit:
                return
            day += _DAY

    def _boundaries_on(self, zone: ZoneInfo, day: date) -> tuple[datetime, ...]:
        key = (zone.key, day)
        found = self._boundaries.get(key)
        if found is None:
            clocks = {0} | {
                edge for interval in self.week[day.weekday()] for edge in interval if edge < US_PER_DAY
            }
            found = tuple(
                sorted({_local_to_utc(zone, day, clock, fold) for clock in clocks for fold in (0, 1)})
            )
            if len(self._boundaries) >= _MEMO_LIMIT:
                self._boundaries.clear()
            self._boundaries[key] = found
        return found


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"calling windows need an aware datetime, not {at!r}")
    return at.astimezone(UTC)


def _local_to_utc(zone: ZoneInfo, day: date, clock: int, fold: int) -> datetime:
    seconds, micro = divmod(clock, 1_000_000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    local = datetime(day.year, day.month, day.day, hour, minute, second, micro, tzinfo=zone, fold=fold)
    return local.astimezone(UTC)


@lru_cache(maxsize=65_536)
def _transitions_on(zone_key: str, day: date) -> tuple[datetime, ...]:
    """The instant on UTC date DAY when ZONE's offset changes, if it does (to the second)."""
    zone = ZoneInfo(zone_key)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)

    def offset(seconds: int) -> timedelta | None:
        return (start + timedelta(seconds=seconds)).astimezone(zone).utcoffset()

    before = offset(0)
    if offset(86_400) == before:
        return ()
    low, high = 0, 86_400  # offset(low) == before != offset(high)
    while high - low > 1:
        middle = (low + high) // 2
        if offset(middle) == before:
            low = middle
        else:
            high = middle
    return (start + timedelta(seconds=high),)


def _week_from(given: dict[str, Any]) -> tuple[DayHours, ...]:
    if "weekly" in given:
        for key in ("hours", "days"):
            if key in given:
                raise WindowError(
                    f"[window] {key} {given[key]!r} cannot be combined with [window.weekly]; "
                    "give each weekday's hours there instead."
                )
        week = parse_weekly(given["weekly"], "[window.weekly]")
    else:
        hours = parse_hours(given.get("hours", "00:00-24:00"), "[window] hours")
        days = parse_days(given["days"], "[window] days") if "days" in given else frozenset(range(7))
        week = tuple(hours if day in days else () for day in range(7))
    if not any(week):
        raise WindowError(
            f"[window] {given.get('weekly', given.get('hours'))!r} leaves the window closed every day."
        )
    return week


def _format_hours(hours: DayHours) -> str:
    def clock(us: int) -> str:
        minutes = us // 60_000_000
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    return ",".join(f"{clock(start)}-{clock(end)}" for start, end in hours)


def _describe_week(week: tuple[DayHours, ...]) -> str:
    groups: list[tuple[int, int, DayHours]] = []
    for day, hours in enumerate(week):
        if groups and groups[-1][2] == hours and groups[-1][1] == day - 1:
            groups[-1] = (groups[-1][0], day, hours)
        else:
            groups.append((day, day, hours))
    parts = []
    for first, last, hours in groups:
        if hours:
            days = DAY_NAMES[first] if first == last else f"{DAY_NAMES[first]}-{DAY_NAMES[last]}"
            parts.append(f"{days} {_format_hours(hours)}")
    return ", ".join(parts)
