"""The runner's decisions (dialer/run/runner.py) with the switch replaced by a plain function: outcomes,
retries, stops, durable intents, and what each request carries."""

from __future__ import annotations

import asyncio
import os

import orjson
import pytest

from dialer.campaign.file import load_campaign
from dialer.commands.console import console
from dialer.core import exitcodes
from dialer.journal.lines import Event
from dialer.run.session import RunOptions, Session
from dialer.switch.mock import MockTransport
from dialer.switch.transport import RawReply, TransportFailure
from tests.helpers.files import numbered_list, write_csv
from tests.helpers.fsync import FsyncSpy
from tests.helpers.mock_switch import CREDS, OK_BODY, answer, in_process_session, results, session_for

pytestmark = pytest.mark.timeout(60)


async def test_each_code_gets_its_outcome(tmp_path):
    """200, 204, 400 and 403 end as placed, placed, rejected and rejected, one request each."""
    codes = {"2000000001": "200", "2000000002": "204", "2000000003": "400", "2000000004": "403"}

    async def switch(form):
        code = codes[dict(form)["snumber"]]
        return answer(
            code, status=int(code) if code >= "400" else 200, callid="c1" if code == "200" else None
        )

    session, transport = session_for(tmp_path, [[n, "100"] for n in codes], switch)
    assert await session.run() == exitcodes.NEEDS_ATTENTION
    outcomes = {
        r["snumber"]: (r["outcome"], r["callid"]) for r in results(tmp_path) if r["event"] == "result"
    }
    assert outcomes == {
        "2000000001": ("placed", "c1"),
        "2000000002": ("placed", None),
        "2000000003": ("rejected", None),
        "2000000004": ("rejected", None),
    }
    assert len(transport.requests) == 4


async def test_form_carries_credentials_first_and_only_set_parameters(tmp_path):
    """The form body holds auth, then exactly the parameters the row sets."""

    async def switch(form):
        return answer("204")

    session, transport = session_for(tmp_path, [["2000000001", "100"]], switch)
    assert await session.run() == exitcodes.OK
    assert transport.requests == [
        [
            ("auth_username", "demo"),
            ("auth_password", "demo-secret"),
            ("snumber", "2000000001"),
            ("cnumber", "100"),
        ]
    ]
    assert "demo-secret" not in (tmp_path / "list.results.jsonl").read_text()


@pytest.mark.parametrize("code", ["401", "402"])
async def test_account_refusal_stops_the_run_at_once(tmp_path, code):
    """401/402: no request after the refusal, the rest stay not dialed, exit 3."""
    seen = []

    async def switch(form):
        seen.append(dict(form)["snumber"])
        return answer(code, status=int(code))

    rows = [[f"20000000{i:02d}", "100"] for i in range(20)]
    session, _ = session_for(tmp_path, rows, switch, concurrency=1)
    assert await session.run() == exitcodes.ACCOUNT_REFUSED
    assert seen == ["2000000000"]
    assert [r["outcome"] for r in results(tmp_path) if r["event"] == "result"] == ["failed"]


async def test_503_is_retried_after_retry_after_and_each_attempt_is_a_line(tmp_path):
    """A 503 placed nothing: retried (after Retry-After) until placed, one results line per attempt."""
    calls = []

    async def switch(form):
        calls.append(asyncio.get_running_loop().time())
        if len(calls) < 3:
            return RawReply(503, {"Retry-After": "0.2"}, b"busy")
        return answer("204")

    session, _ = session_for(tmp_path, [["2000000001", "100"]], switch)
    assert await session.run() == exitcodes.OK
    lines = [(r["attempt"], r["outcome"]) for r in results(tmp_path) if r["event"] == "result"]
    assert lines == [(1, "retry"), (2, "retry"), (3, "placed")]
    assert calls[1] - calls[0] >= 0.2 and calls[2] - calls[1] >= 0.2


