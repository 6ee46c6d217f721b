"""The pacer's guard at the write: run once a request's connection is ready, before its bytes go out.

Judged from the simulator's side (arrival stamps and what it placed), with the real aiohttp transport.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from dialer.campaign.credentials import Credentials
from dialer.campaign.file import load_campaign
from dialer.commands.console import console
from dialer.core import exitcodes
from dialer.core.policy import NOT_CONNECTED
from dialer.run.session import RunOptions, Session
from dialer.switch.transport import AiohttpTransport, TransportFailure
from tests.helpers.files import numbered_list
from tests.helpers.processes import PASSWORD, USERNAME
from tests.helpers.switch_side import most_in_window

pytestmark = pytest.mark.timeout(60)

AUTH = [("auth_username", USERNAME), ("auth_password", PASSWORD)]


def call_form(snumber: str) -> list[tuple[str, str]]:
    return [*AUTH, ("snumber", snumber), ("cnumber", "100")]


async def test_each_call_passes_its_hook_once_before_the_switch_sees_it_and_lookups_never(simulator):
    """Twenty calls at once, each hook holding its request 50 ms: every hook runs exactly once, every
    request reaches the switch only after its hook let it go, and a lookup runs no hook."""
    sim = simulator()
    transport = AiohttpTransport(sim.url, max_connections=10, write_hooks=True)
    released: dict[str, list[float]] = {}

    def hook_for(snumber: str):
        async def hold_then_release() -> None:
            await asyncio.sleep(0.05)
            released.setdefault(snumber, []).append(time.monotonic())

        return hold_then_release

    numbers = [f"21255500{i:02d}" for i in range(20)]
    try:
        replies = await asyncio.gather(*(transport.post_form(call_form(n), 5, hook_for(n)) for n in numbers))
        lookup = await transport.post_api("calls/active/list", AUTH, 5)
    finally:
        await transport.close()
    assert [r.status for r in replies] == [200] * 20 and lookup.status == 200
    assert {n: len(times) for n, times in released.items()} == dict.fromkeys(numbers, 1)
    arrived = {a["snumber"]: a["mono"] for a in sim.arrivals()}
    assert set(arrived) == set(numbers)
    assert all(arrived[n] >= released[n][0] for n in numbers)
    assert len(sim.lookups()) == 1


@pytest.mark.parametrize("connection", ["new", "reused"])
async def test_a_request_held_past_its_time_limit_was_never_sent(simulator, connection):
    """A request its hook holds beyond its time limit fails as not connected (nothing was written,
    so it is safe to retry), on a new connection (aiohttp's connect timeout) as on one reused from
    the pool (the time limit), and the switch never saw it."""
    sim = simulator()
    transport = AiohttpTransport(sim.url, max_connections=2, write_hooks=True)

    async def release() -> None:
        return None

    async def never() -> None:
        await asyncio.sleep(30)

    try:
        if connection == "reused":
            await transport.post_form(call_form("2125550001"), 5, release)
        with pytest.raises(TransportFailure) as failure:
            await transport.post_form(call_form("2125550100"), 0.3, never)
    finally:
        await transport.close()
    assert failure.value.kind == NOT_CONNECTED
    if connection == "reused":
        assert "not yet written" in failure.value.detail
    assert [a["snumber"] for a in sim.arrivals()] == (["2125550001"] if connection == "reused" else [])


async def test_connections_slow_to_open_do_not_bunch_requests_at_the_switch(tmp_path, simulator, monkeypatch):
    """--rate 50, wait 2 (requests held 1 s, so the first second opens a connection for each) and the
    connections opened in the first 0.4 s each taking 0.4 s to open: the requests they delayed
    reach the switch held back by the guard at the write, not on top of the ones sent after them.
    Counted at the switch: at most 50 in any one-second window (+1 tolerated)."""
    sim = simulator("--place-latency", "1.0")
    create_connection = aiohttp.TCPConnector._create_connection
    first: list[float] = []

    async def slow_at_first(self, req, traces, timeout):  # aiohttp's own, delayed while the run starts
        now = time.monotonic()
        first.append(first[0] if first else now)
        if now - first[0] < 0.4:
            await asyncio.sleep(0.4)
        return await create_connection(self, req, traces, timeout)

    monkeypatch.setattr(aiohttp.TCPConnector, "_create_connection", slow_at_first)
    source = numbered_list(tmp_path / "list.csv", 150)
    campaign = load_campaign(source, {"url": sim.url, "rate": 50, "wait": 2, "reconcile": False})
    session = Session(campaign, Credentials(USERNAME, PASSWORD), RunOptions(quiet=True), console(quiet=True))
    assert await session.run() == exitcodes.OK
    arrivals = sorted(a["mono"] for a in sim.arrivals())
    assert len(arrivals) == 150 and len(sim.placed()) == 150
    assert len(first) >= 20  # the slow start was real: many connections were opened in it
    assert most_in_window(arrivals, 1.0) <= 50 + 1
