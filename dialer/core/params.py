"""The parameters of Enswitch's calls/make, as its API page lists them.

One table is the single source of truth for the loader (which columns mean what, how to check
them), the client (what may be sent) and the simulator (what it validates).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    STRING = "string"
    NUMBER = "number"  # a telephone line or number: digits, '*', '#', optional leading '+'
    INTEGER = "integer"  # a non-negative whole number
    FLAG = "flag"  # 0 or 1
    STYPE = "stype"  # "phone" or empty
    DIALPLAN = "dialplan"  # "auto" or empty: the only dialplan the API page says is supported


@dataclass(frozen=True)
class Parameter:
    name: str
    kind: Kind
    required: bool = False
    maximum: int | None = None  # for an integer: the largest value dialer sends


# Seconds: the switch holds a request open for ``wait``, and places a call ``delay`` later. Values
# beyond these are typing mistakes, not campaigns (a wait of a day would hold a connection a day).
MAX_WAIT = 300
MAX_DELAY = 86_400


# Order as on the API page; auth_username/auth_password are deliberately absent: they never come
# from a call list and never reach the results file.
PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in (
        Parameter("stype", Kind.STYPE),
        Parameter("snumber", Kind.NUMBER, required=True),
        Parameter("ctype", Kind.STRING),
        Parameter("cnumber", Kind.NUMBER, required=True),
        Parameter("cdialplan", Kind.DIALPLAN),
        Parameter("card", Kind.STRING),
        Parameter("customer", Kind.INTEGER),
        Parameter("answer1", Kind.FLAG),
        Parameter("answer2", Kind.FLAG),
        Parameter("callerid1", Kind.STRING),
        Parameter("callerid2", Kind.STRING),
        Parameter("recordgroup", Kind.INTEGER),
        Parameter("screen1", Kind.FLAG),
        Parameter("screen2", Kind.FLAG),
        Parameter("warn1", Kind.FLAG),
        Parameter("warn2", Kind.FLAG),
        Parameter("delay", Kind.INTEGER, maximum=MAX_DELAY),
        Parameter("wait", Kind.INTEGER, maximum=MAX_WAIT),
        Parameter("noforwards", Kind.FLAG),
    )
}

REQUIRED: tuple[str, ...] = tuple(p.name for p in PARAMETERS.values() if p.required)
AUTH_FIELDS: tuple[str, ...] = ("auth_username", "auth_password")
