"""Runs in this process against a switch that is a plain async function (``MockTransport``): the
runner's and the reconciler's decisions without a network or the simulator."""

from __future__ import annotations

import asyncio
import io
import time
from dataclasses import replace
from pathlib import Path

import orjson

from dialer.campaign.credentials import Credentials
from dialer.campaign.file import load_campaign
from dialer.commands.console import console
from dialer.run.session import RunOptions, Session
from dialer.switch.login import LOGIN_PATH
from dialer.switch.mock import MockTransport
from dialer.switch.transport import RawReply, TransportFailure

from .files import read_lines, write_csv

CREDS = Credentials("demo", "demo-secret")
OK_BODY = b'{"responses":[{"code":"200","key":"","message":"OK"}],"data":{"callid":"1.1"}}'


def answer(code: str, *, status: int = 200, callid: str | None = None, key: str = "", headers=None):
    """calls/make's answer with ``code`` (and a callid when given)."""
    doc: dict = {"responses": [{"code": code, "key": key, "message": "m"}]}
    if callid:
        doc["data"] = {"machine": 1, "server": "s", "callid": callid}
    return RawReply(status, headers or {}, orjson.dumps(doc))


def listing(code="200", data=()) -> bytes:
    """The body of a call-list answer (calls/active/list, cdrs/list): ``data`` None leaves it out."""
    doc: dict = {"responses": [{"code": code, "key": "", "message": "OK"}]}
    if data is not None:
        doc["data"] = list(data) if isinstance(data, (list, tuple)) else data
    return orjson.dumps(doc)


def session_for(tmp_path: Path, rows: list[list[str]], handler, **overrides) -> tuple[Session, MockTransport]:
    """A run of ``rows`` (snumber, cnumber) written to tmp_path/list.csv, the switch being ``handler``."""
    source = write_csv(tmp_path / "list.csv", ["snumber", "cnumber"], rows)
    # A short settle time: the switch here answers at once, and a test must not wait 10 s to check.
    # Outcomes off unless asked for: these tests judge dialing and reconciling, not cdrs lookups.
    campaign = load_campaign(
        source, {"attempts": 3, "reconcile_settle": 0.05, "outcomes": False, **overrides}
    )
    transport = MockTransport(handler)
    return Session(campaign, CREDS, RunOptions(quiet=True), console(), transport=transport), transport


def in_process_session(list_path: Path, transport: MockTransport, **flags: object) -> Session:
    """A run of the list at ``list_path`` over ``transport``, retrying after 0.01 s."""
    campaign = load_campaign(list_path, {"url": "http://127.0.0.1:9/", "outcomes": False, **flags})
    campaign = replace(campaign, retry=replace(campaign.retry, backoff=0.01))
    return Session(campaign, CREDS, RunOptions(quiet=True), console(io.StringIO()), transport=transport)


def results(tmp_path: Path) -> list[dict]:
    """The lines of tmp_path/list.results.jsonl, the results file of ``session_for``'s run."""
    return read_lines(tmp_path / "list.results.jsonl")


class Switch:
    """A switch as a pair of functions: calls/make (with scripted failures) and its two call lists."""

    def __init__(self, script: dict[str, list[str]] | None = None, lists: str = "honest") -> None:
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.lists = lists  # honest, blind (always empty), missing (404), broken (500), slow
        self.placed: list[str] = []
        self.lookups: list[tuple[float, str, dict]] = []
        self.lookup_delay = 0.0
        self.on_lookup = None

    async def make(self, form) -> RawReply:
        snumber = dict(form)["snumber"]
        step = self.script.get(snumber, []).pop(0) if self.script.get(snumber) else "ok"
        if step == "reset-before":
            raise TransportFailure("dropped", "ClientOSError")
        self.placed.append(snumber)
        if step == "reset-after":
            raise TransportFailure("dropped", "ClientOSError")
        if step == "500":
            return RawReply(500, {}, b"<html>500</html>")
        return answer("204")

    async def api(self, path, form) -> RawReply:
        if path == LOGIN_PATH:
            return RawReply(404, {}, b"<html>Not Found</html>")  # no tokens: the password on each request
        params = dict(form)
        self.lookups.append((time.monotonic(), path, params))
        if self.on_lookup is not None:
            self.on_lookup()
        if self.lookup_delay:
            await asyncio.sleep(self.lookup_delay)
        if self.lists == "missing":
            return RawReply(404, {}, b"<html>Not Found</html>")
        if self.lists == "broken":
            return RawReply(500, {}, b"<html>error</html>")
        found = [] if self.lists == "blind" else [n for n in self.placed if n == params["snumber"]]
        data = [{"callid": f"c-{n}", "snumber": n, "cnumber": params["cnumber"]} for n in found]
        return RawReply(200, {}, listing(data=data))


def run_against(tmp_path, switch: Switch, numbers: list[str], **overrides):
    """A run of ``numbers`` (each bridged to 100) against ``switch``, its call lists included."""
    session, transport = session_for(tmp_path, [[n, "100"] for n in numbers], switch.make, **overrides)
    transport.api_handler = switch.api
    return session, transport
