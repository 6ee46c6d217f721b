"""What the switch sends back: Enswitch's JSON envelope, the faults' non-answers, and a dropped line."""

from __future__ import annotations

import socket
import struct

import orjson
from aiohttp import web

from dialer.simulator.state import MACHINE, SERVER

_HTML = "<html><head><title>{0}</title></head><body><h1>{0}</h1></body></html>\n"
_LINGER_RESET = struct.pack("ii", 1, 0)


def envelope(code: int, key: str, message: str, callid: str | None, code_as_number: bool) -> web.Response:
    body: dict[str, object] = {
        "responses": [{"code": code if code_as_number else str(code), "key": key, "message": message}]
    }
    if callid is not None:
        body["data"] = {"machine": MACHINE, "server": SERVER, "callid": callid}
    # HTTP 204 cannot carry a body, so both success codes travel as HTTP 200.
    status = 200 if code in (200, 204) else code
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def listing(
    code: int, key: str, message: str, entries: list[dict] | dict | None, code_as_number: bool
) -> web.Response:
    """A function's answer with data (calls/active/list, cdrs/list, user/login): ``data`` is a list of
    entries, or an object (a count, a token)."""
    body: dict[str, object] = {
        "responses": [{"code": code if code_as_number else str(code), "key": key, "message": message}]
    }
    if entries is not None:
        body["data"] = entries
    return web.Response(body=orjson.dumps(body), status=code, content_type="application/json")


def html(status: int, title: str) -> web.Response:
    return web.Response(text=_HTML.format(title), status=status, content_type="text/html")


def busy(status: int, retry_after: float) -> web.Response:
    return web.Response(
        text=f"{status} busy, retry later\n", status=status, headers={"Retry-After": f"{retry_after:g}"}
    )


def drop_connection(request: web.Request) -> web.Response:
    """Reset the connection (RST, not FIN) and return a response that can never be written."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        transport.abort()
    # aiohttp fails to write this to the aborted transport and treats it as a client disconnect.
    return web.Response(status=204)
