"""calls/make as an aiohttp application: arrival log, checks, fault injection, placement; the
lookups that follow a call (calls/active/list, cdrs/list); and user/login for a token."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from dialer.simulator import answers, login, lookups
from dialer.simulator.checks import TOKEN_FIELD, refusal_for
from dialer.simulator.config import (
    ECHO,
    HANG,
    NON_JSON,
    RESET_AFTER,
    RESET_BEFORE,
    SERVER_ERROR,
    TOO_MANY,
    UNAVAILABLE,
    SimulatorConfig,
)
from dialer.simulator.query import read_params
from dialer.simulator.state import SimState

SIM_STATE = web.AppKey("sim_state", SimState)
PATHS = ("/api/json/calls/make/", "/api/json/calls/make")
_ARRIVAL = web.RequestKey("sim_arrival", dict[str, object])
_ARRIVAL_LOGGED = web.RequestKey("sim_arrival_logged", bool)
# Logged apart: arrivals are what calls/make pacing is judged on.
_NOT_ARRIVALS = frozenset(lookups.PATHS) | login.PATHS

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_app(config: SimulatorConfig) -> web.Application:
    app = web.Application(middlewares=[_record_arrival])
    state = SimState(config)
    app[SIM_STATE] = state
    for path in PATHS:
        app.router.add_get(path, _calls_make, allow_head=False)
        app.router.add_post(path, _calls_make)
    lookups.add_routes(app, SIM_STATE)
    login.add_routes(app, SIM_STATE)

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        state.open_logs()
        yield
        state.close_logs()

    async def on_shutdown(app: web.Application) -> None:
        state.stop()

    app.cleanup_ctx.append(lifetime)
    app.on_shutdown.append(on_shutdown)
    return app


@web.middleware
async def _record_arrival(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path in _NOT_ARRIVALS:
        return await handler(request)
    # Taken before the body is read: this is when the request reached the switch.
    record: dict[str, object] = {
        "t": time.time(),
        "mono": time.monotonic(),
        "method": request.method,
        "auth": None,
        "snumber": None,
        "cnumber": None,
        "fault": None,
        "code": None,
    }
    state = request.app[SIM_STATE]
    state.arrivals.append(record)
    request[_ARRIVAL] = record
    try:
        return await handler(request)
    except web.HTTPException as exc:
        record["code"] = exc.status
        raise
    finally:
        _log_arrival(request)


def _log_arrival(request: web.Request) -> None:
    if not request.get(_ARRIVAL_LOGGED):
        request[_ARRIVAL_LOGGED] = True
        request.app[SIM_STATE].log_arrival(request[_ARRIVAL])


async def _calls_make(request: web.Request) -> web.StreamResponse:
    state = request.app[SIM_STATE]
    config = state.config
    record = request[_ARRIVAL]
    params, repeated = await read_params(request)
    record["auth"] = "token" if TOKEN_FIELD in params else "password"
    record["snumber"] = params.get("snumber")
    record["cnumber"] = params.get("cnumber")
    refusal = refusal_for(params, repeated, config, state.tokens)
    if refusal is not None:
        record["code"] = refusal.code
        return answers.envelope(refusal.code, refusal.key, refusal.message, None, config.code_as_number)
    fault = state.faults.pick(params["snumber"])
    record["fault"] = fault
    if fault is None:
        callid = await state.accept(params, None)
        code = 204 if callid is None else 200
        record["code"] = code
        return answers.envelope(code, "", "OK", callid, config.code_as_number)
    return await _faulty(request, state, params, fault)


async def _faulty(
    request: web.Request, state: SimState, params: dict[str, str], fault: str
) -> web.StreamResponse:
    record = request[_ARRIVAL]
    if fault == ECHO:
        record["code"] = 401
        received = (await request.read()).decode("utf-8", errors="replace")
        echoed = "&".join(f"{name}={value}" for name, value in params.items())
        message = f"The authentication details provided are invalid: {echoed} (as received: {received})"
        return answers.envelope(401, "", message, None, state.config.code_as_number)
    if fault == RESET_BEFORE:
        return answers.drop_connection(request)
    if fault in (UNAVAILABLE, TOO_MANY):
        record["code"] = int(fault)
        return answers.busy(int(fault), state.config.retry_after)
    await state.accept(params, fault)
    if fault == SERVER_ERROR:
        record["code"] = 500
        return answers.html(500, "500 Internal Server Error")
    if fault == NON_JSON:
        record["code"] = 200
        return answers.html(200, "Service temporarily unavailable")
    if fault == HANG:
        # Logged now: a hanging request's line must not wait an hour for the handler to finish.
        _log_arrival(request)
        await state.pause(state.config.hang_seconds)
    assert fault in (RESET_AFTER, HANG), fault
    return answers.drop_connection(request)
