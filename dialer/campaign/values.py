"""Checking a campaign's settings one value at a time: numbers within their bounds, the switch's
address, keys a campaign file knows. Each check names where the value came from (``where``: a
campaign file's "[pacing] rate", or "--rate"), so that a mistake is reported against what to fix.

A value that is not what it should be is refused, never read as something else: a rate of "nan"
or a typo'd key would otherwise turn pacing off without a word.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

MAKE_PATH = "/api/json/calls/make/"


class CampaignError(Exception):
    """The campaign file or flags are unusable. The message names the file and the setting."""


@dataclass(frozen=True)
class Bounds:
    """The numbers a setting takes: ``low`` to ``high``, ``low`` itself only if ``low_allowed``."""

    low: float
    high: float
    low_allowed: bool = True
    whole: bool = False
    unit: str = ""

    def describe(self) -> str:
        low = f"{'at least' if self.low_allowed else 'above'} {self.low:,g}"
        what = "a whole number" if self.whole else "a number"
        return f"{what} {low} and at most {self.high:,g}{' ' + self.unit if self.unit else ''}"


# The bounds of every number a campaign sets (README: "The campaign file").
RATE = Bounds(0, 100_000, low_allowed=False, unit="requests per period")
PERIOD = Bounds(0.001, 86_400, unit="seconds")
RATE_PER_SECOND = 100_000  # rate / period: no switch takes more calls/make requests a second
CONCURRENCY = Bounds(1, 100_000, whole=True)
ATTEMPTS = Bounds(1, 100, whole=True)
BACKOFF = Bounds(0, 3_600, low_allowed=False, unit="seconds")
MAX_BACKOFF = Bounds(0, 86_400, low_allowed=False, unit="seconds")
TIMEOUT_MARGIN = Bounds(0, 600, low_allowed=False, unit="seconds")
SETTLE = Bounds(0, 3_600, unit="seconds")
FIRST_LOOK = Bounds(0, 86_400, unit="seconds")
GIVE_UP = Bounds(1, 7 * 86_400, unit="seconds")
OUTCOME_WAIT = Bounds(0, 86_400, unit="seconds")
RECYCLE_AFTER = Bounds(1, 30 * 86_400, unit="seconds")
RECYCLE_ATTEMPTS = Bounds(1, 100, whole=True)


def number(value: Any, where: str, bounds: Bounds) -> float:
    """``value`` as a number within ``bounds``, or CampaignError naming ``where``."""
    given = f"{where} {value}" if where.startswith("--") else f"{where} = {value!r}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CampaignError(f"{given} is not a number: give {bounds.describe()}")
    if isinstance(value, float) and not math.isfinite(value):
        raise CampaignError(f"{given} is not a number: give {bounds.describe()}")
    too_low = value < bounds.low or (value == bounds.low and not bounds.low_allowed)
    if too_low or value > bounds.high or (bounds.whole and value != int(value)):
        raise CampaignError(f"{given} is out of range: give {bounds.describe()}")
    return int(value) if bounds.whole else float(value)


_DURATION = re.compile(r"\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*")


def duration(value: Any, where: str, bounds: Bounds) -> float:
    """Seconds, from a number or text such as "90", "90s", "30m", "2h" or "1h30m", within ``bounds``."""
    if isinstance(value, str):
        found = _DURATION.fullmatch(value)
        if not found or not any(found.groups()):
            raise CampaignError(f"{where} = {value!r} is not a duration such as 90s, 30m or 2h")
        hours, minutes, seconds = (float(g) if g else 0.0 for g in found.groups())
        value = hours * 3600 + minutes * 60 + seconds
    return number(value, where, bounds)


def switch_url(value: Any, where: str) -> str:
    """A switch's base address or its full calls/make address, as the calls/make address.

    Only http(s) with a host; never one that carries a login (a user name or password, or an
    ``auth_`` field in its query): the password goes in the body of each request, nowhere else."""
    text = str(value).strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CampaignError(
            f"{where} {text!r} is not a switch's address: give http:// or https:// and a host, "
            "e.g. https://pbx.example.com"
        )
    if parts.username is not None or parts.password is not None:
        raise CampaignError(
            f"{where} carries a user name or password: give the address alone; the login comes "
            "from ENSWITCH_USERNAME and ENSWITCH_PASSWORD (or what [auth] names)"
        )
    if any(name.lower().startswith("auth_") for name, _ in parse_qsl(parts.query, keep_blank_values=True)):
        raise CampaignError(
            f"{where} carries an auth_ field: give the address alone; the login comes from the "
            "environment or a password file, never from the address"
        )
    if "/api/json/" in text:
        return text if text.endswith("/") else text + "/"
    return text.rstrip("/") + MAKE_PATH


def known_keys(table: dict, known: Iterable[str], where: str) -> None:
    """CampaignError for the first key of ``table`` that is not one of ``known``, with the closest
    known key as a hint."""
    known = list(known)
    for key in table:
        if key not in known:
            raise CampaignError(f"{where} has {key!r}, which is not a setting{hint(key, known)}")


def hint(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
