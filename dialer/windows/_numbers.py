"""Which time zones a row is in: from its time zone column, or from the number it calls."""

from __future__ import annotations

from collections.abc import Mapping

import phonenumbers
from phonenumbers import timezone as phone_timezone

from dialer.windows._parse import WindowError, zone_or_none

_CACHE_LIMIT = 1_000_000


def called_number(params: Mapping[str, str]) -> str:
    """The external party of a row, whose local time the law protects.

    With ``stype=phone`` the first leg rings the customer's own line and cnumber is the outside
    party; otherwise snumber is the number called first.
    """
    if params.get("stype") == "phone":
        return params.get("cnumber", "")
    return params.get("snumber", "")


class ZoneResolver:
    """Time zones of numbers and rows. One per run: it remembers every number it has looked up.

    Parsing and validating a number costs tens of microseconds, so each distinct number string is
    looked up once; a list of 100k rows with repeats costs no more than its distinct numbers.
    """

    def __init__(self, default_region: str = "US") -> None:
        self.default_region = default_region.strip().upper()
        self._by_number: dict[str, tuple[str, ...]] = {}

    def zones_for_number(self, number: str) -> tuple[str, ...]:
        """The zones of NUMBER's region per phonenumbers, sorted; () when unknown or unparseable.

        A number whose region spans several zones (a mobile, a non-geographic or toll-free number)
        gets all of them: the country's whole list for a non-geographic number.
        """
        key = number.strip()
        zones = self._by_number.get(key)
        if zones is None:
            zones = self._lookup(key)
            if len(self._by_number) < _CACHE_LIMIT:
                self._by_number[key] = zones
        return zones

    def _lookup(self, number: str) -> tuple[str, ...]:
        try:
            parsed = phonenumbers.parse(number, self.default_region)
        except phonenumbers.NumberParseException:
            return ()
        # "Etc/Unknown" (the library's "don't know") and any name this tzdata lacks drop out.
        return tuple(sorted(z for z in phone_timezone.time_zones_for_number(parsed) if zone_or_none(z)))

    def zones_for_row(
        self,
        params: Mapping[str, str],
        extras: Mapping[str, object],
        mode: str = "auto",
        column: str = "timezone",
    ) -> tuple[str, ...]:
        """A row's zones under ``row_timezone`` MODE; () means unknown (the campaign window alone).

        "auto": the COLUMN value when the row has one, else the called number's zones; "column":
        the column only; "number": the number only; "none": (). The column is found in EXTRAS (the
        row's carried-over columns) by name, ignoring case. A column value that is not a time zone
        name raises WindowError naming it: the operator said where the row is, so guessing from
        the number, or dialing on the campaign window alone, could call at a time they ruled out.
        """
        if mode == "none":
            return ()
        if mode in ("auto", "column"):
            value = _cell(extras, column)
            if value:
                zone = zone_or_none(value)
                if zone is None:
                    raise WindowError(
                        f"time zone column {column!r} has {value!r}, which is not a time zone name."
                    )
                return (zone.key,)
            if mode == "column":
                return ()
        if mode in ("auto", "number"):
            return self.zones_for_number(called_number(params))
        raise WindowError(f"row_timezone {mode!r} is not one of auto, column, number, none.")


def _cell(extras: Mapping[str, object], column: str) -> str:
    value = extras.get(column)
    if value is None:
        folded = column.strip().casefold()
        value = next((v for k, v in extras.items() if str(k).strip().casefold() == folded), None)
    if value is None or value != value:  # NaN from a spreadsheet cell is "no value"
        return ""
    return str(value).strip()
