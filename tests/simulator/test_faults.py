"""Fault injection on calls/make (dialer.simulator.faults): scripted per number, or a seeded draw."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest

from dialer.simulator import SimulatorConfig, running_simulator
from dialer.simulator.logs import read_json_lines
from tests.simulator.wire import AUTH, CALL, first, post

pytestmark = pytest.mark.timeout(10)


def scripted(kind: str, **extra: Any) -> SimulatorConfig:
    return SimulatorConfig(scripted={CALL["snumber"]: [kind]}, **extra)


@pytest.mark.parametrize(("kind", "places"), [("reset-before", False), ("reset-after", True)])
async def test_reset_faults_drop_the_connection(session, kind, places):
    """Reset faults end in a disconnect, not a response; reset-after has placed the call."""
    async with running_simulator(scripted(kind)) as sim:
        with pytest.raises(aiohttp.ClientConnectionError):
            await post(session, sim.url, **CALL)
        assert len(sim.placed) == int(places)
        assert sim.arrivals[0]["fault"] == kind
        assert sim.arrivals[0]["code"] is None


@pytest.mark.parametrize("kind", ["503", "429"])
async def test_busy_faults_carry_retry_after_and_place_nothing(session, kind):
    """503 and 429 are an HTTP status with Retry-After, and no call is placed."""
    async with running_simulator(scripted(kind, retry_after=2.5)) as sim:
        async with session.post(sim.url, data={**AUTH, **CALL}) as response:
            assert response.status == int(kind)
            assert response.headers["Retry-After"] == "2.5"
        assert sim.placed == []
        assert sim.arrivals[0]["code"] == int(kind)


@pytest.mark.parametrize(("kind", "status"), [("500", 500), ("non-json", 200)])
async def test_html_faults_place_the_call(session, kind, status):
    """500 and non-json answer with an HTML body that is not JSON, after placing the call."""
    async with running_simulator(scripted(kind)) as sim:
        async with session.post(sim.url, data={**AUTH, **CALL}) as response:
            assert response.status == status
            assert response.content_type == "text/html"
            with pytest.raises(aiohttp.ContentTypeError):
                await response.json()
        assert len(sim.placed) == 1
        assert sim.placed[0]["fault"] == kind


async def test_hang_places_and_never_answers(session, tmp_path):
    """A hang places the call, answers nothing before the client gives up, and does not stall shutdown."""
    log = tmp_path / "arrivals.jsonl"
    async with running_simulator(scripted("hang", arrivals_log=log)) as sim:
        with pytest.raises(asyncio.TimeoutError):
            async with session.post(
                sim.url, data={**AUTH, **CALL}, timeout=aiohttp.ClientTimeout(total=0.5)
            ) as response:
                await response.read()
        assert len(sim.placed) == 1
        # Logged while still hanging, not an hour later.
        assert read_json_lines(log)[0]["fault"] == "hang"
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 3


async def test_scripted_faults_apply_in_order_then_stop(session):
    """A number's script decides its successive requests ('ok' = normal); other numbers are untouched."""
    config = SimulatorConfig(scripted={CALL["snumber"]: ["503", "ok", "429"]})
    async with running_simulator(config) as sim:
        statuses = []
        for _ in range(4):
            async with session.post(sim.url, data={**AUTH, **CALL}) as response:
                statuses.append(response.status)
        other, _ = await post(session, sim.url, snumber="2125550002", cnumber="1")
    assert statuses == [503, 200, 429, 200]
    assert other == 200
    assert len(sim.placed) == 3


async def test_scripted_faults_skip_requests_that_fail_validation(session):
    """A request refused by validation is answered normally and does not use up the script."""
    async with running_simulator(scripted("503")) as sim:
        status, body = await post(session, sim.url, snumber=CALL["snumber"])
        assert (status, first(body)["key"]) == (400, "cnumber")
        async with session.post(sim.url, data={**AUTH, **CALL}) as response:
            assert response.status == 503


async def fault_sequence(session: aiohttp.ClientSession, seed: int) -> list[int]:
    async with running_simulator(SimulatorConfig(faults={"503": 0.3, "429": 0.2}, seed=seed)) as sim:
        statuses = []
        for n in range(60):
            async with session.post(sim.url, data={**AUTH, "snumber": str(n), "cnumber": "1"}) as response:
                statuses.append(response.status)
        assert len(sim.placed) == statuses.count(200)
        return statuses


async def test_random_faults_are_seeded(session):
    """Random faults follow their probabilities and repeat exactly for the same seed."""
    statuses = await fault_sequence(session, seed=7)
    assert statuses == await fault_sequence(session, seed=7)
    assert set(statuses) == {200, 429, 503}
    assert 10 <= statuses.count(503) <= 30


async def test_get_on_a_reused_connection_is_resent_by_aiohttp(session):
    """Why the runner POSTs: aiohttp resends a GET whose reused connection dropped, dialing twice."""
    async with running_simulator(scripted("reset-after")) as sim:
        await post(session, sim.url, snumber="1", cnumber="2")  # opens the keep-alive connection
        async with session.get(sim.url, params={**AUTH, **CALL}) as response:
            assert response.status == 200
        assert [p["snumber"] for p in sim.placed] == ["1", CALL["snumber"], CALL["snumber"]]
