"""calls/active/list and cdrs/list, answered from the calls the simulator placed.

A placed call is active for ``call_seconds`` from its placement, then finished, with a CDR. Filters
are exact (snumber, cnumber, callid; for CDRs a window on the call's start in Unix seconds), which is
what a client asking about one row relies on. Lookups are logged apart from calls/make arrivals, so
pacing measured at the switch still counts calls/make requests only.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from dialer.core.params import AUTH_FIELDS
from dialer.simulator import answers
from dialer.simulator.checks import Refusal, account_refusal
from dialer.simulator.config import LOOKUPS_FORBIDDEN, LOOKUPS_MISSING, SimulatorConfig
from dialer.simulator.query import read_params
from dialer.simulator.state import SimState

ACTIVE = "calls/active/list"
CDRS = "cdrs/list"
PATHS = {f"/api/json/{name}{end}": name for name in (ACTIVE, CDRS) for end in ("/", "")}

_INTEGERS = {ACTIVE: ("count",), CDRS: ("start", "end", "limit", "offset")}
_TEXTS = ("snumber", "cnumber", "callid", "customer", "direction", "status")
_EXACT = ("snumber", "cnumber", "callid")


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
    record["snumber"], record["cnumber"] = params.get("snumber"), params.get("cnumber")
    refusal = account_refusal(params, config) or _filter_refusal(name, params, repeated)
    if refusal is None and config.lookups == LOOKUPS_FORBIDDEN:
        refusal = Refusal(403, "", "Your role does not allow this.")
    if refusal is not None:
        record["code"] = refusal.code
        return answers.listing(refusal.code, refusal.key, refusal.message, None, config.code_as_number)
    entries = matching(name, state.calls_for(params.get("snumber"), params.get("cnumber")), params, config)
    record["code"], record["entries"] = 200, len(entries)
    return answers.listing(200, "", "OK", entries, config.code_as_number)


def _filter_refusal(name: str, params: dict[str, str], repeated: list[str]) -> Refusal | None:
    if repeated:
        return Refusal(400, repeated[0], "Parameter given more than once.")
    integers = _INTEGERS[name]
    for key, value in params.items():
        if key in integers:
            if not value.isdigit():
                return Refusal(400, key, "Invalid value.")
        elif key not in _TEXTS and key not in AUTH_FIELDS:
            return Refusal(400, key, "Unknown parameter.")
    return None


def matching(name: str, calls: list[dict], params: dict[str, str], config: SimulatorConfig) -> list[dict]:
    """The entries a lookup returns: active legs or CDRs, filtered, in order of start."""
    now = time.time()
    finished = name == CDRS
    out = []
    for call in calls:
        if (call["t"] + config.call_seconds <= now) != finished:
            continue
        if any(key in params and params[key] != call[key] for key in _EXACT):
            continue
        if finished and not _starts_within(call["t"], params):
            continue
        out.append(cdr(call, config.call_seconds) if finished else active_leg(call))
    if finished:
        offset = int(params.get("offset", "0"))
        limit = int(params["limit"]) if "limit" in params else None
        out = out[offset : None if limit is None else offset + limit]
    return out


def _starts_within(placed_at: float, params: dict[str, str]) -> bool:
    start = int(placed_at)
    return int(params.get("start", start)) <= start <= int(params.get("end", start))


def active_leg(call: dict) -> dict[str, Any]:
    start = int(call["t"])
    return {
        "uniqueid": f"{call['callid']}-1",
        "callid": call["callid"],
        "snumber": call["snumber"],
        "cnumber": call["cnumber"],
        "start": start,
        "answered": start,
    }


def cdr(call: dict, call_seconds: float) -> dict[str, Any]:
    start = int(call["t"])
    return {
        "callid": call["callid"],
        "snumber": call["snumber"],
        "cnumber": call["cnumber"],
        "start": start,
        "answered": start,
        "end": int(call["t"] + call_seconds),
    }
