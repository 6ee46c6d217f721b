"""Checking a campaign's settings one value at a time: numbers within their bounds, the switch's
address, keys a campaign file knows. Each check names where the value came from (``where``: a
campaign file's "[pacing] rate", or "--rate"), so that a mistake is reported against what to fix.

A value that is not what it should be is refused, never read as something else: a rate of "nan"
or a typo'd key would otherwise turn pacing off without a word.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus, urlsplit

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
        low = f"{'at least' if self.low_allowed else 'above'} {_shown(self.low)}"
        what = "a whole number" if self.whole else "a number"
        return f"{what} {low} and at most {_shown(self.high)}{' ' + self.unit if self.unit else ''}"


def _shown(x: float) -> str:
    """2592000 as "2,592,000", 0.001 as "0.001" (never "2.592e+06")."""
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,g}"


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


def number(value: Any, where: str, bounds: Bounds, *, written: Any = None) -> float:
    """``value`` as a number within ``bounds``, or CampaignError naming ``where`` (and the value as
    ``written``, when it was written otherwise: "59s" for 59)."""
    shown = value if written is None else written
    given = f"{where} {shown}" if where.startswith("--") else f"{where} = {shown!r}"
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
    if not isinstance(value, str):
        return number(value, where, bounds)
    found = _DURATION.fullmatch(value)
    if not found or not any(found.groups()):
        given = f"{where} {value}" if where.startswith("--") else f"{where} = {value!r}"
        raise CampaignError(f"{given} is not a duration such as 90s, 30m or 2h")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in found.groups())
    return number(hours * 3600 + minutes * 60 + seconds, where, bounds, written=value)


# The labels of a host name; a space or the like in it is a typo.
_HOST = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?")


def switch_url(value: Any, where: str) -> str:
    """A switch's base address or its full calls/make address, as the calls/make address.

    Only http(s) with a host (a name, or an IP address) and a valid port; never one that carries a
    login (a user name or password, or an ``auth_`` field in its query or fragment): the password
    goes in the body of each request, nowhere else, and the address is written in the results file."""
    text = str(value).strip() if isinstance(value, str) else ""
    parts = urlsplit(text)
    example = "give http:// or https:// and a host, e.g. https://pbx.example.com"
    # The login checks come first, and the address is only quoted once it holds none: a message
    # must not show a password the address carried.
    no_host_part = "//" not in text  # "user:password@host": read as a scheme and a path
    if (
        parts.username is not None
        or parts.password is not None
        or "@" in (text if no_host_part else parts.netloc)
    ):
        raise CampaignError(
            f"{where} carries a user name or password: give the address alone; the login comes "
            "from ENSWITCH_USERNAME and ENSWITCH_PASSWORD (or what [auth] names)"
        )
    # Split on ';' as well as '&': Enswitch (a Perl CGI) reads both, and so may a proxy.
    fields = [f.partition("=")[0] for part in (parts.query, parts.fragment) for f in re.split(r"[;&]", part)]
    if any(unquote_plus(name).strip().lower().startswith("auth_") for name in fields):
        raise CampaignError(
            f"{where} carries an auth_ field: give the address alone; the login comes from the "
            "environment or a password file, never from the address"
        )
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        shown = f" {value!r}" if isinstance(value, str) and "@" not in value else ""
        raise CampaignError(f"{where}{shown} is not a switch's address: {example}")
    host = parts.hostname
    if not (_HOST.fullmatch(host) or _ip_address(host)):
        raise CampaignError(f"{where} {text!r}: {host!r} is not a host name or an IP address; {example}")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        raise CampaignError(f"{where} {text!r} has a port that is not a number from 1 to 65535") from None
    if parts.port == 0:
        raise CampaignError(f"{where} {text!r} has a port that is not a number from 1 to 65535")
    if parts.fragment:
        raise CampaignError(f"{where} {text!r} has a fragment (#...), which no switch's address has")
    if "/api/json/" in text:
        return text if text.endswith("/") else text + "/"
    return text.rstrip("/") + MAKE_PATH


def _ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def known_keys(
    table: dict, known: Iterable[str], where: str, owners: Mapping[str, str] | None = None
) -> None:
    """CampaignError for the first key of ``table`` that is not one of ``known``, with the closest
    known key as a hint, or (``owners``: key -> section) the section the key belongs in."""
    known = list(known)
    for key in table:
        if key not in known:
            close = hint(key, known)
            if not close and owners and key in owners:
                close = f" (it belongs under [{owners[key]}])"
            raise CampaignError(f"{where} has {key!r}, which is not a setting{close}")


def hint(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
