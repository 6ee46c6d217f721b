"""Fixtures of the simulator's tests: an HTTP client, and the simulator in this process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from dialer.simulator import SimulatorConfig, running_simulator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as client:
        yield client


@pytest.fixture
async def sim():
    """The simulator with its defaults: every call answered at once, lasting 3 s."""
    async with running_simulator(SimulatorConfig()) as running:
        yield running
