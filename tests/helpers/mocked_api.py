"""The switch's API mocked at aiohttp's level (``aioresponses``), for the client's unit tests: the
addresses, Enswitch's answer envelope, and the forms the client sent."""

from __future__ import annotations

from urllib.parse import parse_qsl

import orjson
from aioresponses import aioresponses
from yarl import URL

from dialer.switch.transport import api_url

MAKE_URL = "http://pbx.test/api/json/calls/make/"
LOGIN_URL = api_url(MAKE_URL, "user/login")
CDRS_URL = api_url(MAKE_URL, "cdrs/list")
ACTIVE_URL = api_url(MAKE_URL, "calls/active/list")


def envelope(code: str = "200", data: object = None, key: str = "", message: str = "OK") -> bytes:
    doc: dict = {"responses": [{"code": code, "key": key, "message": message}]}
    if data is not None:
        doc["data"] = data
    return orjson.dumps(doc)


def token_answer(token: str, expiry: object = 3_600, expires: object = None) -> bytes:
    data: dict = {"auth_token": token, "auth_token_expiry": expiry}
    if expires is not None:
        data["auth_token_expires"] = expires
    return envelope("200", data)


def forms(mock: aioresponses, url: str) -> list[dict[str, str]]:
    """The forms POSTed to ``url``, in order."""
    calls = mock.requests.get(("POST", URL(url)), [])
    return [dict(parse_qsl(call.kwargs["data"].decode(), keep_blank_values=True)) for call in calls]


def requested_urls(mock: aioresponses) -> list[str]:
    return [str(url) for (_, url), calls in mock.requests.items() for _ in calls]


def bodies(mock: aioresponses) -> list[bytes]:
    return [call.kwargs["data"] for calls in mock.requests.values() for call in calls]
