"""The login every request carries: a token from ``user/login`` where the switch offers one, else the
user name and password.

Enswitch 4.4's ``user/login`` with ``token=1`` returns ``auth_token`` and when it expires; sending the
token instead of the user name and password is faster for the switch and lighter on its database.
A token is renewed a minute before it expires, and once more when the switch answers 401 to it (it
may have expired early, or the switch restarted); a second 401 refuses the account, as a password's
first does. A switch without ``user/login`` (404, or a refusal of the ``token`` field) is sent the
user name and password, as before. The token is a secret like the password: it is added to the run's
secrets, scrubbed from everything written.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import orjson

from dialer.campaign.credentials import Credentials
from dialer.core.secrets import Secrets
from dialer.switch.transport import LookupTransport, TransportFailure

LOGIN_PATH = "user/login"
RENEW_BEFORE = 60.0  # seconds before a token expires when a new one is asked for
_NOT_OFFERED = frozenset({400, 404, 405, 501})


class LoginRefused(Exception):
    """The switch refused the user name and password (401, 402): no request can be made."""


class Login:
    def __init__(
        self,
        transport: LookupTransport | object,
        credentials: Credentials,
        secrets: Secrets,
        *,
        read_timeout: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._transport = transport
        self._credentials = credentials
        self._secrets = secrets
        self._read_timeout = read_timeout
        self._clock = clock
        self._token: str | None = None
        self._expires = 0.0
        self._renewing: asyncio.Task | None = None
        self._after_refusal = False  # the token was got because the switch refused the one before
        self.offered: bool | None = None  # None: not asked yet
        self.logins = 0

    @property
    def uses_token(self) -> bool:
        return self._token is not None

    def fields(self) -> list[tuple[str, str]]:
        """The login fields of a request made now."""
        if self._token is not None:
            return [("auth_token", self._token)]
        return [("auth_username", self._credentials.username), ("auth_password", self._credentials.password)]

    async def start(self) -> None:
        """Ask for a token (LoginRefused when the switch refuses the account)."""
        if self.offered is None and hasattr(self._transport, "post_api"):
            await self._log_in()

    async def fresh(self) -> None:
        """Renew the token when it is about to expire (one renewal shared by every caller)."""
        if self._token is not None and self._clock() >= self._expires - RENEW_BEFORE:
            await self._renew(after_refusal=False)

    async def refused(self, form: list[tuple[str, str]]) -> bool:
        """The switch answered 401 to a request sent with ``form``: True when it may be sent again
        with a new login (a new token, or the password where none can be had); False when the
        account is refused (the token that was refused came from logging in again already)."""
        sent = self.token_of(form)
        if sent is None:
            return False  # the password itself was refused
        if sent != self._token:
            return True  # the login was renewed since that request was sent
        if self._after_refusal:
            return False
        try:
            await self._renew(after_refusal=True)
        except LoginRefused:
            return False
        return True

    async def _renew(self, *, after_refusal: bool) -> None:
        if self._renewing is None or self._renewing.done():
            self._renewing = asyncio.ensure_future(self._log_in())
            self._after_refusal = after_refusal
        await asyncio.shield(self._renewing)

    def token_of(self, form: list[tuple[str, str]]) -> str | None:
        return next((value for name, value in form if name == "auth_token"), None)

    async def _log_in(self) -> None:
        form = [*self._password_fields(), ("token", "1")]
        try:
            raw = await self._transport.post_api(LOGIN_PATH, form, self._read_timeout)  # type: ignore[attr-defined]
        except TransportFailure:
            self._forget(offered=self.offered)  # no answer: the password, and ask again next time
            return
        self.logins += 1
        code, data = _read(raw.status, raw.body)
        if code in (401, 402):
            self._forget(offered=True)
            raise LoginRefused(f"user/login answered {code}: the switch refused the user name and password")
        token = data.get("auth_token") if isinstance(data, dict) else None
        if code in (200, 204) and isinstance(token, str) and token:
            self._token, self.offered = token, True
            self._secrets.add(token)
            self._expires = _expiry(data, self._clock())
            return
        self._forget(offered=False if code in _NOT_OFFERED or raw.status in _NOT_OFFERED else self.offered)

    def _password_fields(self) -> list[tuple[str, str]]:
        return [("auth_username", self._credentials.username), ("auth_password", self._credentials.password)]

    def _forget(self, offered: bool | None) -> None:
        self._token, self._expires, self.offered = None, 0.0, offered


def _read(status: int, body: bytes) -> tuple[int, object]:
    """The envelope's code (as a number; the HTTP status when there is none) and its data."""
    try:
        doc = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        doc = None
    if not isinstance(doc, dict):
        return status, None
    responses = doc.get("responses")
    first = (
        responses[0] if isinstance(responses, list) and responses and isinstance(responses[0], dict) else {}
    )
    try:
        code = int(first.get("code", status))
    except (TypeError, ValueError):
        code = status
    return code, doc.get("data")


def _expiry(data: dict, now: float) -> float:
    """When the token expires: ``auth_token_expires`` (Unix time) or now plus ``auth_token_expiry``."""
    for value, base in ((data.get("auth_token_expires"), 0.0), (data.get("auth_token_expiry"), now)):
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return base + float(value)
    return now + 300.0  # no expiry given: renewed every few minutes, and on a 401
