"""calls/active/list and cdrs/list, answered from the calls the simulator placed.

A placed call is listed by calls/active/list from its placement until it ends, one leg per call:
``{"uniqueid", "callid", "snumber", "cnumber", "start", "answered"}`` (``answered`` the Unix second of
the answer, 0 while ringing or if never answered). With ``count=1`` the answer's ``data`` is an object,
``{"count": n}``, not a list. Once ended (and ``cdr_delay`` later) the call is listed by cdrs/list:
``{"uniqueid", "callid", "start", "end", "talktime", "totaltime", "snumber", "cnumber", "dnumber",
"direction", "status"}`` (see records), sorted by start then uniqueid, paged with ``limit``/``offset``
and never more than ``cdr_page_max`` records a request. Filters are exact (snumber, cnumber, callid;
for CDRs also status and direction, and a window on the call's start in Unix seconds, inclusive),
which is what a client asking about one row relies on. Either function takes a password or a
user/login token. Lookups are logged apart from calls/make arrivals, so pacing measured at the switch
still counts calls/make requests only.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from dialer.simulator import answers, records
from dialer.simulator.checks import SECRET_FIELDS, TOKEN_FIELD, Refusal, account_refusal
from dialer.simulator.config import LOOKUPS_FORBIDDEN, LOOKUPS_MISSING
from dialer.simulator.query import read_params
from dialer.simulator.state import SimState

ACTIVE = "calls/active/list"
CDRS = "cdrs/list"
PATHS = {f"/api/json/{name}{end}": name for name in (ACTIVE, CDRS) for end in ("/", "")}

_INTEGERS = {ACTIVE: ("count",), CDRS: ("start", "end", "limit", "offset")}
_FLAGS = ("count",)
_TEXTS = ("snumber", "cnumber", "callid", "customer", "direction", "status")


def add_routes(app: web.Application, state_key: web.AppKey) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await _lookup(request, request.app[state_key], PATHS[request.path])

    for path in PATHS:
        app.router.add_get(path, handle, allow_head=False)
        app.router.add_post(path, handle)


async def _lookup(request: web.Request, state: SimState, name: str) -> web.StreamResponse:
    record: dict[str, Any] = {
        "t": time.time(),
        "mono": time.monotonic(),
        "path": name,
        "method": request.method,
        "auth": None,
        "snumber": None,
        "cnumber": None,
        "code": None,
        "entries": None,
    }
    try:
        return await _answer(request, state, name, record)
    finally:
        state.log_lookup(record)


async def _answer(request: web.Request, state: SimState, name: str, record: dict) -> web.StreamResponse:
    config = state.config
    if config.lookups == LOOKUPS_MISSING:
        record["code"] = 404
        return answers.html(404, "404 Not Found")
    params, repeated = await read_params(request)
    record["auth"] = "token" if TOKEN_FIELD in params else "password"
    record["snumber"], record["cnumber"] = params.get("snumber"), params.get("cnumber")
    refusal = account_refusal(params, config, state.tokens) or _filter_refusal(name, params, repeated)
    if refusal is None and config.lookups == LOOKUPS_FORBIDDEN:
        refusal = Refusal(403, "", "Your role does not allow this.")
    if refusal is not None:
        record["code"] = refusal.code
        return answers.listing(refusal.code, refusal.key, refusal.message, None, config.code_as_number)
    calls = state.calls_for(params.get("snumber"), params.get("cnumber"))
    now = time.time()
    data: list[dict[str, Any]] | dict[str, int]
    if name == CDRS:
        data = records.cdr_page(calls, params, now, config.cdr_delay, config.cdr_page_max)
    else:
        data = records.active_legs(calls, params, now)
        if params.get("count") == "1":
            data = {"count": len(data)}
    record["code"] = 200
    record["entries"] = data["count"] if isinstance(data, dict) else len(data)
    return answers.listing(200, "", "OK", data, config.code_as_number)


def _filter_refusal(name: str, params: dict[str, str], repeated: list[str]) -> Refusal | None:
    if repeated:
        return Refusal(400, repeated[0], "Parameter given more than once.")
    integers = _INTEGERS[name]
    for key, value in params.items():
        if key in integers:
            if not value.isdigit() or key in _FLAGS and value not in ("0", "1"):
                return Refusal(400, key, "Invalid value.")
        elif key not in _TEXTS and key not in SECRET_FIELDS:
            return Refusal(400, key, "Unknown parameter.")
    return None
