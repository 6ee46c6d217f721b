"""Tokens that user/login hands out (Enswitch 4.4): opaque, random, each for one user until it expires.

The switch keeps them in memory only: a restarted simulator knows none of the tokens it gave out
before, and a client must log in again (it is answered 401, as for an expired token).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import NamedTuple


class Issued(NamedTuple):
    token: str
    expires: float  # Unix time


class Tokens:
    def __init__(self, lifetime: float, clock: Callable[[], float] = time.time, prefix: str = "") -> None:
        """``prefix``: what every token starts with (tests look for it wherever a token must never be)."""
        self.lifetime = lifetime
        self._clock = clock
        self._prefix = prefix
        self._holders: dict[str, tuple[str, float]] = {}  # token -> (username, expires)

    def issue(self, username: str) -> Issued:
        now = self._clock()
        # Expired tokens are forgotten here, so a client that logs in often does not grow the switch.
        self._holders = {t: held for t, held in self._holders.items() if held[1] > now}
        token = self._prefix + secrets.token_urlsafe(32)
        expires = now + self.lifetime
        self._holders[token] = (username, expires)
        return Issued(token, expires)

    def holder(self, token: str) -> str | None:
        """The user a token belongs to; None if the token is unknown or expired."""
        held = self._holders.get(token)
        if held is None or held[1] <= self._clock():
            return None
        return held[0]