async def test_retries_are_bounded(tmp_path):
    """A switch that never stops refusing: --attempts requests, then failed (resumable)."""

    async def switch(form):
        raise TransportFailure("not_connected", "ClientConnectorError")

    session, transport = session_for(tmp_path, [["2000000001", "100"]], switch, attempts=2)
    session.campaign = session.campaign.__class__(
        **{**session.campaign.__dict__, "retry": session.campaign.retry.__class__(2, 0.01, 0.05)}
    )
    assert await session.run() == exitcodes.NEEDS_ATTENTION
    assert len(transport.requests) == 2
    assert [r["outcome"] for r in results(tmp_path) if r["event"] == "result"] == ["retry", "failed"]


@pytest.mark.parametrize(
    "failure",
    [
        TransportFailure("dropped", "ServerDisconnectedError"),
        TransportFailure("timeout", "timeout"),
    ],
)
async def test_no_usable_answer_is_unknown_and_never_retried(tmp_path, failure):
    """A drop after sending or a timeout may have placed the call: one request, outcome unknown."""

    async def switch(form):
        raise failure

    session, transport = session_for(tmp_path, [["2000000001", "100"]], switch)
    assert await session.run() == exitcodes.NEEDS_ATTENTION
    assert len(transport.requests) == 1
    assert [r["outcome"] for r in results(tmp_path) if r["event"] == "result"] == ["unknown"]


async def test_unparseable_body_is_unknown(tmp_path):
    """HTTP 200 with HTML: the call may exist; unknown, not retried."""

    async def switch(form):
        return RawReply(200, {}, b"<html>Internal error</html>")

    session, transport = session_for(tmp_path, [["2000000001", "100"]], switch)
    assert await session.run() == exitcodes.NEEDS_ATTENTION
    assert len(transport.requests) == 1


async def test_intent_is_on_disk_before_its_request_leaves(tmp_path, monkeypatch):
    """When the switch receives a request, that row's dial line is already fsynced (retries too)."""
    spy = FsyncSpy()
    monkeypatch.setattr(os, "fsync", spy)
    list_path = numbered_list(tmp_path / "list.csv", 60)
    results = list_path.with_name("list.results.jsonl")
    seen: dict[str, int] = {}
    not_durable: list[tuple[str, int]] = []

    async def switch(form):
        fields = dict(form)
        attempt = seen[fields["snumber"]] = seen.get(fields["snumber"], 0) + 1
        durable = results.read_bytes()[: spy.synced.get(results.stat().st_ino, 0)]
        # The size seen at fsync time can end inside a line the loop was writing meanwhile: only
        # whole lines count as recorded.
        durable = durable[: durable.rfind(b"\n") + 1]
        intents = [orjson.loads(raw) for raw in durable.splitlines()]
        if not any(
            i["event"] == Event.DIAL and i["snumber"] == fields["snumber"] and i["attempt"] == attempt
            for i in intents
        ):
            not_durable.append((fields["snumber"], attempt))
        await asyncio.sleep(0.001)
        if attempt == 1 and int(fields["snumber"]) % 5 == 0:
            return RawReply(503, {"Retry-After": "0"}, b"busy")
        return RawReply(200, {}, OK_BODY)

    transport = MockTransport(switch)
    status = await in_process_session(list_path, transport, concurrency=8, attempts=2).run()
    assert status == exitcodes.OK
    assert len(transport.requests) == 60 + 12
    assert not_durable == []
    # Group commit: intents of several requests share an fsync.
    assert spy.calls < len(transport.requests)


async def test_wait_is_kept_above_delay(tmp_path):
    """A row with delay and wait: the wait sent exceeds the delay (the API page asks for it)."""
    sent = []

    async def switch(form):
        sent.append(dict(form))
        return answer("204")

    source = write_csv(
        tmp_path / "list.csv", ["snumber", "cnumber", "delay", "wait"], [["2000000001", "100", "5", "3"]]
    )
    campaign = load_campaign(source, {})
    session = Session(campaign, CREDS, RunOptions(quiet=True), console(), transport=MockTransport(switch))
    assert await session.run() == exitcodes.OK
    assert int(sent[0]["wait"]) > int(sent[0]["delay"]) == 5
