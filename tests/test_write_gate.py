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
from dialer.run.session import RunOptions, Session
from tests.helpers.files import numbered_list
from tests.helpers.processes import PASSWORD, USERNAME
from tests.helpers.switch_side import most_in_window

pytestmark = pytest.mark.timeout(60)


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
