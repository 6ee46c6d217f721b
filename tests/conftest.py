"""Fixtures every folder uses: the project's simulator in its own process on 127.0.0.1.

Helpers (plain functions and classes) are in tests/helpers/; a folder's own fixtures in its conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dialer.simulator import SimulatorProcess


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator:
    """A factory for the simulator in its own process; every one started is stopped at the end."""
    started: list[SimulatorProcess] = []

    def start(*args: str) -> SimulatorProcess:
        sim_dir = tmp_path / f"sim{len(started)}"
        sim_dir.mkdir()
        # Answered calls end at once unless a test says otherwise: a run waits for its calls' outcomes
        # at its end, and most tests judge dialing, not talk time.
        timing = [] if {"--call-seconds", "--talk-seconds"} & set(args) else ["--call-seconds", "0"]
        sim = SimulatorProcess.start([*timing, *args], sim_dir)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()
