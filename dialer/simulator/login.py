"""user/login (Enswitch 4.4): a token for a user's name and password, to send as ``auth_token``.

GET or POST ``auth_username``, ``auth_password`` and ``token=1``; the answer::

    {"responses": [{"code": "200", "key": "", "message": "OK"}],
     "data": {"auth_token": "<opaque>", "auth_token_expiry": 3600, "auth_token_expires": 1795734901}}

``auth_token_expiry`` is the lifetime in seconds (a JSON integer, or a fraction if the switch was
given one), ``auth_token_expires`` the whole Unix second the token expires in (rounded down). Wrong
credentials are code 401 (HTTP 401), a repeated or unknown parameter or a ``token`` other than 1 a 400
naming it: only token logins are simulated. Any user may log in; a viewer's token is refused by
calls/make with 402, as the viewer's password is. A switch without the function (``login=False``)
answers HTTP 404 with an HTML page. Every request is logged apart (``logins_log``), without the
password or the token.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from dialer.simulator import answers
from dialer.simulator.checks import Refusal, password_matches
from dialer.simulator.query import read_params
from dialer.simulator.state import SimState

LOGIN = "user/login"
PATHS = {f"/api/json/{LOGIN}/", f"/api/json/{LOGIN}"}
_FIELDS = ("auth_username", "auth_password", "token")


def add_routes(app: web.Application, state_key: web.AppKey) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await _login(request, request.app[state_key])

    for path in PATHS:
        app.router.add_get(path, handle, allow_head=False)
        app.router.add_post(path, handle)


async def _login(request: web.Request, state: SimState) -> web.StreamResponse:
    record: dict[str, Any] = {
        "t": time.time(),
        "mono": time.monotonic(),
        "path": LOGIN,
        "method": request.method,
        "code": None,
        "expires": None,
    }
    try:
        return await _answer(request, state, record)
    finally:
        state.log_login(record)


async def _answer(request: web.Request, state: SimState, record: dict[str, Any]) -> web.StreamResponse:
    config = state.config
    if not config.login:
        record["code"] = 404
        return answers.html(404, "404 Not Found")
    params, repeated = await read_params(request)
    name = params.get("auth_username", "")
    if password_matches(config, name, params.get("auth_password", "")):
        refusal = _refusal(params, repeated)
    else:
        refusal = Refusal(401, "", "The authentication details provided are invalid.")
    if refusal is not None:
        record["code"] = refusal.code
        return answers.listing(refusal.code, refusal.key, refusal.message, None, config.code_as_number)
    issued = state.tokens.issue(name)
    lifetime = state.tokens.lifetime
    data = {
        "auth_token": issued.token,
        "auth_token_expiry": int(lifetime) if float(lifetime).is_integer() else lifetime,
        "auth_token_expires": int(issued.expires),
    }
    record["code"], record["expires"] = 200, data["auth_token_expires"]
    return answers.listing(200, "", "OK", data, config.code_as_number)


def _refusal(params: dict[str, str], repeated: list[str]) -> Refusal | None:
    if repeated:
        return Refusal(400, repeated[0], "Parameter given more than once.")
    for key in params:
        if key not in _FIELDS:
            return Refusal(400, key, "Unknown parameter.")
    if "token" not in params:
        return Refusal(400, "token", "Required parameter missing.")
    if params["token"] != "1":
        return Refusal(400, "token", "Invalid value.")
    return None
