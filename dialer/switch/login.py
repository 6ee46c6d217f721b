"""The login every request carries: a token from ``user/login`` where the switch offers one, else the
user name and password.

Enswitch 4.4's ``user/login`` with ``token=1`` returns ``auth_token`` and when it expires; sending the
token instead of the user name and password is faster for the switch and lighter on its database.
A token is renewed shortly before it expires (a minute, or a quarter of its life when that is
shorter), and once more when the switch answers 401 to it (it may have expired early, or the switch
restarted); a 401 to a token got that way, before the switch accepted any request with it, refuses
the account, as a password's first 401 does. A switch without ``user/login`` (404, or a refusal of the
``token`` field) is sent the user name and password, as before; one that could not be reached is
asked again a minute later. The token is a secret like the password: it is added to the run's
secrets, scrubbed from everything written.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import orjson

from dialer.campaign.credentials import Credentials
from dialer.core.secrets import Secrets
from dialer.switch.transport import LookupTransport, TransportFailure

LOGIN_PATH = "user/login"
RENEW_BEFORE = 60.0  # seconds before a token expires when a new one is asked for (at most)
RETRY_UNREACHED = 60.0  # seconds before a user/login that got no answer is asked again
DEFAULT_LIFETIME = 300.0  # seconds a token is taken to last when the switch does not say
_NOT_OFFERED = frozenset({400, 403, 404, 405, 501})


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
        self._renew_at = 0.0  # Unix time: a token is renewed from then on
        self._retry_at = 0.0  # Unix time: a user/login that got no answer is asked again from then on
        self._renewing: asyncio.Future | None = None
        # The token was got because the switch refused the one before, and no answer has accepted it
        # yet: a 401 to it refuses the account.
        self._unproven = False
        self.offered: bool | None = None  # None: not asked yet, or no answer came
        self.refused_by: str | None = None  # why the switch refused the user name and password
        self.logins = 0  # answers from user/login

    @property
    def uses_token(self) -> bool:
        return self._token is not None

    def fields(self) -> list[tuple[str, str]]:
        """The login fields of a request made now."""
        if self._token is not None:
            return [("auth_token", self._token)]
        return self._password_fields()

    async def start(self) -> None:
        """Ask for a token (LoginRefused when the switch refuses the account)."""
        if self.offered is None and hasattr(self._transport, "post_api"):
            await self._log_in()

    async def fresh(self) -> None:
        """Renew the token when it is about to expire, or ask user/login again when it could not be
        reached before (one login shared by every caller). Never raises: a refused login leaves the
        password to be sent, which the switch refuses in its turn."""
        now = self._clock()
        if self._token is not None:
            if now >= self._renew_at:
                await self._renew(after_refusal=False)
        elif self._unreached() and now >= self._retry_at:
            await self._renew(after_refusal=False)

    def _unreached(self) -> bool:
        """No answer from user/login yet (and a transport that can ask it)."""
        return self.offered is None and self.refused_by is None and hasattr(self._transport, "post_api")

    def accepted(self, form: list[tuple[str, str]]) -> None:
        """The switch answered a request sent with ``form`` without refusing its login."""
        if self._unproven and self._token is not None and self.token_of(form) == self._token:
            self._unproven = False

    async def refused(self, form: list[tuple[str, str]]) -> bool:
        """The switch answered 401 to a request sent with ``form``: True when it may be sent again
        with a new login (a new token, or the password where none can be had); False when the
        account is refused (the password itself, or a token got by logging in again after a 401)."""
        sent = self.token_of(form)
        if sent is None:
            return False  # the password itself was refused
        if self._renewing is not None and not self._renewing.done():
            await asyncio.shield(self._renewing)  # a login under way: the answer to compare with
        if sent != self._token:
            return self.refused_by is None  # the login changed since that request was sent
        if self._unproven:
            return False
        await self._renew(after_refusal=True)
        return self.refused_by is None

    def token_of(self, form: list[tuple[str, str]]) -> str | None:
        return next((value for name, value in form if name == "auth_token"), None)

    async def _renew(self, *, after_refusal: bool) -> None:
        if self._renewing is None or self._renewing.done():
            self._renewing = asyncio.ensure_future(self._log_in_quietly(after_refusal))
        await asyncio.shield(self._renewing)

    async def _log_in_quietly(self, after_refusal: bool) -> None:
        with contextlib.suppress(LoginRefused):  # refused_by says so; the password is refused in turn
            await self._log_in(after_refusal)

    async def _log_in(self, after_refusal: bool = False) -> None:
        form = [*self._password_fields(), ("token", "1")]
        asked_at = self._clock()
        try:
            raw = await self._transport.post_api(LOGIN_PATH, form, self._read_timeout)  # type: ignore[attr-defined]
        except TransportFailure:
            # No answer: the password for now, and user/login asked again a little later.
            self._forget(offered=self.offered)
            self._retry_at = asked_at + RETRY_UNREACHED
            return
        self.logins += 1
        code, data = _read(raw.status, raw.body)
        if code in (401, 402):
            self._forget(offered=True)
            self.refused_by = f"user/login answered {code}: the switch refused the user name and password"
            raise LoginRefused(self.refused_by)
        token = data.get("auth_token") if isinstance(data, dict) else None
        if code in (200, 204) and isinstance(token, str) and token:
            self._secrets.add(token)
            self._token, self.offered, self._unproven = token, True, after_refusal
            self._renew_at = _renew_at(data, asked_at)  # type: ignore[arg-type]
            return
        if code in (200, 204) or code in _NOT_OFFERED or raw.status in _NOT_OFFERED:
            self._forget(offered=False)  # an answer without a token: the switch offers none
        else:  # 5xx, a body that is not the API's: asked again later
            self._forget(offered=self.offered)
            self._retry_at = asked_at + RETRY_UNREACHED

    def _password_fields(self) -> list[tuple[str, str]]:
        return [("auth_username", self._credentials.username), ("auth_password", self._credentials.password)]

    def _forget(self, offered: bool | None) -> None:
        self._token, self._renew_at, self.offered, self._unproven = None, 0.0, offered, False


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


def _renew_at(data: dict, asked_at: float) -> float:
    """When to renew a token asked for at ``asked_at``: before it expires by a minute, or by a quarter
    of its life when that is less. Its life is ``auth_token_expiry`` (seconds, counted from when it
    was asked for: this machine's clock against itself), else ``auth_token_expires`` (the switch's
    Unix time, which a clock that disagrees with ours could put in the past), else five minutes."""
    life = _seconds(data.get("auth_token_expiry"))
    if life is None:
        expires = _seconds(data.get("auth_token_expires"))
        life = expires - asked_at if expires is not None and expires > asked_at else None
    if life is None:
        life = DEFAULT_LIFETIME
    return asked_at + life - min(RENEW_BEFORE, life / 4)


def _seconds(value: object) -> float | None:
    """A positive number of seconds, from a JSON number or a numeric string; None otherwise."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if 0 < number < float("inf") else None
